"""The hybrid ISO (iso/mkiso.sh, what `make iso` runs) under SeaBIOS as a
CD and as a USB stick, under OVMF; the network ISO; and the `server`
kernel profile's storage drivers."""

import os
import shutil
import subprocess

import pytest

from test_boot import READY_DEADLINE, SSH_DEADLINE, netdev

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MAC = "52:54:00:12:34:56"
BOOT_DEADLINE = 120  # firmware + menu timeout + kernel, under TCG


@pytest.fixture(scope="module")
def rescue_iso(out_dir, ssh_key, tmp_path_factory):
    key, pub = ssh_key
    iso = str(tmp_path_factory.mktemp("iso") / "lifeboat.iso")
    subprocess.run(["sh", os.path.join(REPO, "iso", "mkiso.sh"), "rescue", iso,
                    os.path.join(out_dir, "bzImage"), os.path.join(out_dir, "initramfs.cpio.xz"),
                    f'panic=-1 random.trust_cpu=on lifeboat.sshkey="{pub}"', "",
                    os.path.join(out_dir, "toolbox.cpio")], check=True)
    return iso


def boot_and_login(vm):
    vm.wait_for("Linux version", BOOT_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    # the toolbox came as the second initrd of the boot loader's entry
    vm.wait_for("lifeboat: toolbox: checked (SHA-256), mounted on /run/lifeboat/toolbox from the second initrd",
                READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("cat /proc/cmdline; ls /sys/firmware/efi >/dev/null 2>&1 && echo uefi || echo bios")
    assert r.returncode == 0, r.stderr
    return r.stdout.splitlines()


def test_iso_bios_cd(vms, rescue_iso, ssh_key):
    # graphics=on turns SeaBIOS's copy of the screen to the serial port off
    # (QEMU sets etc/sercon-port only without graphics), as on a server whose
    # BIOS does not redirect its console: what the serial log holds is what
    # isolinux itself sends there. That copy also made this test flaky: the
    # screen is mirrored lazily and could split the menu's text.
    vm = vms("iso-bios-cd", [*netdev(), "-device", "virtio-net-pci,netdev=n0", "-machine", "graphics=on",
                             "-drive", f"file={rescue_iso},media=cdrom,readonly=on", "-boot", "d"],
             ssh_key=ssh_key[0])
    vm.wait_for("Lifeboat rescue system", 60)  # menu.c32's title, on the serial port
    vm.wait_for("DHCP on every link, consoles tty0 and ttyS0", 10)
    vm.wait_for("Automatic boot in", 10)
    cmdline, firmware = boot_and_login(vm)
    assert "console=tty0 console=ttyS0,115200n8" in cmdline
    assert firmware == "bios"


def test_iso_bios_usb_stick(vms, rescue_iso, ssh_key, tmp_path):
    stick = tmp_path / "stick.img"
    shutil.copy(rescue_iso, stick)  # dd'd onto a stick: the same bytes
    vm = vms("iso-bios-usb", [*netdev(), "-device", "virtio-net-pci,netdev=n0",
                              "-device", "qemu-xhci,id=xhci",
                              "-drive", f"file={stick},format=raw,if=none,id=stick",
                              "-device", "usb-storage,bus=xhci.0,drive=stick,bootindex=0"],
             ssh_key=ssh_key[0])
    cmdline, firmware = boot_and_login(vm)
    assert firmware == "bios"


def test_iso_uefi(vms, rescue_iso, ssh_key, tmp_path):
    vars_copy = tmp_path / "OVMF_VARS.fd"
    shutil.copy("/usr/share/OVMF/OVMF_VARS_4M.fd", vars_copy)
    vm = vms("iso-uefi", [*netdev(), "-device", "virtio-net-pci,netdev=n0",
                          "-machine", "q35",
                          "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
                          "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
                          "-drive", f"file={rescue_iso},media=cdrom,readonly=on,if=none,id=cd",
                          "-device", "ide-cd,drive=cd,bootindex=0"],
             ssh_key=ssh_key[0], memory=512)
    vm.wait_for("Lifeboat rescue (DHCP, consoles tty0 and ttyS0)", 90)  # GRUB's menu
    cmdline, firmware = boot_and_login(vm)
    assert firmware == "uefi"
    # GRUB re-quotes the whole argument; the key survived (we logged in with it)
    assert '"lifeboat.sshkey=ssh-ed25519 ' in cmdline
    # UEFI variables: efivarfs mounted by the agent, efibootmgr reads them
    r = vm.ssh("grep -c ' /sys/firmware/efi/efivars efivarfs ' /proc/mounts; efibootmgr")
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "1" and "BootCurrent:" in r.stdout, \
        r.stdout + r.stderr


def test_network_iso_fetches_from_lifeboatd(vms, lifeboatd, ssh_key, tmp_path):
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n")
    d.ctl("rescue", MAC, "--nat")
    iso = tmp_path / "net.iso"
    subprocess.run(["sh", os.path.join(REPO, "iso", "mkiso.sh"), "net", str(iso), d.guest_url("")], check=True)
    assert os.path.getsize(iso) < 2 * 1024 * 1024
    vm = vms("netiso", [*netdev(), "-device", f"e1000,netdev=n0,mac={MAC}",
                        "-drive", f"file={iso},media=cdrom,readonly=on", "-boot", "d"], ssh_key=key)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue: booting the rescue system", 90)
    d.wait_phase(MAC, "ssh-ready", READY_DEADLINE + 60, vm)
    vm.wait_ssh(SSH_DEADLINE)


def kernel_profile(out_dir):
    try:
        return open(os.path.join(out_dir, "build", "kernel-profile.stamp")).read().strip()
    except OSError:
        return "?"


def test_server_profile_sees_ahci_and_nvme(vms, out_dir, ssh_key, lifeboatd):
    if kernel_profile(out_dir) != "server":
        pytest.skip("out/bzImage is not KERNEL_PROFILE=server")
    key, pub = ssh_key
    d = lifeboatd()
    token = d.ctl("token", MAC).stdout.strip()
    vm = vms("server-disks", [
        "-kernel", os.path.join(out_dir, "bzImage"),
        "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
        "-append", f'console=ttyS0,115200n8 panic=-1 random.trust_cpu=on lifeboat.sshkey="{pub}" '
                   f"lifeboat.server={d.guest_url('')} lifeboat.token={token} "
                   f"lifeboat.toolbox={d.guest_url('/payload/toolbox.squashfs')}",
        *netdev(), "-device", f"e1000e,netdev=n0,mac={MAC}",
        "-device", "ahci,id=ahci",
        "-blockdev", "driver=null-co,node-name=sata0,size=1073741824",
        "-device", "ide-hd,drive=sata0,bus=ahci.0,serial=SATA-SERIAL-1,model=LB SATA DISK",
        "-blockdev", "driver=null-co,node-name=nvme0,size=2147483648",
        "-device", "nvme,drive=nvme0,serial=NVME-SERIAL-2",
    ], ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    d.wait_phase(MAC, "tools-ready", READY_DEADLINE, vm)  # util-linux's lsblk is in the toolbox
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("lsblk -d -n -b -o NAME,SIZE,TRAN")  # no udev: lsblk has no serials
    rows = {line.split()[0]: line.split()[1:] for line in r.stdout.splitlines()}
    assert rows["sda"] == ["1073741824", "sata"], r.stdout
    assert rows["nvme0n1"] == ["2147483648", "nvme"], r.stdout
    disks = {x["name"]: x for x in d.wait_phase(MAC, "ssh-ready", 30, vm)["report"]["inventory"]["disks"]}
    assert disks["sda"]["serial"] == "SATA-SERIAL-1" and disks["sda"]["model"] == "LB SATA DISK"
    assert disks["nvme0n1"]["serial"] == "NVME-SERIAL-2" and disks["nvme0n1"]["size_bytes"] == 2147483648
