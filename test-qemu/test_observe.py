"""What an admin sees without being at the machine: /metrics in
Prometheus' text format (checked by Debian's promtool, unpacked from its
package by make), counting what was done to lifeboatd; webhooks to a
receiver, signed, in order, from a bounded queue; and the rescue
system's own logs and diagnostic bundle."""

import os
import re
import subprocess

import pytest

from test_security import MAC, REAL_KEY, boot, post, report, token_of


def promtool():
    path = os.environ.get("LIFEBOAT_PROMTOOL", "")
    if not os.access(path, os.X_OK):
        pytest.fail("promtool is missing: make check fetches it (LIFEBOAT_PROMTOOL)")
    return path


def metrics(d):
    status, headers, body = d.request("GET", "/metrics", admin=True)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4"), (status, headers)
    return body.decode()


def sample(text, name):
    """The value of one sample line (name with its labels)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in\n{text}")


def test_metrics_count_what_happened_and_promtool_accepts_them(lifeboatd):
    d = lifeboatd()
    # nobody without the admin token
    assert d.request("GET", "/metrics")[0] in (401, 403)
    assert d.request("GET", "/metrics", headers={"Authorization": "Bearer not-a-token"})[0] in (401, 403)
    before = metrics(d)
    assert sample(before, 'lifeboat_boot_decisions_total{outcome="rescue"}') == 0

    d.ctl("rescue", MAC, "--once")
    boot(d, "127.0.0.2", ip="127.0.0.3")                            # ip mismatch: not claimed
    token = token_of(boot(d, "127.0.0.1", ip="127.0.0.1"))           # rescue, claimed
    boot(d, "127.0.0.4", ip="127.0.0.4")                            # another address: conflict
    boot(d, "127.0.0.5", ip="127.0.0.5", mac="52:54:00:00:00:99")   # unknown host: normal
    assert post(d, token, report("127.0.0.1", REAL_KEY), "127.0.0.1")[0] == 200
    assert post(d, "unknown-token-xxxx", report("127.0.0.1", REAL_KEY), "127.0.0.1")[0] == 403
    assert post(d, token, b"{not json", "127.0.0.1")[0] == 400
    assert d.request("GET", "/nothing-here")[0] == 404

    text = metrics(d)
    for name, want in (('lifeboat_boot_decisions_total{outcome="rescue"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="ip_mismatch"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="conflict"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="normal"}', 1),
                       ('lifeboat_conflicts_total', 1),
                       ('lifeboat_reports_total{result="accepted"}', 1),
                       ('lifeboat_reports_total{result="refused"}', 1),
                       ('lifeboat_reports_total{result="invalid"}', 1),
                       ('lifeboat_sessions{state="conflict"}', 1),
                       ('lifeboat_hosts', 1)):
        assert sample(text, name) == want, name
    assert sample(text, 'lifeboat_http_responses_total{code="404"}') >= 1
    assert sample(text, "lifeboat_store_call_seconds_count") > 0
    assert sample(text, 'lifeboat_store_call_seconds_bucket{le="+Inf"}') == sample(
        text, "lifeboat_store_call_seconds_count")
    r = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_metrics_count_tls_connections(lifeboatd):
    d = lifeboatd(tls=True)
    first = sample(metrics_tls(d), "lifeboat_tls_connections_total")
    metrics_tls(d)
    assert sample(metrics_tls(d), "lifeboat_tls_connections_total") >= first + 2


def metrics_tls(d):
    status, _, body = d.request("GET", "/metrics", admin=True, tls=True)
    assert status == 200
    return body.decode()


# ---- webhooks (server/lifeboatd/webhook.c, server/core/webhook.c) ----------------------------

SECRET = "whsec-lifeboat-test-0123456789"


class Receiver:
    """A webhook receiver on 127.0.0.1: keeps what it gets; mode "ok"
    (204), "fail" (500) or "hang" (reads, never answers)."""

    def __init__(self, port=0, mode="ok"):
        import http.server
        import threading
        self.got, self.mode = [], mode
        self.release = threading.Event()
        recv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, fmt, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if recv.mode == "hang":
                    recv.release.wait(30)
                    return
                recv.got.append((dict(self.headers), body))
                self.send_response(204 if recv.mode == "ok" else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def events(self):
        import json
        return [json.loads(b) for _, b in self.got]

    def wait(self, n, timeout):
        import time
        deadline = time.monotonic() + timeout
        while len(self.got) < n:
            assert time.monotonic() < deadline, f"{len(self.got)} of {n} webhooks arrived: {self.events()}"
            time.sleep(0.2)


def verify(headers, body, secret=SECRET, window=300):
    """What a receiver does: the HMAC over timestamp "." body, in constant
    time, and a timestamp it still accepts."""
    import hashlib
    import hmac
    import time
    ts = headers["X-Lifeboat-Timestamp"]
    want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, headers["X-Lifeboat-Signature"]) and abs(time.time() - int(ts)) <= window


def hooked(lifeboatd, tmp_path, url, *extra):
    secret = tmp_path / "webhook.secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o600)
    return lifeboatd(extra=["--webhook-url", url, "--webhook-secret-file", str(secret), *extra])


def rescue(d, mac, **body):
    import json
    status, _, text = d.request("POST", f"/api/v1/hosts/{mac}/rescue", json.dumps(body).encode(),
                                {"Content-Type": "application/json"}, admin=True)
    assert status == 200, text


@pytest.fixture
def receivers():
    made = []
    yield made
    for r in made:
        r.stop()


def test_webhooks_arrive_signed_in_order(lifeboatd, receivers, tmp_path):
    recv = Receiver()
    receivers.append(recv)
    d = hooked(lifeboatd, tmp_path, recv.url)
    rescue(d, MAC, once=True)
    token = token_of(boot(d, "127.0.0.1", ip="127.0.0.1"))
    assert post(d, token, report("127.0.0.1", REAL_KEY), "127.0.0.1")[0] == 200      # ssh-ready
    boot(d, "127.0.0.4", ip="127.0.0.4")                                           # conflict
    other = "52:54:00:00:00:42"
    rescue(d, other, seconds=2)                                                    # expires in 2 s
    recv.wait(3, 30)
    names = [e["event"] for e in recv.events()]
    assert names == ["ssh-ready", "conflict", "expired"], recv.events()
    for (headers, body), e in zip(recv.got, recv.events()):
        assert verify(headers, body), headers
        assert headers["X-Lifeboat-Event"] == e["event"] and e["server"] == d.guest_url("")
    ssh_ready, conflict, expired = recv.events()
    assert ssh_ready["mac"] == MAC and ssh_ready["kind"] == "phase" and "-> ssh-ready" in ssh_ready["text"]
    assert conflict["mac"] == MAC and "127.0.0.4" in conflict["text"]
    assert expired["mac"] == other and expired["kind"] == "session"
    assert len({e["id"] for e in recv.events()}) == 3
    # what a receiver refuses: another body, another secret, an old timestamp
    headers, body = recv.got[0]
    assert not verify(headers, body.replace(b"ssh-ready", b"tools-ready"))
    assert not verify(headers, body, secret="not-the-secret-at-all")
    assert not verify(dict(headers, **{"X-Lifeboat-Timestamp": str(int(headers["X-Lifeboat-Timestamp"]) - 600)}),
                      body)
    assert sample(metrics(d), 'lifeboat_webhooks_total{result="delivered"}') == 3


def test_a_dead_receiver_blocks_nothing_and_loses_nothing_within_the_bound(lifeboatd, receivers, tmp_path):
    hang = Receiver(mode="hang")
    receivers.append(hang)
    d = hooked(lifeboatd, tmp_path, hang.url, "--webhook-events", "policy", "--webhook-queue", "4")
    macs = [f"52:54:00:00:01:{i:02x}" for i in range(6)]
    rescue(d, macs[0])  # its POST hangs (10 s at most)
    # meanwhile boots are answered and changes go on: nothing waits for the receiver
    for i, mac in enumerate(macs[1:]):
        assert "booting from the next device" in boot(d, f"127.0.0.{10 + i}", mac="52:54:00:00:02:00")
        rescue(d, mac)
    text = metrics(d)
    assert sample(text, "lifeboat_webhook_queue") == 4
    assert sample(text, 'lifeboat_webhooks_total{result="dropped"}') == 2  # 6 made, 4 kept
    hang.release.set()
    hang.stop()
    receivers.remove(hang)
    # the receiver back on the same port: the four kept arrive, in order
    recv = Receiver(port=hang.port)
    receivers.append(recv)
    recv.wait(4, 90)
    got = [e["mac"] for e in recv.events()]
    assert got == macs[2:], got
    assert all(verify(h, b) for h, b in recv.got)
    assert "webhook: dropped the event policy" in d.log_path.read_text()


def test_webhook_configuration_is_checked(lifeboatd, tmp_path, out_dir):
    import subprocess as sp
    from lifeboat_vm import free_port
    binary = os.path.join(out_dir, "build", "server", "lifeboatd")
    secret = tmp_path / "s"
    secret.write_text(SECRET)
    secret.chmod(0o644)
    for extra, want in ((["--webhook-url", "http://127.0.0.1:9/x"], "webhook_url needs webhook_secret_file"),
                        (["--webhook-url", "http://127.0.0.1:9/x", "--webhook-secret-file", str(secret)],
                         "readable by others"),
                        (["--webhook-events", "ssh-ready nonsense"], "'nonsense' is not an event"),
                        (["--webhook-url", "ftp://x/"], "is not an http:// or https:// URL")):
        r = sp.run([binary, "--state-dir", str(tmp_path / "st"), "--port", str(free_port()), *extra], capture_output=True,
                   text=True, timeout=20)
        assert r.returncode != 0 and want in r.stderr, (extra, r.stderr)


# ---- the rescue system's logs (agent/logship.c, POST /api/v1/logs) -----------------------------

def test_the_rescue_systems_logs_and_its_bundle_arrive(vms, out_dir, ssh_key, lifeboatd):
    """A direct boot with no toolbox ends in tools-failed: its kernel's
    and agent's lines arrive while it runs, and a diagnostic bundle; the
    endpoint refuses what is not the session's."""
    import time
    from test_agent import direct, server_args
    from test_boot import READY_DEADLINE, netdev
    key, pub = ssh_key
    d = lifeboatd()
    args = server_args(d)
    token = args.split("lifeboat.token=", 1)[1].split()[0]
    vm = vms("logs", direct(out_dir, f'lifeboat.sshkey="{pub}" {args} lifeboat.heartbeat=2 '
                                     f'lifeboat.netconsole={d.netconsole_port}', *netdev(),
                            "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    d.wait_phase(MAC, "tools-failed", 90, vm)
    deadline = time.monotonic() + 60
    while True:
        text = d.ctl("logs", MAC).stdout
        if "lifeboat: ready" in text and "== bundle" in text:
            break
        assert time.monotonic() < deadline, f"logs so far:\n{text[-3000:]}"
        time.sleep(1)
    # the kernel's lines and the agent's, as dmesg has them
    assert re.search(r"^\[ *\d+\.\d{6}\] Linux version ", text, re.M), text[:2000]
    assert re.search(r"^\[ *\d+\.\d{6}\] lifeboat: agent .* starting$", text, re.M)
    assert "== kmsg " in text
    # written to the kernel's log at debug level: once on the console, not twice
    assert vm.log().count("lifeboat: ready\n") == 1
    recent = d.ctl("logs", MAC, "--since", "10m").stdout
    assert "Linux version" in recent and "== " not in recent
    bundle = d.ctl("logs", MAC, "--bundle").stdout
    for part in ("== the agent's phase\ntools-failed", "== disks and partitions", "== md arrays",
                 "== PCI devices and their drivers", "== network interfaces (/sys/class/net)",
                 "== the kernel's command line"):
        assert part in bundle, part
    assert re.search(r"^eth0 address=52:54:00:12:34:56 operstate=up", bundle, re.M), bundle
    # the token on the kernel's command line is left out of both
    assert "Kernel command line:" in text and "lifeboat.token=*" in text and "lifeboat.token=*" in bundle
    assert token not in text and token not in bundle
    assert re.search(r"^0000:00:0\w\.0 vendor=0x1af4 device=0x1000 class=0x020000 driver=virtio-pci", bundle, re.M)
    # what the endpoint refuses: no token, another address, junk, another kind; nothing of it is kept
    def logs(body, tok=token, source="127.0.0.1", kind="kmsg"):
        return d.request("POST", f"/api/v1/logs?kind={kind}", body, {"Authorization": f"Bearer {tok}",
                                                                     "Content-Type": "text/plain"}, source=source)[0]
    assert logs(b"x\n", tok="not-the-token-at-all") == 403
    assert logs(b"forged from elsewhere\n", source="127.0.0.2") == 403
    assert logs(b"a\x00b\n") == 400 and logs(b"a\x1b[2Jb\n") == 400
    assert logs(b"x\n", kind="core") == 400
    assert logs(b"y" * (64 * 1024 + 1)) == 400
    assert logs("not UTF-8: \xff".encode("latin-1")) == 400
    assert "forged from elsewhere" not in d.ctl("logs", MAC).stdout
    assert logs(b"[    9.000000] sent by the test with the session's token\n") == 200
    assert "sent by the test" in d.ctl("logs", MAC).stdout
    # the admin's API: behind the gate
    assert d.request("GET", f"/api/v1/hosts/{MAC}/logs")[0] in (401, 403)
    status, _, body = d.request("GET", f"/api/v1/hosts/{MAC}/logs?kind=bundle", admin=True)
    assert status == 200 and b"== disks and partitions" in body
    assert d.request("GET", f"/api/v1/hosts/{MAC}/logs?since=abc", admin=True)[0] == 400
    r = d.ctl("logs", MAC, "--since", "ten minutes", check=False)
    assert r.returncode == 2 and "not a duration" in r.stderr
    # netconsole: the agent pointed its kernel's console at lifeboatd (its
    # first datagram says so); a datagram from another address is nobody's
    import socket
    forged = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    forged.bind(("127.0.0.2", 0))
    forged.sendto(b"forged netconsole line\n", ("127.0.0.1", d.netconsole_port))
    forged.close()
    # from the session's address (here everything comes from 127.0.0.1, as
    # from behind QEMU's NAT): taken, but no control sequence reaches a reader
    escapes = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    escapes.sendto(b"\x1b]0;pwned\x07seen \x1b[2Jplainly\n", ("127.0.0.1", d.netconsole_port))
    escapes.close()

    def netconsole():
        status, _, body = d.request("GET", f"/api/v1/hosts/{MAC}/logs?kind=netconsole", admin=True)
        assert status == 200
        return body.decode()
    deadline = time.monotonic() + 30
    while "lifeboat: netconsole" not in netconsole():
        assert time.monotonic() < deadline, d.ctl("logs", MAC).stdout[-3000:]
        time.sleep(1)
    said = r"lifeboat: netconsole: the kernel's console lines go to 10\.0\.2\.2:\d+ from 10\.0\.2\.15 on eth0"
    while not re.search(said, d.ctl("logs", MAC).stdout):
        assert time.monotonic() < deadline, d.ctl("logs", MAC).stdout[-3000:]
        time.sleep(1)
    # the rescue kernel crashes while the admin works: no process of ours
    # runs any more, its last lines still arrive
    try:
        vm.ssh("echo c > /proc/sysrq-trigger", timeout=10)
    except Exception:  # the connection dies with the kernel
        pass
    deadline = time.monotonic() + 60
    while "Kernel panic - not syncing" not in netconsole():
        assert time.monotonic() < deadline, f"netconsole so far:\n{netconsole()[-3000:]}\nconsole:\n{vm.log()[-2000:]}"
        time.sleep(1)
    lines = netconsole()
    assert "sysrq: Trigger a crash" in lines
    assert "seen plainly" in lines and "\x1b" not in lines and "pwned" not in lines
    assert "forged netconsole line" not in d.ctl("logs", MAC).stdout
    assert "== netconsole " in d.ctl("logs", MAC).stdout
