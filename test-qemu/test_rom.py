"""Our iPXE ROM (ipxe/embed.ipxe embedded; make rom). iPXE's source is not
in Debian's archive here: these tests need IPXE_SRC=/path/to/ipxe and are
skipped, saying so, without it."""

import os
import subprocess

import pytest

from test_boot import READY_DEADLINE, SSH_DEADLINE

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IPXE_SRC = os.environ.get("IPXE_SRC", "")
MAC = "52:54:00:12:34:56"

pytestmark = pytest.mark.skipif(not IPXE_SRC, reason="needs an iPXE tree: make check IPXE_SRC=/path/to/ipxe")


def build_rom(out_dir, server, trust=None, https=False):
    """The e1000 ROM (QEMU's 8086:100e) for this SERVER; the work tree is
    kept, so a second build only relinks with the new script."""
    rom_dir = os.path.join(out_dir, "build", "ipxe-test-https" if https else
                           "ipxe-test-trust" if trust else "ipxe-test")
    env = dict(os.environ, LIFEBOAT_ROM_NO_EFI="1")
    r = subprocess.run(["sh", os.path.join(REPO, "build", "ipxe-rom.sh"), IPXE_SRC, rom_dir, server, "8086100e",
                        "1" if https else "", trust or ""], capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return os.path.join(rom_dir, "8086100e.rom")


def test_our_rom_needs_no_dhcp_bootfile(vms, lifeboatd, ssh_key, out_dir):
    """The ROM knows the server: plain DHCP (no bootfile) is enough."""
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n")
    d.ctl("rescue", MAC, "--once", "--nat")
    rom = build_rom(out_dir, d.guest_url(""))
    vm = vms("our-rom", ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22",
                         "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}", "-boot", "n"], ssh_key=key)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 90)
    d.wait_phase(MAC, "ssh-ready", READY_DEADLINE + 60, vm)
    vm.wait_ssh(SSH_DEADLINE)


def test_dead_server_falls_through_within_the_bound(vms, out_dir, tmp_path):
    """Nothing listens at SERVER: 4 tries, then the next boot device."""
    from lifeboat_vm import free_port
    rom = build_rom(out_dir, f"http://10.0.2.2:{free_port()}")
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = vms("our-rom-dead-server", ["-netdev", "user,id=n0",
                                     "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}",
                                     "-drive", f"file={disk},format=raw,if=virtio", "-boot", "order=nc"])
    vm.wait_for("(try 4 of 4)", 120)
    elapsed = vm.wait_for("Lifeboat: no boot server: booting from the next device", 60)
    vm.wait_for("Booting from Hard Disk...", 30)
    assert elapsed < 120


def make_pki(d):
    """A CA, and a code-signing certificate it issued (what iPXE wants)."""
    run = lambda *a: subprocess.run(a, check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
        "-days", "30", "-subj", "/CN=Lifeboat test CA", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "signer.key", "-out", "signer.csr",
        "-subj", "/CN=Lifeboat payload signer")
    (d / "ext").write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=codeSigning\n")
    run("openssl", "x509", "-req", "-in", "signer.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "signer.crt", "-days", "30", "-extfile", "ext")
    return d / "ca.crt", d / "signer.key", d / "signer.crt"


def signed_payload(out_dir, d, key, crt):
    payload = d / "payload"
    payload.mkdir()
    for f in ("bzImage", "initramfs.cpio.xz"):
        (payload / f).write_bytes(open(os.path.join(out_dir, f), "rb").read())
    subprocess.run(["sh", os.path.join(REPO, "build", "sign.sh"), str(key), str(crt),
                    str(payload / "bzImage"), str(payload / "initramfs.cpio.xz")], check=True,
                   capture_output=True)
    return payload


def test_signed_payload_boots_and_a_tampered_one_does_not(vms, lifeboatd, ssh_key, out_dir, tmp_path):
    key, pub = ssh_key
    ca, skey, scrt = make_pki(tmp_path)
    payload = signed_payload(out_dir, tmp_path, skey, scrt)
    d = lifeboatd(keys=pub + "\n", payload_dir=str(payload))
    d.ctl("rescue", MAC, "--nat")
    rom = build_rom(out_dir, d.guest_url(""), trust=str(ca))
    vm = vms("signed", ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22",
                        "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}", "-boot", "n"], ssh_key=key)
    vm.wait_for("Linux version", 120)
    d.wait_phase(MAC, "ssh-ready", READY_DEADLINE, vm)
    vm.stop()
    # one byte changed after signing: iPXE must refuse, and go on to the disk
    data = bytearray((payload / "initramfs.cpio.xz").read_bytes())
    data[len(data) // 2] ^= 0x01
    (payload / "initramfs.cpio.xz").write_bytes(bytes(data))
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = vms("tampered", ["-netdev", "user,id=n0",
                          "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}",
                          "-drive", f"file={disk},format=raw,if=virtio", "-boot", "order=nc"])
    vm.wait_for("Could not verify", 120)
    vm.wait_for("Lifeboat: cannot boot the rescue system: booting from the next device", 30)
    # the ROM tries 4 times (a download may fail for a passing reason), then the disk
    vm.wait_for("Lifeboat: no boot server: booting from the next device", 180)
    vm.wait_for("Booting from Hard Disk...", 30)
    assert "Linux version" not in vm.log()


def test_https_rom_boots_over_https_with_the_ca_pinned(vms, lifeboatd, ssh_key, out_dir, tmp_path):
    """make rom HTTPS=1 TRUST=ca.crt: the script (with the token and the
    kernel arguments) and the payload come over TLS from lifeboatd, checked
    against the pinned CA; ssh with the reported host key works. A ROM that
    pins another CA (what a man in the middle would present) gets nothing
    and goes on to the disk."""
    import re
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    d.ctl("rescue", MAC, "--once", "--nat")
    server = f"https://10.0.2.2:{d.tls_port}"
    rom = build_rom(out_dir, server, trust=str(d.ca / "ca.crt"), https=True)
    vm = vms("https-rom", ["-netdev", "user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22",
                           "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}", "-boot", "n"], ssh_key=key)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 120)
    d.wait_phase(MAC, "ssh-ready", READY_DEADLINE + 60, vm)
    log = d.log_path.read_text()
    for path in ("/boot.ipxe", "/payload/bzImage", "/payload/initramfs.cpio.xz"):
        assert f'127.0.0.1 tls "GET {path}" 200' in log, path
        assert not re.search(f'127.0.0.1 "GET {re.escape(path)}"', log), f"{path} went in clear"
    # the agent, given the certificate's pin by that script, reports and
    # fetches its keys over TLS too
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys", 60)
    log = d.log_path.read_text()
    assert '127.0.0.1 tls "POST /api/v1/status" 200' in log and f'tls "GET /api/v1/keys/{MAC}" 200' in log
    assert not re.search(r'127\.0\.0\.1 "(POST /api/v1/status|GET /api/v1/keys)', log), "the agent went in clear"
    # and the toolbox, from the https payload URL the script passed
    host = d.wait_phase(MAC, "tools-ready", READY_DEADLINE, vm)
    assert host["report"]["tools"] == f"ready from {server}/payload/toolbox.squashfs", host["report"]["tools"]
    d.wait_log('127.0.0.1 tls "GET /payload/toolbox.squashfs" 200')
    assert '127.0.0.1 "GET /payload/toolbox.squashfs"' not in d.log_path.read_text(), "the toolbox came in clear"
    known = tmp_path / "known_hosts"
    known.write_text(d.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys", 60)
    r = subprocess.run(["ssh", "-i", key, "-p", str(vm.ssh_port), "-o", "StrictHostKeyChecking=yes",
                        "-o", f"UserKnownHostsFile={known}", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                        "root@127.0.0.1", "echo verified"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "verified" in r.stdout, r.stderr
    vm.stop()
    # the same server, a ROM that trusts another CA
    other = tmp_path / "other-ca"
    subprocess.run(["sh", os.path.join(REPO, "server", "mkca.sh"), str(other), "10.0.2.2"], check=True,
                   capture_output=True)
    d.ctl("rescue", MAC, "--once", "--nat")
    before = d.log_path.read_text().count('tls "GET /boot.ipxe" 200')
    rom = build_rom(out_dir, server, trust=str(other / "ca.crt"), https=True)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = vms("https-rom-other-ca", ["-netdev", "user,id=n0",
                                    "-device", f"e1000,netdev=n0,mac={MAC},romfile={rom}",
                                    "-drive", f"file={disk},format=raw,if=virtio", "-boot", "order=nc"])
    vm.wait_for("Lifeboat: no boot server: booting from the next device", 180)
    vm.wait_for("Booting from Hard Disk...", 30)
    assert d.log_path.read_text().count('tls "GET /boot.ipxe" 200') == before
    assert d.host(MAC)["session"]["state"] == "armed"  # nothing was claimed
