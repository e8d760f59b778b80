"""End-to-end: the payload boots in QEMU and an SSH login runs a command."""

import os

import pytest

# Deadlines per marker (TCG, no KVM): generous, each bounded.
IPXE_DEADLINE = 60
KERNEL_DEADLINE = 90
READY_DEADLINE = 120
SSH_DEADLINE = 60

DIRECT_ARGS = "console=ttyS0,115200n8 panic=-1 random.trust_cpu=on"


def netdev(extra=""):
    return ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22{extra}"]


def assert_login_works(vm):
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("echo lifeboat-ok-$((6*7)); cat /proc/cmdline; id -u")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "lifeboat-ok-42"
    assert lines[2] == "0"
    return lines[1]


def write_boot_script(srv, pub, extra_args=""):
    """What the boot server will answer: set the payload location and the
    kernel arguments, then chain our rescue script."""
    base = f"http://10.0.2.2:{srv.server_address[1]}"
    (srv.root / "boot.ipxe").write_text(
        "#!ipxe\n"
        f"set lifeboat-base {base}/payload\n"
        f"set lifeboat-args panic=-1 random.trust_cpu=on lifeboat.sshkey=\"{pub}\" {extra_args}\n"
        f"chain {base}/rescue.ipxe\n")
    return f"{base}/boot.ipxe"


def test_direct_kernel_dhcp(vms, out_dir, ssh_key):
    """Fast path: -kernel/-initrd, virtio-net, DHCP from QEMU's slirp."""
    key, pub = ssh_key
    vm = vms("direct-dhcp", [
        "-kernel", os.path.join(out_dir, "bzImage"),
        "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
        "-append", f'{DIRECT_ARGS} lifeboat.sshkey="{pub}"',
        *netdev(), "-device", "virtio-net-pci,netdev=n0",
    ], ssh_key=key)
    vm.wait_for("Linux version", KERNEL_DEADLINE)
    vm.wait_for("lifeboat: agent", READY_DEADLINE)
    vm.wait_for("lifeboat: DHCP lease on eth0", READY_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    cmdline = assert_login_works(vm)
    assert "lifeboat.sshkey=" in cmdline
    # the summary block names the address and both host-key fingerprints
    log = vm.log()
    assert "ssh root@10.0.2.15" in log
    assert "host key ed25519  SHA256:" in log
    assert "host key ecdsa    SHA256:" in log


def test_direct_kernel_static_ip(vms, out_dir, ssh_key):
    """ip= in the kernel's syntax, static: no DHCP client may run."""
    key, pub = ssh_key
    vm = vms("direct-static", [
        "-kernel", os.path.join(out_dir, "bzImage"),
        "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
        "-append", f'{DIRECT_ARGS} lifeboat.sshkey="{pub}" '
                   "ip=10.0.2.15::10.0.2.2:255.255.255.0:rescue-static:eth0:off:10.0.2.3",
        *netdev(), "-device", "e1000,netdev=n0",
    ], ssh_key=key)
    vm.wait_for("lifeboat: configuring eth0: 10.0.2.15/24", READY_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("hostname; cat /etc/resolv.conf; ip route show default; pidof udhcpc || echo no-dhcp")
    assert r.returncode == 0, r.stderr
    out = r.stdout.splitlines()
    assert out[0] == "rescue-static"
    assert "nameserver 10.0.2.3" in out
    assert any(l.startswith("default via 10.0.2.2 dev eth0") for l in out)
    assert out[-1] == "no-dhcp"


def test_ipxe_rom_boot_static_server(vms, http_server, ssh_key):
    """The payload can also come from any web server or CDN: the stock
    iPXE NIC ROM runs out/rescue.ipxe from a plain HTTP server."""
    key, pub = ssh_key
    url = write_boot_script(http_server, pub)
    vm = vms("ipxe-static-server", [
        *netdev(f",bootfile={url}"), "-device", "e1000,netdev=n0,mac=52:54:00:12:34:56",
        "-boot", "n",
    ], ssh_key=key)
    vm.wait_for("iPXE", IPXE_DEADLINE)
    vm.wait_for("Lifeboat: loading the rescue system", IPXE_DEADLINE)
    vm.wait_for("Linux version", KERNEL_DEADLINE)
    vm.wait_for("lifeboat: BOOTIF 52:54:00:12:34:56 is eth0", READY_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    # no lifeboatd to fetch it from: the toolbox came as the second initrd
    vm.wait_for("lifeboat: toolbox: checked (SHA-256), mounted on /run/lifeboat/toolbox from the second initrd",
                READY_DEADLINE)
    cmdline = assert_login_works(vm)
    assert "BOOTIF=01-52-54-00-12-34-56" in cmdline
    served = http_server.requests
    assert "/boot.ipxe" in served and "/payload/initramfs.cpio.xz" in served, served
    assert "/payload/toolbox.cpio" in served, served
