"""The rescue toolbox (docs/building.md#the-toolbox-ssh-first-then-every-tool): a squashfs the agent takes
after SSH is up, from the second initrd or from lifeboatd, checks against
the SHA-256 built into the image, mounts and links into /."""

import hashlib
import os
import shutil
import time

import pytest

from test_agent import MAC, direct, server_args
from test_boot import DIRECT_ARGS, READY_DEADLINE, SSH_DEADLINE, netdev

TOOLS_DEADLINE = 120  # from "ready": hashing 24 MB and mounting under TCG

# Signs that a command did not run at all: a missing library, interpreter
# or symbol; the shell's "not found"/"cannot execute" (126, 127).
BROKEN = ("error while loading shared libraries", "symbol lookup error", "version `GLIBC", "not found",
          "cannot execute", "Exec format error")

# The commands the issue names, each with what its version output says.
NAMED = {
    "e2fsck -V": "e2fsck 1.47", "mke2fs -V": "mke2fs 1.47", "tune2fs -l /dev/null": "tune2fs 1.47",
    "xfs_repair -V": "xfs_repair version", "mkfs.xfs -V": "mkfs.xfs version",
    "btrfs --version": "btrfs-progs v", "mkfs.btrfs --version": "mkfs.btrfs",
    "fsck.vfat --help": "Usage: fsck.vfat", "ntfsfix --version": "ntfsfix v", "fsck --version": "util-linux",
    "mdadm --version": "mdadm - v4", "lvm version": "LVM version", "pvcreate --version": "LVM version",
    "vgextend --version": "LVM version", "vgreduce --version": "LVM version", "pvmove --version": "LVM version",
    "lvconvert --version": "LVM version", "vgcfgbackup --version": "LVM version",
    "thin_check --version": "0.9", "dmsetup --version": "Library version",
    "cryptsetup --version": "cryptsetup 2", "sfdisk --version": "util-linux", "fdisk --version": "util-linux",
    "sgdisk --version": "GPT fdisk", "gdisk -l /dev/null </dev/null": "GPT fdisk", "parted --version": "parted (GNU parted)",
    "wipefs --version": "util-linux", "partprobe --version": "partprobe (GNU parted)",
    "efibootmgr --version": "version 1", "smartctl --version": "smartctl 7", "nvme version": "nvme version",
    "hdparm -V": "hdparm v", "sg_inq --version": "Version string", "ddrescue --version": "GNU ddrescue",
    "rsync --version": "rsync  version", "tar --version": "GNU tar", "zstd --version": "Zstandard",
    "xz --version": "xz (XZ Utils)", "ethtool --version": "ethtool version", "tcpdump --version": "tcpdump version",
    "ip -V": "iproute2", "ss -V": "iproute2", "dmidecode --version": "3.", "lspci --version": "lspci version",
    "lsusb --version": "lsusb (usbutils)", "ipmitool -V": "ipmitool version", "vi --version": "VIM - Vi IMproved",
    "less --version": "less 590", "bash --version": "GNU bash", "lifeboat-chroot --help": "usage: lifeboat-chroot",
}


def initrds(path, *parts):
    """Writes parts one after another as a boot loader passes several
    initrds: each starting at a multiple of 4 bytes (GRUB, iPXE and
    syslinux pad them so), which the kernel needs to find a plain cpio
    after a compressed one."""
    with open(path, "wb") as f:
        for part in parts:
            with open(part, "rb") as p:
                shutil.copyfileobj(p, f)
            f.write(b"\0" * (-f.tell() % 4))
    return str(path)


def boot_with_toolbox_initrd(vms, out_dir, ssh_key, tmp_path, name, extra=(), memory=256):
    """A boot without lifeboatd: the image and the toolbox as a second
    initrd, one after the other as a boot loader passes them."""
    key, pub = ssh_key
    initrd = initrds(tmp_path / "initrd-with-toolbox", os.path.join(out_dir, "initramfs.cpio.xz"),
                     os.path.join(out_dir, "toolbox.cpio"))
    return vms(name, ["-kernel", os.path.join(out_dir, "bzImage"), "-initrd", initrd,
                      "-append", f'{DIRECT_ARGS} lifeboat.sshkey="{pub}"',
                      *netdev(), "-device", "virtio-net-pci,netdev=n0", *extra], ssh_key=key, memory=memory)


def test_every_toolbox_command_runs(vms, out_dir, ssh_key, tmp_path):
    """Every command in the toolbox runs (--version or the like: its
    libraries, interpreter and data made it), the ones docs/building.md names
    say who they are, they come first in PATH, and lspci/lsusb name the
    devices from their ID databases."""
    vm = boot_with_toolbox_initrd(vms, out_dir, ssh_key, tmp_path, "toolbox-every",
                                  extra=["-device", "qemu-xhci"])
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_for("lifeboat: toolbox: checked (SHA-256), mounted on /run/lifeboat/toolbox from the second initrd",
                TOOLS_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    # every command file of the toolbox, by the name it has in PATH
    script = r"""
        cd /run/lifeboat/toolbox || exit 1
        for f in usr/bin/* usr/sbin/*; do
            n=${f##*/}
            out=$(timeout 10 "/$f" --version </dev/null 2>&1 | head -c 400 | tr '\n' ' ')
            echo "$? /$f $out"
        done
    """
    r = vm.ssh(script, timeout=600)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) > 400, f"only {len(lines)} commands in the toolbox"
    broken = [l for l in lines if any(b in l for b in BROKEN)]
    assert not broken, "commands that do not run:\n" + "\n".join(broken)
    failed = []
    for cmd, want in NAMED.items():
        t = vm.ssh(f"{cmd} 2>&1", timeout=60)
        if want not in t.stdout:
            failed.append(f"{cmd}: {t.stdout[:200]!r}")
    assert not failed, "\n".join(failed)
    r = vm.ssh("for c in pvcreate mdadm vi mount; do command -v $c; done; lspci; "
               "lsusb -v -d 1d6b:0003 2>/dev/null | grep idVendor; ls -ld /etc/lvm /usr/sbin/lvm")
    assert r.stdout.splitlines()[:4] == ["/usr/sbin/pvcreate", "/usr/sbin/mdadm", "/usr/bin/vi", "/usr/bin/mount"], \
        r.stdout
    assert "Virtio network device" in r.stdout  # pci.ids
    assert "0x1d6b Linux Foundation" in r.stdout  # usb.ids
    assert r.stdout.count("\nd") + r.stdout.startswith("d") >= 1 and "-> /run/lifeboat/toolbox/usr/sbin/lvm" in r.stdout
    status = vm.ssh("lifeboat status").stdout
    assert "tools     ready from the second initrd" in status and "phase     tools-ready" in status, status


REPAIR = r"""
set -e
# a RAID1 of two disks, LVM on it, ext4 in a volume, a file to keep
mdadm --create /dev/md0 --level=1 --raid-devices=2 --metadata=1.2 --run /dev/vda /dev/vdb
pvcreate -q /dev/md0
vgcreate -q vg0 /dev/md0
lvcreate -q -L 48M -n data vg0
mkfs.ext4 -q -b 1024 -L data /dev/vg0/data
mkdir -p /mnt/data
mount /dev/vg0/data /mnt/data
head -c 3000000 /dev/urandom > /mnt/data/precious
sha256sum /mnt/data/precious | cut -d' ' -f1 > /tmp/want
umount /mnt/data
vgcfgbackup -q vg0
pv_uuid=$(pvs --noheadings -o pv_uuid /dev/md0 | tr -d ' ')
echo "made: $(cat /tmp/want)"

# the damage: a disk gone, the ext4 superblock zeroed, the LVM label wiped
mdadm /dev/md0 --fail /dev/vdb --remove /dev/vdb
dd if=/dev/zero of=/dev/vg0/data bs=1024 seek=1 count=1 conv=fsync 2>/dev/null
vgchange -q -an vg0
dd if=/dev/zero of=/dev/md0 bs=512 count=8 conv=fsync 2>/dev/null
mdadm --stop /dev/md0
wipefs -q -a /dev/vdb
if mount /dev/vg0/data /mnt/data 2>/dev/null; then echo "damage did not take"; exit 1; fi
echo damaged

# the repair: assemble degraded, restore the PV label and VG metadata from
# the backup, e2fsck from the backup superblock, the disk added back
mdadm --assemble --run /dev/md0 /dev/vda
mdadm --detail /dev/md0 | grep -q 'State : clean, degraded'
pvcreate -q -ff -y --uuid "$pv_uuid" --restorefile /etc/lvm/backup/vg0 /dev/md0
vgcfgrestore -q vg0
vgchange -q -ay vg0
rc=0; e2fsck -fy -b 8193 -B 1024 /dev/vg0/data >/tmp/fsck.log 2>&1 || rc=$?
echo "e2fsck from the backup superblock: $rc"; tail -n 3 /tmp/fsck.log
[ $rc -le 1 ]
e2fsck -fn /dev/vg0/data
mdadm /dev/md0 --add /dev/vdb
mdadm --wait /dev/md0 || true
# md marks the array clean once it has been idle for its safe_mode_delay
# (0.2 s): "active" right after the resync is the same healthy array
for i in $(seq 50); do
    mdadm --detail /dev/md0 | grep -qE 'State : clean *$' && break
    sleep 0.2
done
mdadm --detail /dev/md0 | grep -E 'State :|Active Devices' | tr -s ' ' | tr '\n' ' '
echo
mount -o ro /dev/vg0/data /mnt/data
echo "got: $(sha256sum /mnt/data/precious | cut -d' ' -f1)"
umount /mnt/data

# boot repair: an "installed system" (a static BusyBox) on the volume, and
# a command run in it with /dev, /proc, /sys and /run in place
mount /dev/vg0/data /mnt/data
mkdir -p /mnt/data/bin /mnt/data/dev /mnt/data/proc /mnt/data/sys /mnt/data/run
cp /bin/busybox /mnt/data/bin/busybox
ln -s busybox /mnt/data/bin/sh
lifeboat-chroot /mnt/data /bin/busybox sh -c \
    'test -c /dev/null && test -r /proc/1/status && test -d /sys/block && test -e /dev/pts/ptmx && echo chrooted'
echo "mounts left: $(grep -c ' /mnt/data/' /proc/mounts)"
umount /mnt/data
"""


def test_repair_raid_lvm_and_ext4(vms, out_dir, ssh_key, tmp_path):
    """The repair this toolbox is for, through ssh: a RAID1 under LVM under
    ext4 loses a disk, its PV label and its ext4 superblock; mdadm assembles
    it degraded, pvcreate --restorefile and vgcfgrestore bring the volume
    group back from the backup, e2fsck repairs from a backup superblock,
    the disk is added back and resynced, and the file is intact; then
    lifeboat-chroot runs a command in the "installed system" on it."""
    disks = []
    for n in ("a", "b"):
        disk = tmp_path / f"disk-{n}.img"
        with open(disk, "wb") as f:
            f.truncate(96 * 1024 * 1024)
        disks += ["-drive", f"file={disk},format=raw,if=virtio"]
    vm = boot_with_toolbox_initrd(vms, out_dir, ssh_key, tmp_path, "toolbox-repair", extra=disks)
    vm.wait_for("lifeboat: toolbox: checked", READY_DEADLINE + TOOLS_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh(REPAIR, timeout=600)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    out = r.stdout
    made = out.split("made: ")[1].split()[0]
    assert "damaged" in out
    assert f"got: {made}" in out, out
    assert "State : clean" in out and "Active Devices : 2" in out, out
    assert "\nchrooted\n" in out and "mounts left: 0" in out, out


def tampered_payload(out_dir, tmp_path):
    """A payload directory whose toolbox is the real one with one byte
    changed: what an attacker on the path, or a bad copy, would serve."""
    payload = tmp_path / "payload"
    payload.mkdir()
    for name in ("bzImage", "initramfs.cpio.xz"):
        os.symlink(os.path.join(out_dir, name), payload / name)
    data = bytearray(open(os.path.join(out_dir, "toolbox.squashfs"), "rb").read())
    data[len(data) // 2] ^= 0x01
    (payload / "toolbox.squashfs").write_bytes(bytes(data))
    return payload, hashlib.sha256(data).hexdigest()


def test_tampered_toolbox_is_refused_and_ssh_still_works(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """lifeboatd serves a toolbox that is not the one the image was built
    with: the agent refuses it (phase tools-failed, the report names both
    hashes), mounts nothing, SSH works; once the right toolbox is served,
    the agent's next try mounts it (tools-ready)."""
    key, pub = ssh_key
    payload, bad = tampered_payload(out_dir, tmp_path)
    d = lifeboatd(payload_dir=str(payload))
    want = open(os.path.join(out_dir, "build", "toolbox.sha256")).read().strip()
    url = d.guest_url("/payload/toolbox.squashfs")
    vm = vms("toolbox-tampered", direct(
        out_dir, f'lifeboat.sshkey="{pub}" {server_args(d)} lifeboat.heartbeat=2 lifeboat.toolbox={url}',
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    host = d.wait_phase(MAC, "tools-failed", TOOLS_DEADLINE, vm)
    tools = host["report"]["tools"]
    assert f"refusing the toolbox from {url}: its SHA-256 is {bad}, the image expects {want}" in tools, tools
    status, _, page = d.request("GET", "/", admin=True)
    assert status == 200 and "refusing the toolbox from" in page.decode(), page  # the admin page says why
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("lifeboat status; ls /run/lifeboat; test -e /usr/sbin/lvm && echo LINKED; "
               "grep -c toolbox /proc/mounts")
    assert "tools     failed: refusing the toolbox" in r.stdout, r.stdout
    assert "LINKED" not in r.stdout and r.stdout.splitlines()[-1] == "0", r.stdout
    assert vm.ssh("ls /run/lifeboat").stdout.split().count("toolbox.squashfs") == 0  # the refused download: RAM back
    # the admin puts the right one in place; the agent retries on its own
    os.unlink(payload / "toolbox.squashfs")
    os.symlink(os.path.join(out_dir, "toolbox.squashfs"), payload / "toolbox.squashfs")
    host = d.wait_phase(MAC, "tools-ready", TOOLS_DEADLINE, vm)
    assert host["report"]["tools"] == f"ready from {url}", host["report"]["tools"]
    r = vm.ssh("lvm version | head -1; mdadm --version 2>&1")
    assert "LVM version" in r.stdout and "mdadm - v4" in r.stdout, r.stdout
