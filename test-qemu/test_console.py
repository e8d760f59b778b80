"""Serial console capture over IPMI Serial-over-LAN (server/lifeboatd/
console.c): OpenIPMI's ipmi_sim relays a QEMU VM's serial port (a TCP
server it connects to, as a BMC's SOL does a server's COM port), and
lifeboatd captures it with ipmitool under a terminal. What a server that
does not come back shows is in `lifeboatctl console` and on the page."""

import json
import os
import re
import signal
import time

import pytest

from conftest import OUT
from test_bmc import PASSWORD, Bmc, ctl, pytestmark  # noqa: F401 (skips without ipmi_sim)

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
    raw = console(d, "--raw")
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
