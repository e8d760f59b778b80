"""Power control through Redfish (server/power/redfish.c), against the
project's Redfish BMC emulator (redfish_bmc.py: no real Redfish BMC is at
hand and Debian has none to run). That the emulator speaks real Redfish is
shown first: Debian's redfishtool and python3-sushy (Ironic's client
library) drive it. Then lifeboatctl's redfish driver, as from an admin's
laptop through the control API: a powered-off VM into the rescue and a
verified shell, the next cycle to its disk; each quirk mode; and every
failure named, with the session left armed and the password nowhere."""

import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import REPO, SSH_UP
from lifeboat_vm import VM, free_port
from redfish_bmc import VM as PowerVM
from redfish_bmc import Emulator, vm_command
from test_bmc import ctl
from test_boot import READY_DEADLINE

MAC = "52:54:00:12:34:56"
USER, PASSWORD = "root", "Rf-s3cret-pass"


@pytest.fixture
def certs(tmp_path):
    """A CA and the BMC's certificate for 127.0.0.1 (make ca's script)."""
    ca = tmp_path / "bmc-ca"
    subprocess.run(["sh", os.path.join(REPO, "server", "mkca.sh"), str(ca), "127.0.0.1"], check=True,
                   capture_output=True)
    return ca


@pytest.fixture
def emulators():
    made = []
    yield made
    for e in made:
        e.stop()


def emulator(emulators, certs, mode="generic", vm=None, password=PASSWORD):
    e = Emulator(str(certs / "server.crt"), str(certs / "server.key"), USER, password, vm or PowerVM(), mode=mode)
    emulators.append(e)
    return e


def pin_of(cert):
    """libcurl's pin of the certificate's public key: sha256//BASE64."""
    der = subprocess.run(f"openssl x509 -in {cert} -pubkey -noout | openssl pkey -pubin -outform der | "
                         "openssl dgst -sha256 -binary | base64", shell=True, check=True, capture_output=True,
                         text=True).stdout.strip()
    return "sha256//" + der


def set_bmc(d, e, tmp_path, *extra, password=PASSWORD):
    pw = tmp_path / "rf-password"
    pw.write_text(password + "\n")
    return ctl(d, "bmc", MAC, "--driver", "redfish", "--address", e.url, "--user", USER, "--password-file", str(pw),
               *extra, check=False)


def test_redfish_clients_accept_the_emulator(emulators, certs, monkeypatch):
    """Real Redfish clients: redfishtool lists the systems, cycles the power
    and sets a boot override; sushy (with sessions) does the same and
    inserts and ejects virtual media."""
    if shutil.which("redfishtool") is None:
        pytest.fail("redfishtool is missing (make installs it)")
    import sushy
    # requests lets these override a session's own verify=
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs / "ca.crt"))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(certs / "ca.crt"))
    e = emulator(emulators, certs)
    rt = ["redfishtool", "-r", f"127.0.0.1:{e.port}", "-u", USER, "-p", PASSWORD, "-S", "Always", "-A", "Session"]
    env = dict(os.environ, REQUESTS_CA_BUNDLE=str(certs / "ca.crt"))
    r = subprocess.run(rt + ["Systems", "list"], capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0 and "/redfish/v1/Systems/1" in r.stdout, r.stdout + r.stderr
    r = subprocess.run(rt + ["Systems", "-I", "1", "reset", "PowerCycle"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert e.vm.on()
    r = subprocess.run(rt + ["Systems", "-I", "1", "setBootOverride", "Once", "Pxe"], capture_output=True, text=True,
                       timeout=60, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    assert e.boot["BootSourceOverrideTarget"] == "Pxe" and e.boot["BootSourceOverrideEnabled"] == "Once"

    s = sushy.Sushy(e.url, username=USER, password=PASSWORD, verify=str(certs / "ca.crt"))
    system = s.get_system("/redfish/v1/Systems/1")
    assert system.power_state == sushy.POWER_STATE_ON
    system.reset_system(sushy.RESET_FORCE_OFF)
    system.refresh()
    assert system.power_state == sushy.POWER_STATE_OFF and not e.vm.on()
    system.set_system_boot_options(sushy.BOOT_SOURCE_TARGET_HDD, enabled=sushy.BOOT_SOURCE_ENABLED_ONCE)
    assert e.boot["BootSourceOverrideTarget"] == "Hdd"
    cd = s.get_manager("/redfish/v1/Managers/1").virtual_media.get_member("/redfish/v1/Managers/1/VirtualMedia/Cd")
    cd.insert_media("https://boot.example/rescue.iso")
    cd.refresh()
    assert cd.image == "https://boot.example/rescue.iso" and cd.inserted
    cd.eject_media()
    cd.refresh()
    assert not cd.inserted
    assert any(m == "POST" and p == "/redfish/v1/SessionService/Sessions" for m, p, _ in e.log)


def test_rescue_reset_through_redfish_ssh_and_back_to_the_disk(lifeboatd, emulators, certs, ssh_key, tmp_path):
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = VM("rf-vm", str(tmp_path), [
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22,bootfile={d.guest_url('/chain.ipxe')}",
        "-device", f"e1000,netdev=n0,mac={MAC}", "-drive", f"file={disk},format=raw,if=virtio",
        "-boot", "order=c"], ssh_key=key)
    cmd, shown = vm_command(vm)
    open(vm.log_path, "w").close()
    e = emulator(emulators, certs, vm=PowerVM(cmd, log=str(tmp_path / "qemu.out")))
    r = set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    assert r.returncode == 0 and "stored on the boot server" in r.stdout, r.stderr
    show = json.loads(ctl(d, "show", MAC).stdout)["bmc"]
    assert show["driver"] == "redfish" and show["address"] == e.url and show["ca_bytes"] > 0
    assert ctl(d, "power", MAC, "status").stdout == f"{MAC}: power off\n"

    # the disk is first in the VM's own order: only the one-time Pxe
    # override makes it boot from the network into the rescue
    r = ctl(d, "rescue", MAC, "--once", "--nat", "--reset")
    assert "power cycled through its BMC into the rescue" in r.stdout, r.stdout + r.stderr

    def console():
        return open(vm.log_path, errors="replace").read()

    deadline = time.monotonic() + 120
    while f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system" not in console():
        assert time.monotonic() < deadline, f"no rescue script; QEMU: {shown}\n{console()[-3000:]}"
        time.sleep(0.5)
    # the network first, by the override alone: the disk was not tried
    assert "Booting from Hard Disk" not in console().split(f"Lifeboat: {MAC} has policy rescue-once")[0]
    r = ctl(d, "ssh", MAC, "--via", f"127.0.0.1:{vm.ssh_port}", "-i", key, "--deadline", str(READY_DEADLINE + 60),
            "--", "echo", "rescued:", "$(cat /proc/sys/kernel/hostname)", timeout=READY_DEADLINE + 120)
    assert r.stdout.strip() == "rescued: lifeboat", r.stderr
    assert any(f": {p}\n" in r.stderr for p in SSH_UP) and "StrictHostKeyChecking=yes" in r.stderr
    patches = [(p, hdr) for m, p, hdr in e.log if m == "PATCH"]
    assert patches and patches[0][1]["If-Match"] and all(h["Accept-Encoding"] == "identity" for _, h in patches)

    # the next cycle boots the disk: no override, the VM's own order
    before = console().count("Booting from Hard Disk")
    assert ctl(d, "power", MAC, "cycle").stdout == f"{MAC}: power cycle: done\n"
    deadline = time.monotonic() + 120
    while console().count("Booting from Hard Disk") <= before:
        assert time.monotonic() < deadline, f"the disk did not boot; QEMU: {shown}\n{console()[-3000:]}"
        time.sleep(0.5)
    assert not e.sessions, "a session was left logged in"
    assert PASSWORD not in d.log_path.read_text() and PASSWORD not in ctl(d, "events", MAC).stdout


@pytest.mark.parametrize("mode", ["generic", "hpe", "supermicro", "dell", "weaketag", "nosessions"])
def test_each_quirk_mode(lifeboatd, emulators, certs, tmp_path, mode):
    d = lifeboatd(tls=True)
    e = emulator(emulators, certs, mode=mode)
    assert set_bmc(d, e, tmp_path, "--pin", pin_of(certs / "server.crt")).returncode == 0
    if mode == "hpe":  # just powered on: in POST
        ctl(d, "power", MAC, "on")
    r = ctl(d, "rescue", MAC, "--once", "--reset", check=False, timeout=90)
    assert r.returncode == 0 and "power cycled through its BMC into the rescue" in r.stdout, r.stdout + r.stderr
    assert e.vm.on() and e.boot["BootSourceOverrideTarget"] == "Pxe"
    assert not e.sessions
    used = {h["auth"] for m, p, h in e.log if p.startswith("/redfish/v1/Systems")}
    assert used == ({"basic"} if mode == "nosessions" else {"token"}), used
    if mode == "hpe":  # it was refused during POST first, then taken
        assert sum(m == "PATCH" for m, _, _ in e.log) >= 2
    if mode in ("generic", "dell", "supermicro"):  # taken at once, with the right resource's ETag
        assert [bool(h["If-Match"]) for m, _, h in e.log if m == "PATCH"] == [True]
    if mode == "weaketag":  # refused with If-Match, taken without
        assert [bool(h["If-Match"]) for m, _, h in e.log if m == "PATCH"] == [True, True, False]
    assert ctl(d, "power", MAC, "off").stdout == f"{MAC}: power off: done\n" and not e.vm.on()


def test_hostile_answers_are_survived_and_send_nothing_elsewhere(lifeboatd, emulators, certs, tmp_path):
    """A BMC (or whoever answers in its name) that sends what a client
    must not trust: lifeboatd stays up, says what was wrong, sends nothing
    to another host and puts nothing of it into a header line."""
    import socket
    d = lifeboatd(tls=True)
    trap = socket.socket()
    trap.bind(("127.0.0.2", 0))
    trap.listen(4)
    trap.settimeout(0.5)
    try:
        e = emulator(emulators, certs, mode="badpath")
        e.elsewhere = f"127.0.0.2:{trap.getsockname()[1]}"
        set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
        r = ctl(d, "power", MAC, "status", check=False)
        assert r.returncode == 1 and "not a path on it" in r.stderr, r.stderr
        with pytest.raises(socket.timeout):
            trap.accept()  # nothing came to the other host
    finally:
        trap.close()
    e = emulator(emulators, certs, mode="badtypes")
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    r = ctl(d, "power", MAC, "on", check=False)
    assert r.returncode == 1 and "allows no reset for on" in r.stderr, r.stderr
    assert ctl(d, "power", MAC, "status").stdout == f"{MAC}: power off\n"  # still up
    e = emulator(emulators, certs, mode="nulltypes")
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    assert ctl(d, "power", MAC, "on").stdout == f"{MAC}: power on: done\n" and e.vm.on()
    e = emulator(emulators, certs, mode="badetag")
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    assert "power cycled through its BMC" in ctl(d, "rescue", MAC, "--once", "--reset").stdout
    assert e.boot["BootSourceOverrideTarget"] == "Pxe"
    assert all(h["If-Match"] is None and h["X-Injected"] is None for m, _, h in e.log if m == "PATCH")
    # a request without a body carries no form Content-Type (the logout)
    assert all(h["Content-Type"] is None for m, _, h in e.log if m in ("GET", "DELETE"))


def test_redfish_failures_are_named_and_leave_the_session_armed(lifeboatd, emulators, certs, tmp_path):
    d = lifeboatd(tls=True)
    e = emulator(emulators, certs)

    def fails(want, *args):
        r = ctl(d, *args, check=False, timeout=90)
        assert r.returncode == 1 and want in r.stderr, r.stderr
        return r

    # a wrong password
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"), password="not-the-password")
    fails("the BMC refused the credentials", "power", MAC, "status")
    fails("the session is armed, but the power cycle failed", "rescue", MAC, "--once", "--reset")
    assert d.host(MAC)["session"]["state"] == "armed" and not e.vm.on()
    # a certificate that is not the CA's, and a pin that is not its key
    other = tmp_path / "other-ca"
    subprocess.run(["sh", os.path.join(REPO, "server", "mkca.sh"), str(other), "127.0.0.1"], check=True,
                   capture_output=True)
    set_bmc(d, e, tmp_path, "--ca", str(other / "ca.crt"))
    fails("the BMC's certificate did not check out", "power", MAC, "status")
    set_bmc(d, e, tmp_path, "--pin", pin_of(other / "server.crt"))
    fails("the BMC's certificate did not check out", "power", MAC, "status")
    # and no certificate check at all only when told, said where it is set
    r = set_bmc(d, e, tmp_path, "--insecure")
    assert r.returncode == 0 and "WARNING: insecure" in r.stdout
    assert ctl(d, "power", MAC, "status").stdout == f"{MAC}: power off\n"
    assert "insecure" in ctl(d, "events", MAC).stdout and json.loads(ctl(d, "show", MAC).stdout)["bmc"]["insecure"]
    # nothing answers
    dead = f"https://127.0.0.1:{free_port()}"
    pw = tmp_path / "rf-password"
    ctl(d, "bmc", MAC, "--driver", "redfish", "--address", dead, "--user", USER, "--password-file", str(pw),
        "--insecure")
    fails("no answer from the BMC", "power", MAC, "on")
    # a BMC that fails, and a task that never finishes
    for mode, want in (("fail500", "the BMC answered 500: The BMC had an internal error."),
                       ("slowtask", "its task did not finish within 30 s")):
        bad = emulator(emulators, certs, mode=mode)
        set_bmc(d, bad, tmp_path, "--ca", str(certs / "ca.crt"))
        fails(want, "rescue", MAC, "--once", "--reset")
        assert d.host(MAC)["session"]["state"] == "armed"
    # bad definitions, refused before anything is stored
    for extra, want in ((["--address", "http://127.0.0.1:1"], "address"),
                        (["--pin", "sha256//short"], "pin"), (["--insecure", "--ca", str(certs / "ca.crt")], "insecure")):
        args = ["bmc", MAC, "--driver", "redfish", "--address", e.url, "--user", USER, "--password-file", str(pw)]
        i = args.index("--address")
        if extra[0] == "--address":
            args[i + 1] = extra[1]
            extra = []
        r = ctl(d, *args, *extra, check=False)
        assert r.returncode == 2 and want in r.stderr, r.stderr
    # the password: never in lifeboatd's log, the API, the page, an event
    status, _, body = d.request("GET", f"/api/v1/hosts/{MAC}", admin=True, tls=True)
    status2, _, page = d.request("GET", "/", admin=True, tls=True)
    for text in (d.log_path.read_text(), body.decode(), page.decode(), ctl(d, "events", MAC).stdout):
        assert PASSWORD not in text and "not-the-password" not in text
