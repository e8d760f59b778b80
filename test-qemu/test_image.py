"""End-to-end tests of the images written by initramfs/ (lifeboat-image)."""

import hashlib
import os
import subprocess

import pytest

from test_boot import DIRECT_ARGS, READY_DEADLINE, SSH_DEADLINE, netdev
from test_toolbox import initrds


def boot_direct(vms, out_dir, ssh_key, name, initrd, memory=256, extra=None):
    key, pub = ssh_key
    return vms(name, [
        "-kernel", os.path.join(out_dir, "bzImage"),
        "-initrd", initrd,
        "-append", f'{DIRECT_ARGS} lifeboat.sshkey="{pub}"',
        *netdev(), "-device", "virtio-net-pci,netdev=n0",
        *(extra or []),
    ], ssh_key=key, memory=memory)


@pytest.mark.parametrize("comp", ["lzma", "xz"])
def test_minimal_unpacks_in_64mib(vms, out_dir, ssh_key, comp):
    """The kernel allocates the dictionary the stream header asks for, and
    its xz decoder takes only CRC32: our streams must unpack in small RAM."""
    image = os.path.join(out_dir, "test", f"minimal.cpio.{comp}")
    vm = boot_direct(vms, out_dir, ssh_key, f"minimal-{comp}-64m", image, memory=64)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    assert "Initramfs unpacking failed" not in vm.log()
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("grep MemTotal /proc/meminfo; ls /usr/sbin/e2fsck 2>/dev/null || echo minimal")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[-1] == "minimal"


def test_rescue_profile_as_legacy_lzma_boots(vms, out_dir, ssh_key, tmp_path):
    """make LZMA=1's image (here out/test/rescue.cpio.lzma, the same
    segments as legacy .lzma): the kernel unpacks both segments, the
    second one's end found by its end marker, and the toolbox (a second
    initrd after it) is checked against the SHA-256 the second holds."""
    image = os.path.join(out_dir, "test", "rescue.cpio.lzma")
    with open(image, "rb") as f:
        assert f.read(13)[5:] == b"\xff" * 8  # a legacy .lzma header, size unknown
    # a legacy .lzma stream ends anywhere: the toolbox starts at the next
    # multiple of 4, as a boot loader puts it
    both = initrds(tmp_path / "rescue-lzma-and-toolbox", image, os.path.join(out_dir, "toolbox.cpio"))
    vm = boot_direct(vms, out_dir, ssh_key, "rescue-lzma", both)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    assert "Initramfs unpacking failed" not in vm.log()
    vm.wait_for("lifeboat: toolbox: checked (SHA-256)", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("e2fsck -V 2>&1; lvm version | head -1; cat /proc/cmdline")
    assert r.returncode == 0 and "e2fsck 1.47" in r.stdout, r.stdout + r.stderr


def test_firmware_manifest_takes_what_builtin_drivers_name(out_dir, tmp_path):
    """make FIRMWARE=1's third segment (build/firmware-manifest.sh): the
    files the kernel's built-in drivers name that the unpacked packages
    hold (a symlinked name becomes the file), the packages' copyright
    files; a missing or unsafe name is reported, never followed. Host-only
    (the real packages come from the network: make FIRMWARE=1)."""
    tree = tmp_path / "tree"
    (tree / "lib/firmware/tigon").mkdir(parents=True)
    (tree / "lib/firmware/tigon/tg3.bin").write_bytes(b"tg3")
    (tree / "lib/firmware/intel/ice/ddp").mkdir(parents=True)
    (tree / "lib/firmware/intel/ice/ddp/ice-1.3.30.0.pkg").write_bytes(b"ddp")
    os.symlink("ice-1.3.30.0.pkg", tree / "lib/firmware/intel/ice/ddp/ice.pkg")
    (tree / "usr/share/doc/firmware-misc-nonfree").mkdir(parents=True)
    (tree / "usr/share/doc/firmware-misc-nonfree/copyright").write_text("License: binary-redist-firmware\n")
    (tree / "lib/firmware/rtl_nic").mkdir()
    os.symlink("/etc/hostname", tree / "lib/firmware/rtl_nic/rtl8168d-1.fw")  # out of the tree
    modinfo = tmp_path / "modules.builtin.modinfo"
    modinfo.write_bytes(b"tg3.license=GPL\0tg3.firmware=tigon/tg3.bin\0ice.firmware=intel/ice/ddp/ice.pkg\0"
                        b"bnx2.firmware=bnx2/bnx2-mips-09-6.2.1b.fw\0evil.firmware=../../etc/shadow\0"
                        b"r8169.firmware=rtl_nic/rtl8168d-1.fw\0")
    script = os.path.join(os.path.dirname(__file__), "..", "build", "firmware-manifest.sh")
    r = subprocess.run(["sh", script, str(modinfo), str(tree)], capture_output=True, text=True, check=True)
    lines = [l for l in r.stdout.splitlines() if not l.startswith("#")]
    assert lines == [
        f"file /lib/firmware/intel/ice/ddp/ice.pkg {tree}/lib/firmware/intel/ice/ddp/ice-1.3.30.0.pkg 0644 0 0",
        f"file /lib/firmware/tigon/tg3.bin {tree}/lib/firmware/tigon/tg3.bin 0644 0 0",
        f"file /lib/firmware/LICENSES/firmware-misc-nonfree {tree}/usr/share/doc/firmware-misc-nonfree/copyright "
        "0644 0 0"], r.stdout
    assert "bnx2: firmware bnx2/bnx2-mips-09-6.2.1b.fw is not in the packages" in r.stderr
    assert "evil: firmware name ../../etc/shadow skipped" in r.stderr
    assert "r8169: firmware rtl_nic/rtl8168d-1.fw skipped (a link out of the packages" in r.stderr
    # the image writer takes it: the DDP package as a regular file
    manifest = tmp_path / "firmware.manifest"
    manifest.write_text(r.stdout)
    tool = os.path.join(out_dir, "build", "host", "lifeboat-image")
    subprocess.run([tool, "build", "-o", str(tmp_path / "fw.cpio.xz"), "-b", "x86", str(manifest)], check=True,
                   capture_output=True)
    listing = subprocess.run([tool, "list", str(tmp_path / "fw.cpio.xz")], capture_output=True, text=True,
                             check=True).stdout
    assert any(l.startswith("-rw-r--r--") and l.endswith(" lib/firmware/intel/ice/ddp/ice.pkg")
               for l in listing.splitlines()), listing


def test_rescue_profile_leaves_a_disk_alone(vms, out_dir, ssh_key, tmp_path):
    """The agent never writes a disk: the toolbox mounted (a loop device on
    RAM) and e2fsck -n run, the virtual disk is byte for byte the same."""
    disk = tmp_path / "disk.img"
    subprocess.run(["truncate", "-s", "64M", str(disk)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "lifeboat-test", str(disk)], check=True)
    before = hashlib.sha256(disk.read_bytes()).hexdigest()
    both = initrds(tmp_path / "rescue-and-toolbox", os.path.join(out_dir, "initramfs.cpio.xz"),
                   os.path.join(out_dir, "toolbox.cpio"))
    vm = boot_direct(vms, out_dir, ssh_key, "rescue-e2fsck", both,
                     extra=["-drive", f"file={disk},format=raw,if=virtio"])
    vm.wait_for("lifeboat: toolbox: checked (SHA-256)", READY_DEADLINE * 2)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("e2fsck -n /dev/vda; echo rc=$?", timeout=60)
    assert "lifeboat-test: clean" in r.stdout, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "rc=0"
    vm.stop()
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == before
