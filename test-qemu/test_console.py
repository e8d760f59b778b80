"""Serial console capture over IPMI Serial-over-LAN (server/lifeboatd/
console.c): OpenIPMI's ipmi_sim relays a QEMU VM's serial port (a TCP
server it connects to, as a BMC's SOL does a server's COM port), and
lifeboatd captures it with ipmitool under a terminal. What a server that
does not come back shows is in `lifeboatctl console` and on the page."""

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import OUT
from test_bmc import PASSWORD, Bmc, ctl, pytestmark  # noqa: F401 (skips without ipmi_sim)

HERE = os.path.dirname(os.path.abspath(__file__))

MAC = "52:54:00:12:34:56"


@pytest.fixture
def panicking(tmp_path, ssh_key):
    """A VM whose 'installed system' panics at boot: the kernel with no root
    file system (panic=0: it stays there, as a real one with a panic
    console would)."""
    key, _ = ssh_key
    bmc = Bmc(tmp_path, ["-kernel", os.path.join(OUT, "bzImage"),
                         "-append", "console=ttyS0,115200n8 root=/dev/nonexistent panic=0",
                         "-netdev", "user,id=n0", "-device", f"e1000,netdev=n0,mac={MAC}"], key, sol=True)
    yield bmc
    bmc.stop()


def console(d, *args):
    return ctl(d, "console", MAC, *args).stdout


def test_a_panic_on_the_console_is_in_lifeboatctl_and_on_the_page(lifeboatd, panicking, tmp_path):
    d = lifeboatd(tls=True)
    pw = tmp_path / "bmc-password"
    pw.write_text(PASSWORD + "\n")
    ctl(d, "bmc", MAC, "--address", "127.0.0.1", "--port", str(panicking.port), "--user", "admin",
        "--password-file", str(pw), "--console", "--cipher-suite", "3")
    show = json.loads(ctl(d, "show", MAC).stdout)["bmc"]
    assert show["console"] is True and show["cipher_suite"] == 3
    d.wait_log("capturing the serial console", 30)
    assert ctl(d, "power", MAC, "on").returncode == 0
    panicking.wait_for("Kernel panic - not syncing", 120)
    deadline = time.monotonic() + 60
    while "Kernel panic - not syncing" not in console(d, "--since", "10m"):
        assert time.monotonic() < deadline, f"not captured:\n{console(d)[-3000:]}\n{d.log_path.read_text()[-2000:]}"
        time.sleep(1)
    text = console(d, "--since", "10m")
    # each line with its time; the kernel's own lines as they were printed
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} .*Linux version ", text, re.M), text[:2000]
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} .*VFS: Unable to mount root fs", text, re.M)
    raw = console(d, "--raw", "--since", "1h")
    assert "Kernel panic - not syncing" in raw and not re.search(r"^\d{4}-\d\d-\d\d ", raw, re.M)
    status, _, page = d.request("GET", "/", admin=True, tls=True)
    assert status == 200 and b'<pre class="console">' in page
    status, _, metrics = d.request("GET", "/metrics", admin=True, tls=True)
    assert b"lifeboat_console_workers 1" in metrics
    # a BMC that stops answering: boots are answered all the while
    panicking.proc.send_signal(signal.SIGSTOP)
    try:
        for i in range(5):
            status, _, body = d.request("GET", f"/boot.ipxe?mac=52:54:00:00:00:{i:02x}&ip=127.0.0.1")
            assert status == 200 and b"booting from the next device" in body
            time.sleep(1)
    finally:
        panicking.proc.send_signal(signal.SIGCONT)
    # the console off: the capture ends, its lease given up
    ctl(d, "bmc", MAC, "--address", "127.0.0.1", "--port", str(panicking.port), "--user", "admin",
        "--password-file", str(pw), "--cipher-suite", "3")
    deadline = time.monotonic() + 30
    while b"lifeboat_console_workers 0" not in d.request("GET", "/metrics", admin=True, tls=True)[2]:
        assert time.monotonic() < deadline, "the capture did not stop"
        time.sleep(1)
    assert PASSWORD not in d.log_path.read_text()


def test_console_needs_ipmi(lifeboatd, tmp_path):
    d = lifeboatd(tls=True)
    pw = tmp_path / "pw"
    pw.write_text("x\n")
    r = ctl(d, "bmc", MAC, "--driver", "redfish", "--address", "https://127.0.0.1:9", "--user", "u",
            "--password-file", str(pw), "--insecure", "--console", check=False)
    assert r.returncode == 2 and "console: only for the ipmi driver" in r.stderr, r.stderr
    r = ctl(d, "console", MAC, "--since", "soon", check=False)
    assert r.returncode == 2 and "not a duration" in r.stderr


# ---- live, typing, floods, two lifeboatd ------------------------------------------------------

class FakeConsole(Bmc):
    """ipmi_sim whose SOL reaches fake_serial.py instead of a VM: a serial
    port that ticks, answers what it receives and keeps every byte."""

    def __init__(self, tmp_path, mode="tick", seconds=10):
        super().__init__(tmp_path, [], None, sol=True)
        self.received = self.dir / "received.bin"
        self.received.write_bytes(b"")
        self.qemu_cmd = (f"exec /usr/bin/python3 {HERE}/fake_serial.py --port {self.sol_port} "
                         f"--received {self.received} --mode {mode} --seconds {seconds}")
        (self.dir / "qemu.cmd").write_text(self.qemu_cmd + "\n")

    def power_on(self):
        assert self.ipmitool("chassis", "power", "on").returncode == 0


def wait_ticks(d, timeout=60):
    """Until the fake serial port's lines come through: ipmi_sim has
    connected to it (typing before that reaches no serial port)."""
    deadline = time.monotonic() + timeout
    while "tick" not in ctl(d, "console", MAC, "--since", "10m").stdout:
        assert time.monotonic() < deadline, f"no ticks:\n{d.log_path.read_text()[-2000:]}"
        time.sleep(0.5)


def capture(d, bmc, tmp_path, console=True):
    pw = tmp_path / "bmc-password"
    pw.write_text(PASSWORD + "\n")
    args = ["bmc", MAC, "--address", "127.0.0.1", "--port", str(bmc.port), "--user", "admin",
            "--password-file", str(pw), "--cipher-suite", "3"]
    ctl(d, *args, *(["--console"] if console else []))


class Attached:
    """`lifeboatctl console MAC` running, its output read line by line."""

    def __init__(self, d, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
        env.update(LIFEBOAT_TOKEN=d.admin_token, LIFEBOAT_SERVER=f"https://127.0.0.1:{d.tls_port}",
                   LIFEBOAT_CACERT=str(d.ca / "ca.crt"))
        self.cmd = [d.ctl_bin, "console", MAC, *args]
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, env=env)
        self.lines, self.seen = queue.Queue(), []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for raw in self.proc.stdout:
            self.lines.put(raw.decode(errors="replace").rstrip("\r\n"))

    def wait_for(self, pattern, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, (f"{self.cmd}: no {pattern!r} within {timeout} s; saw:\n" + "\n".join(self.seen[-40:]) +
                              f"\nexit {self.proc.poll()}")
            try:
                line = self.lines.get(timeout=min(left, 1))
            except queue.Empty:
                continue
            self.seen.append(line)
            if re.search(pattern, line):
                return line

    def type(self, text):
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.stderr.read().decode(errors="replace")


@pytest.fixture
def attach():
    made = []

    def make(d, *args):
        a = Attached(d, *args)
        made.append(a)
        return a

    yield make
    for a in made:
        a.stop()


@pytest.fixture
def rescue_vm(tmp_path):
    """A rescue boot (the payload direct, no lifeboatd needed for it): its
    kernel's lines on the serial console, then the agent, which starts a
    root shell on every console (docs/agent.md): what an admin at the
    console of a rescued machine has."""
    from test_boot import DIRECT_ARGS
    bmc = Bmc(tmp_path, ["-kernel", os.path.join(OUT, "bzImage"), "-initrd", os.path.join(OUT, "initramfs.cpio.xz"),
                         "-append", f"{DIRECT_ARGS}", "-netdev", "user,id=n0",
                         "-device", f"e1000,netdev=n0,mac={MAC}"], None, sol=True)
    yield bmc
    bmc.stop()


def test_live_attach_sees_the_kernel_and_write_reaches_the_shell(lifeboatd, rescue_vm, tmp_path, attach):
    d = lifeboatd(tls=True)
    capture(d, rescue_vm, tmp_path)
    d.wait_log("capturing the serial console", 30)
    watcher = attach(d)                 # read-only: what it is given on stdin goes nowhere
    watcher.type("echo from-the-watcher\n")
    typist = attach(d, "--write")
    assert ctl(d, "power", MAC, "on").returncode == 0
    # the rescue kernel's lines and the agent's, live, on both
    watcher.wait_for(r"Linux version \d", 120)
    typist.wait_for(r"Run /init as init process", 120)
    typist.wait_for(r"lifeboat: ready", 120)
    typist.wait_for(r"^root@lifeboat\S*# ", 60)  # the console's shell at its prompt (a daemon may print after it)
    typist.type("\necho lb-$((6*7))\n")
    typist.wait_for(r"^lb-42$", 30)      # a shell ran it: only a shell makes 42 of 6*7
    watcher.wait_for(r"^lb-42$", 30)
    assert "from-the-watcher" not in rescue_vm.log()
    events = ctl(d, "events", MAC).stdout
    typed = [int(n) for n in re.findall(r"console-input (\d+) bytes? typed into the console by admin tests", events)]
    assert sum(typed) == len("\necho lb-$((6*7))\n"), events  # every byte, each input an event
    assert "lb-$((6*7))" not in events  # what was typed stays out of the log
    assert "typed into the console by admin tests" in d.log_path.read_text()
    # typing needs an admin: no token, an agent's token, a bad one
    status, _, body = d.request("POST", f"/api/v1/hosts/{MAC}/console/input", body=json.dumps({"data": "echo typed-$((1+1))-anonymously\n"}),
                                headers={"Content-Type": "application/json"}, tls=True)
    assert status == 401, body
    agent_token = ctl(d, "token", MAC).stdout.strip()   # a rescue session's token: not an admin's
    for bearer in (agent_token, "lba_" + "x" * 40):
        status, _, body = d.request("POST", f"/api/v1/hosts/{MAC}/console/input",
                                    body=json.dumps({"data": "echo typed-$((1+1))-by-a-stranger\n"}),
                                    headers={"Content-Type": "application/json", "Authorization": f"Bearer {bearer}"},
                                    tls=True)
        assert status == 401, body
        status, _, body = d.request("GET", f"/api/v1/hosts/{MAC}/console/live",
                                    headers={"Authorization": f"Bearer {bearer}"}, tls=True)
        assert status == 401, body
    time.sleep(1)
    assert "typed-" not in rescue_vm.log()
    # --write with --since is refused, as is a live console without lifeboatd
    r = ctl(d, "console", MAC, "--since", "1m", "--write", check=False)
    assert r.returncode == 2 and "typing needs the live console" in r.stderr
    d.stop()
    r = subprocess.run([d.ctl_bin, "--state-dir", str(d.state), "console", MAC], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1 and "lifeboatd is not running here" in r.stderr, r.stderr


def test_typing_arrives_as_typed_and_the_stream_ends_cleanly(lifeboatd, tmp_path):
    fake = FakeConsole(tmp_path)
    try:
        d = lifeboatd(tls=True)
        capture(d, fake, tmp_path)
        d.wait_log("capturing the serial console", 30)
        fake.power_on()
        wait_ticks(d)

        def typed(data):
            return d.request("POST", f"/api/v1/hosts/{MAC}/console/input", body=json.dumps({"data": data}),
                             headers={"Content-Type": "application/json"}, admin=True, tls=True)

        # ipmitool's own escapes ("~." ends its session) reach the host as typed
        wanted = "~.\r~B ~~ \x03ls -l\r"
        assert typed(wanted)[0] == 202
        deadline = time.monotonic() + 20
        while fake.received.read_bytes() != wanted.encode():
            assert time.monotonic() < deadline, fake.received.read_bytes()
            time.sleep(0.2)
        assert "session ended" not in d.log_path.read_text()
        # bad input
        assert typed("")[0] == 400
        assert typed("x" * 1025)[0] == 400
        assert typed("a\u0000b")[0] == 400
        status, _, body = d.request("POST", f"/api/v1/hosts/{MAC}/console/input", body=b"data=x",
                                    headers={"Content-Type": "application/x-www-form-urlencoded"}, admin=True, tls=True)
        assert status == 400
        assert fake.received.read_bytes() == wanted.encode()
        # the live stream: Server-Sent Events, the newest lines first, then as they come
        import http.client
        import ssl
        ctx = ssl.create_default_context(cafile=str(d.ca / "ca.crt"))
        c = http.client.HTTPSConnection("127.0.0.1", d.tls_port, timeout=20, context=ctx)
        c.request("GET", f"/api/v1/hosts/{MAC}/console/live", headers={"Authorization": f"Bearer {d.admin_token}"})
        r = c.getresponse()
        assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream")
        ids, ticks = [], []
        while len(ticks) < 6:
            line = r.readline().decode().rstrip("\n")
            if line.startswith("id: "):
                ids.append(int(line[4:]))
            m = re.match(r"data: tick (\d+)$", line)
            if m:
                ticks.append(int(m.group(1)))
        assert ids == sorted(ids) and len(set(ids)) == len(ids)
        assert ticks == sorted(ticks) and ticks[-1] - ticks[0] >= 5, ticks
        # a stream outlives no revocation: its admin token revoked, it ends (within a heartbeat)
        eve = d.ctl("admin-token", "add", "eve").stdout.strip()
        c2 = http.client.HTTPSConnection("127.0.0.1", d.tls_port, timeout=40, context=ctx)
        c2.request("GET", f"/api/v1/hosts/{MAC}/console/live", headers={"Authorization": f"Bearer {eve}"})
        r2 = c2.getresponse()
        assert r2.status == 200
        while not r2.readline().startswith(b"data: tick"):  # the newest lines first: ticks among them
            pass
        d.ctl("admin-token", "revoke", "eve")
        deadline = time.monotonic() + 40
        while b"revoked: the end" not in r2.readline():
            assert time.monotonic() < deadline
        r2.read()  # and then its end, not a hang
        c2.close()
        # lifeboatd stopping ends the stream (the client sees its end, not a hang)
        d.stop()
        rest = r.read()
        assert isinstance(rest, bytes)
        c.close()
        assert "stopping" in d.log_path.read_text()
        assert d.proc.returncode == 0, d.log_path.read_text()[-2000:]
    finally:
        fake.stop()


def test_a_flooding_console_costs_a_bounded_amount(lifeboatd, tmp_path):
    fake = FakeConsole(tmp_path, mode="flood", seconds=8)
    try:
        d = lifeboatd(tls=True)
        capture(d, fake, tmp_path)
        d.wait_log("capturing the serial console", 30)
        fake.power_on()
        # boots are answered all the while
        slowest = 0
        for i in range(16):
            t = time.monotonic()
            status, _, body = d.request("GET", f"/boot.ipxe?mac=52:54:00:00:01:{i:02x}&ip=127.0.0.1")
            slowest = max(slowest, time.monotonic() - t)
            assert status == 200 and b"booting from the next device" in body
            time.sleep(0.5)
        deadline = time.monotonic() + 30
        while "lines left out" not in console(d, "--since", "10m"):
            assert time.monotonic() < deadline, console(d, "--since", "10m")[-2000:]
            time.sleep(1)
        text = console(d, "--since", "10m")
        per_second = {}
        for stamp in re.findall(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.\d{3} flood line", text, re.M):
            per_second[stamp] = per_second.get(stamp, 0) + 1
        assert per_second and max(per_second.values()) <= 400, per_second  # 200 a second (a write may carry two)
        assert re.search(r"lifeboatd: \(\d+ lines left out: the console printed more than 200 a second\)", text)
        assert slowest < 5, slowest
    finally:
        fake.stop()


def test_two_lifeboatd_on_one_database_capture_a_console_once(lifeboatd, tmp_path):
    """The lease: one of two lifeboatd captures; when it stops, the other
    takes over (its lease given up at stop), and typing through either
    reaches the console."""
    db = f"sqlite:{tmp_path}/shared.db"
    fake = FakeConsole(tmp_path)
    try:
        a = lifeboatd(tls=True, database=db)
        b = lifeboatd(tls=True, database=db)
        capture(a, fake, tmp_path)
        fake.power_on()
        deadline = time.monotonic() + 30
        while True:
            logs = [x.log_path.read_text().count("capturing the serial console") for x in (a, b)]
            if sum(logs) >= 1:
                break
            assert time.monotonic() < deadline, "nobody captures"
            time.sleep(0.5)
        time.sleep(12)  # two more scans each: still one capture
        logs = [x.log_path.read_text().count("capturing the serial console") for x in (a, b)]
        assert sorted(logs) == [0, 1], logs
        holder, other = (a, b) if logs[0] else (b, a)
        status, _, _ = other.request("POST", f"/api/v1/hosts/{MAC}/console/input",
                                     body=json.dumps({"data": "via the other\r"}),
                                     headers={"Content-Type": "application/json"}, admin=True, tls=True)
        assert status == 202
        deadline = time.monotonic() + 20
        while b"via the other\r" not in fake.received.read_bytes():
            assert time.monotonic() < deadline, fake.received.read_bytes()
            time.sleep(0.2)
        holder.stop()
        other.wait_log("capturing the serial console", 30)
        # the console is still captured: new ticks arrive through the other
        before = console(other, "--since", "10m").count("tick")
        deadline = time.monotonic() + 20
        while console(other, "--since", "10m").count("tick") <= before + 2:
            assert time.monotonic() < deadline, "no new lines after the take-over"
            time.sleep(1)
    finally:
        fake.stop()
