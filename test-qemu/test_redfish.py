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
from test_security import REAL_KEY, post, report
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


def next_cycle_boots_the_disk(d, console, shown):
    """A power cycle through lifeboatd, and the VM's console says it booted its disk."""
    before = console().count("Booting from Hard Disk")
    assert ctl(d, "power", MAC, "cycle").stdout == f"{MAC}: power cycle: done\n"
    deadline = time.monotonic() + 120
    while console().count("Booting from Hard Disk") <= before:
        assert time.monotonic() < deadline, f"the disk did not boot; QEMU: {shown}\n{console()[-3000:]}"
        time.sleep(0.5)


def test_redfish_clients_accept_the_emulator(lifeboatd, emulators, certs, monkeypatch):
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
    image = lifeboatd().local("/payload/rescue.ipxe")  # the emulator fetches what it inserts (Range)
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
    cd.insert_media(image)
    cd.refresh()
    assert cd.image == image and cd.inserted and e.fetches[0][0] == "HEAD"
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
    next_cycle_boots_the_disk(d, console, shown)
    assert not e.sessions, "a session was left logged in"
    assert PASSWORD not in d.log_path.read_text() and PASSWORD not in ctl(d, "events", MAC).stdout


@pytest.mark.parametrize("mode", ["generic", "hpe", "supermicro", "dell", "weaketag", "nosessions", "multi", "offon"])
def test_each_quirk_mode(lifeboatd, emulators, certs, tmp_path, mode):
    d = lifeboatd(tls=True)
    e = emulator(emulators, certs, mode=mode)
    assert set_bmc(d, e, tmp_path, "--pin", pin_of(certs / "server.crt")).returncode == 0
    if mode in ("hpe", "offon"):  # hpe: just powered on, in POST; offon: a cycle to do
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
    if mode == "offon":  # no cycle of its own: off, then on
        kinds = [t["kind"] for t in e.tasks.values()]
        assert kinds[-3:] == ["ForceOff", "On", "ForceOff"], kinds
    if mode == "multi":  # the host's system, found by its MAC; nothing sent to the other
        assert not any(m in ("POST", "PATCH") and p.startswith("/redfish/v1/Systems/2") for m, p, _ in e.log)
        other = "52:54:00:ab:cd:ef"
        pw = tmp_path / "rf-password"
        ctl(d, "bmc", other, "--driver", "redfish", "--address", e.url, "--user", USER, "--password-file", str(pw),
            "--ca", str(certs / "ca.crt"))
        r = ctl(d, "power", other, "status", check=False)
        assert r.returncode == 1 and f"has 2 systems (2, 1), none with the host's MAC {other}" in r.stderr, r.stderr
        ctl(d, "bmc", other, "--driver", "redfish", "--address", e.url, "--user", USER, "--password-file", str(pw),
            "--ca", str(certs / "ca.crt"), "--system", "2")
        assert ctl(d, "power", other, "status").stdout == f"{other}: power off\n"


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


# ---- virtual media (server/store/hostmedia.c, server/lifeboatd/media.c) --------------------------

MEDIA_URL = ["--media-url", "https://127.0.0.1:@TLSPORT@"]  # how the emulator (the BMC) reaches lifeboatd


def iso_token(path):
    """The token lifeboatd wrote into the ISO the BMC fetched."""
    data = open(path, "rb").read()
    words = {w for w in data.split() if w.startswith(b"lifeboat.token=")}
    assert len(words) == 1, words  # isolinux.cfg and grub.cfg say the same
    return words.pop().split(b"=", 1)[1].decode()


def key_of(image):
    """The ISO URL's key: /media/<key>/lifeboat.iso."""
    return image.split("/media/", 1)[1].split("/", 1)[0]


def test_rescue_through_virtual_media_without_pxe(lifeboatd, emulators, certs, ssh_key, tmp_path):
    """No DHCP boot file, no PXE: the VM's disk first in its order, the
    rescue ISO inserted through Redfish and booted by the one-time Cd
    override; the agent claims its session with the token from the ISO;
    SSH with a verified host key; then the media is ejected and the next
    cycle boots the disk."""
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True, extra=MEDIA_URL)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = VM("rf-media", str(tmp_path), [
        "-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22",  # no bootfile: nothing to netboot
        "-device", f"e1000,netdev=n0,mac={MAC},romfile=", "-drive", f"file={disk},format=raw,if=virtio",
        "-boot", "order=c"], ssh_key=key)
    cmd, shown = vm_command(vm)
    open(vm.log_path, "w").close()
    e = emulator(emulators, certs, vm=PowerVM(cmd, log=str(tmp_path / "qemu.out")))
    assert set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt")).returncode == 0

    r = ctl(d, "rescue", MAC, "--once", "--media", timeout=90)
    assert "the rescue ISO is in its BMC's virtual CD" in r.stdout, r.stdout + r.stderr
    image = e.media["Image"]
    assert image.startswith(f"https://127.0.0.1:{d.tls_port}/media/") and image.endswith("/lifeboat.iso")
    # read as a BMC reads it: HEAD, then ranges, each a 206
    assert e.fetches[0][:2] == ("HEAD", None) and all(s == 206 for m, _, s in e.fetches[1:]) and len(e.fetches) > 5
    assert e.boot["BootSourceOverrideTarget"] == "Cd"

    def console():
        return open(vm.log_path, errors="replace").read()

    deadline = time.monotonic() + 180
    while "Linux version" not in console():
        assert time.monotonic() < deadline, f"the ISO did not boot; QEMU: {shown}\n{console()[-3000:]}"
        time.sleep(0.5)
    assert "Booting from DVD/CD" in console() and "Booting from Hard Disk" not in console() and "iPXE" not in console()
    r = ctl(d, "ssh", MAC, "--via", f"127.0.0.1:{vm.ssh_port}", "-i", key, "--deadline", str(READY_DEADLINE + 60),
            "--", "cat", "/proc/cmdline", timeout=READY_DEADLINE + 120)
    assert r.returncode == 0 and "StrictHostKeyChecking=yes" in r.stderr, r.stderr
    assert f"lifeboat.token={iso_token(e.media_dir + '/cd.iso')}" in r.stdout
    assert f"lifeboat.server=https://10.0.2.2:{d.tls_port}" in r.stdout and "lifeboat.tlspin=sha256:" in r.stdout
    host = json.loads(ctl(d, "show", MAC).stdout)
    assert host["session"]["bound"] == "127.0.0.1" and "key_sha256" not in host["media"]

    # ejected once SSH was up; its URL answers no more
    deadline = time.monotonic() + 60
    while e.media["Inserted"] or json.loads(ctl(d, "show", MAC).stdout)["media"]["state"] != "ejected":
        assert time.monotonic() < deadline, f"not ejected: {e.media}\n{ctl(d, 'events', MAC).stdout}"
        time.sleep(0.5)
    status, _, _ = d.request("GET", f"/media/{key_of(image)}/lifeboat.iso", tls=True)
    assert status == 404
    events = ctl(d, "events", MAC).stdout
    for line in ("session claimed: a rescue ISO for the BMC's virtual media", "the rescue ISO inserted",
                 "the rescue ISO fetched by 127.0.0.1 (the BMC)", "power on by", "the rescue ISO ejected (SSH is up)"):
        assert line in events, events

    # the next cycle boots the disk: the override was once, the CD is empty
    next_cycle_boots_the_disk(d, console, shown)
    assert not e.sessions and PASSWORD not in d.log_path.read_text()


@pytest.mark.parametrize("mode", ["generic", "supermicro"])
def test_the_iso_url_gives_the_iso_only_to_its_bmc(lifeboatd, emulators, certs, tmp_path, mode):
    """What an attacker on the management network tries with the ISO's URL
    and the token: each refused. And an eject takes only what is ours."""
    d = lifeboatd(tls=True, extra=MEDIA_URL)
    e = emulator(emulators, certs, mode=mode)
    assert set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt")).returncode == 0
    r = ctl(d, "rescue", MAC, "--once", "--media", check=False, timeout=90)
    assert r.returncode == 0, r.stdout + r.stderr
    image = e.media["Image"]
    key = key_of(image)
    iso = e.vm.cdrom
    token = iso_token(iso)
    path = f"/media/{key}/lifeboat.iso"
    if mode == "supermicro":  # InsertMedia with Image alone; its virtual CD is UsbCd
        assert e.boot["BootSourceOverrideTarget"] == "UsbCd"
    # the BMC's copy is the payload's ISO with this session's arguments, nothing else changed
    plain = open(os.path.join(REPO, "out", "lifeboat-media.iso"), "rb").read()
    mine = open(iso, "rb").read()
    assert len(mine) == len(plain) and b"@@LIFEBOAT-SESSION-ARGUMENTS@@" not in mine
    mark = b"@@LIFEBOAT-SESSION-ARGUMENTS@@"
    regions = []
    i = plain.find(mark)
    while i >= 0:
        regions.append(i)
        i = plain.find(mark, i + 1)
    assert len(regions) == 2  # isolinux.cfg, grub.cfg
    length = len(mark) + 1400
    copy = bytearray(mine)
    for r0 in regions:
        args = bytes(copy[r0:r0 + length])
        assert b" BOOTIF=01-52-54-00-12-34-56 " in args and b"#" not in args, args[:200]
        copy[r0:r0 + length] = plain[r0:r0 + length]
    assert bytes(copy) == plain  # nothing else differs
    # from another address: refused (it is for the BMC's, 127.0.0.1)
    status, _, body = d.request("GET", path, tls=True, source="127.0.0.2")
    assert status == 403 and b"for another address" in body
    # a guessed key, the token as a key, another file under the key: nothing
    for p in (f"/media/{key[:-1]}{'A' if key[-1] != 'A' else 'B'}/lifeboat.iso", f"/media/{token}/lifeboat.iso",
              f"/media/{key}/../payload/bzImage", f"/media/{key}/bzImage", f"/media/{key}"):
        assert d.request("GET", p, tls=True)[0] == 404, p
    # the key is no token; the token (not yet used) reports and binds
    assert post(d, key, report("10.0.2.15", REAL_KEY), "127.0.0.1")[0] == 403
    # the unpatched ISO in the payload carries no session
    status, _, body = d.request("GET", "/payload/lifeboat-media.iso", headers={"Range": "bytes=0-1048575"})
    assert status == 206 and token.encode() not in body
    # Range from the BMC's address: the bytes as its copy has them
    status, hdrs, body = d.request("GET", path, tls=True, headers={"Range": "bytes=-300000"})
    assert status == 206 and body == mine[-300000:], hdrs
    assert d.request("GET", path, tls=True, headers={"Range": f"bytes={len(mine)}-"})[0] == 416
    # meanwhile the admin put an image of their own into the CD: the eject leaves it
    e.vm.eject()
    e.media.update(Image="http://tools.example/admin.iso", Inserted=True)
    status, _, _ = post(d, token, report("10.0.2.15", REAL_KEY), "127.0.0.1")
    assert status == 200
    assert json.loads(ctl(d, "show", MAC).stdout)["session"]["bound"] == "127.0.0.1"
    # ssh-ready: the URL dead even for the BMC
    deadline = time.monotonic() + 30
    while json.loads(ctl(d, "show", MAC).stdout)["media"]["state"] != "ejected":
        assert time.monotonic() < deadline, ctl(d, "events", MAC).stdout
        time.sleep(0.3)
    assert e.media["Image"] == "http://tools.example/admin.iso" and e.media["Inserted"]
    assert d.request("GET", path, tls=True)[0] == 404
    e.media.update(Image=None, Inserted=False)
    # the API and the log show no key, no token
    _, _, api = d.request("GET", f"/api/v1/hosts/{MAC}", admin=True, tls=True)
    for text in (api.decode(), d.log_path.read_text(), ctl(d, "events", MAC).stdout):
        assert key not in text and token not in text
    # a new session: the old ISO's token is dead
    ctl(d, "rescue", MAC, "--once", "--media", timeout=90)
    assert key_of(e.media["Image"]) != key
    assert post(d, token, report("10.0.2.15", REAL_KEY, phase="booted"), "127.0.0.1")[0] == 403


def test_virtual_media_refused_without_a_bmc_that_has_it(lifeboatd, emulators, certs, tmp_path):
    d = lifeboatd(tls=True, extra=MEDIA_URL)
    r = ctl(d, "rescue", MAC, "--media", check=False)
    assert r.returncode == 2 and "cannot use --media without --once" in r.stderr
    r = ctl(d, "rescue", MAC, "--once", "--media", check=False)
    assert r.returncode == 1 and "BMC" in r.stderr, r.stderr
    pw = tmp_path / "pw"
    pw.write_text("secret\n")
    ctl(d, "bmc", MAC, "--driver", "ipmi", "--address", "127.0.0.1", "--user", "admin", "--password-file", str(pw))
    r = ctl(d, "rescue", MAC, "--once", "--media", check=False)
    assert r.returncode == 1 and "from virtual media: the ipmi driver has none" in r.stderr, r.stderr
    assert d.host(MAC)["policy"] == "normal"  # nothing armed
    # a BMC without a virtual CD: armed, and said
    e = emulator(emulators, certs, mode="nomedia")
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    r = ctl(d, "rescue", MAC, "--once", "--media", check=False, timeout=90)
    assert r.returncode == 1 and "the system has no virtual CD" in r.stderr, r.stderr
    host = d.host(MAC)
    assert host["media"]["state"] == "failed" and host["session"]["state"] == "armed"  # unclaimed, as after --reset
    # an iDRAC: its Cd override would boot the physical drive: refused, nothing inserted, nothing reset
    e = emulator(emulators, certs, mode="dell")
    set_bmc(d, e, tmp_path, "--ca", str(certs / "ca.crt"))
    r = ctl(d, "rescue", MAC, "--once", "--media", check=False, timeout=90)
    assert r.returncode == 1 and "boots the physical drive of a Dell BMC" in r.stderr, r.stderr
    assert not e.media["Inserted"] and not e.vm.on() and not e.fetches
