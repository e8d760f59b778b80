"""End-to-end tests of the rescue agent (PID 1): NIC choice, status
reports, supervision, bad arguments, shutdown, disks left untouched."""

import hashlib
import os
import re
import subprocess
import time

from test_boot import DIRECT_ARGS, READY_DEADLINE, SSH_DEADLINE, netdev

MAC = "52:54:00:12:34:56"


def server_args(d, mac=MAC):
    """What lifeboatd's boot script would pass; the token issued by hand
    (lifeboatctl token), as for a boot without iPXE."""
    token = d.ctl("token", mac).stdout.strip()
    return f"lifeboat.server={d.guest_url('')} lifeboat.token={token} BOOTIF=01-{mac.replace(':', '-')}"


def direct(out_dir, append, *devices):
    return ["-kernel", os.path.join(out_dir, "bzImage"),
            "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
            "-append", f"{DIRECT_ARGS} {append}", *devices]


def test_bootif_picks_the_second_nic(vms, out_dir, ssh_key):
    """Servers have several NICs and eth0 is often not the boot NIC."""
    key, pub = ssh_key
    vm = vms("bootif-second", direct(
        out_dir, f'lifeboat.sshkey="{pub}" BOOTIF=01-52-54-00-00-00-02',
        "-netdev", "user,id=first", "-device", "e1000,netdev=first,mac=52:54:00:00:00:01",
        *netdev(), "-device", "e1000,netdev=n0,mac=52:54:00:00:00:02"), ssh_key=key)
    vm.wait_for("lifeboat: BOOTIF 52:54:00:00:00:02 is eth1", READY_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("ip -4 addr show dev eth1 | grep -c inet; ip -4 addr show dev eth0 | grep -c inet; pidof udhcpc | wc -w")
    assert r.stdout.split() == ["1", "0", "1"], r.stdout


def test_reports_arrive_when_the_server_comes_up_late(vms, out_dir, ssh_key, lifeboatd):
    """lifeboatd down at boot: SSH does not wait for it; reports arrive
    once it is up, with history, inventory and identity; heartbeats follow."""
    key, pub = ssh_key
    d = lifeboatd(start=False)
    disk_args = ["-drive", "file=null-co://,format=raw,if=none,id=d0,size=33554432",
                 "-device", "virtio-blk-pci,drive=d0,serial=LB-DISK-7"]
    vm = vms("server-late", direct(
        out_dir, f'lifeboat.sshkey="{pub}" {server_args(d)} lifeboat.heartbeat=2',
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}",
        "-smbios", "type=1,manufacturer=Acme Servers,product=R42 \"x\\y\",serial=SN-4711",
        *disk_args), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)  # SSH works with the server down
    vm.wait_for("lifeboat: cannot send status report", READY_DEADLINE)
    d.start()
    first = d.wait_phase(MAC, "ssh-ready", 60, vm)["report"]
    assert first["format"] == "lifeboat-status" and first["version"] == 1
    # then the toolbox's phase: a direct boot brings none ("tools-failed")
    assert [h["phase"] for h in first["history"]][:3] == ["booted", "network-up", "ssh-ready"]
    assert first["boot_mac"] == MAC
    assert first["kernel"].endswith("-lifeboat")
    assert any(i["name"] == "eth0" and "10.0.2.15/24" in i["ipv4"] for i in first["interfaces"])
    types = sorted(k["type"] for k in first["ssh"]["host_keys"])
    assert types == ["ecdsa-sha2-nistp256", "ssh-ed25519"]
    assert all(k["fingerprint"].startswith("SHA256:") for k in first["ssh"]["host_keys"])
    inv = first["inventory"]
    disk = inv["disks"][0]
    assert (disk["name"], disk["serial"], disk["size_bytes"]) == ("vda", "LB-DISK-7", 33554432)
    assert inv["dmi"]["vendor"] == "Acme Servers"
    assert inv["dmi"]["product"] == 'R42 "x\\y"'  # escaped on the wire, intact here
    assert inv["dmi"]["serial"] == "SN-4711"
    assert inv["memory_bytes"] > 100 * 1024 * 1024
    assert first["error"] is None
    # heartbeats keep coming, numbered
    deadline = time.monotonic() + 30
    while d.host(MAC)["report"]["seq"] < first["seq"] + 2:
        assert time.monotonic() < deadline, "no heartbeats"
        time.sleep(0.5)
    assert d.host(MAC)["report"]["uptime"] > first["uptime"]
    assert '"POST /api/v1/status" 403' not in d.log_path.read_text()


def test_dropbear_killed_comes_back(vms, out_dir, ssh_key):
    key, pub = ssh_key
    vm = vms("dropbear-killed", direct(out_dir, f'lifeboat.sshkey="{pub}"',
                                       *netdev(), "-device", "virtio-net-pci,netdev=n0"), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("cat /run/dropbear.pid; kill -9 $(cat /run/dropbear.pid)")
    old_pid = r.stdout.split()[0]
    vm.wait_for(f"lifeboat: dropbear (pid {old_pid}) killed by signal 9; restarting in 1 s", 30)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("cat /run/dropbear.pid")
    assert r.stdout.split()[0] != old_pid


def test_malformed_arguments_fall_back_to_dhcp(vms, out_dir, ssh_key, lifeboatd):
    """Bad arguments are named on the console and in the report; SSH is
    still reachable through DHCP."""
    key, pub = ssh_key
    d = lifeboatd()
    vm = vms("malformed", direct(
        out_dir, f'lifeboat.sshkey="{pub}" {server_args(d)} '
                 "ip=10.0.2.15::10.0.2.2:255.0.255.0::eth0:off lifeboat.colour=red "
                 "lifeboat.heartbeat=soon lifeboat.sshkey=\"ssh-dss AAAAB3NzaC1kc3MAAACBAP\"",
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: cannot use argument ip: field 4 (netmask): '255.0.255.0' is not a contiguous netmask",
                READY_DEADLINE)
    vm.wait_for("lifeboat: cannot use argument lifeboat.colour: unknown lifeboat. argument", 10)
    vm.wait_for("lifeboat: cannot use argument lifeboat.heartbeat: 'soon' is not a number of seconds", 10)
    vm.wait_for("lifeboat: cannot use argument lifeboat.sshkey: key type 'ssh-dss' is not supported", 10)
    vm.wait_for("lifeboat: DHCP lease on eth0", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    report = d.wait_phase(MAC, "ssh-ready", 30, vm)["report"]
    assert report["error"].startswith("cannot use argument"), report["error"]


def test_static_failure_falls_back_to_dhcp(vms, out_dir, ssh_key):
    """ip= names a gateway outside its own subnet: the route cannot be
    added, so the agent says so and falls back to DHCP."""
    key, pub = ssh_key
    vm = vms("static-fails", direct(
        out_dir, f'lifeboat.sshkey="{pub}" ip=192.168.77.5::10.9.9.9:255.255.255.0::eth0:off',
        *netdev(), "-device", "virtio-net-pci,netdev=n0"), ssh_key=key)
    vm.wait_for("lifeboat: cannot add default route via 10.9.9.9 on eth0", READY_DEADLINE)
    vm.wait_for("lifeboat: static configuration failed: falling back to DHCP on every link", 10)
    vm.wait_for("lifeboat: DHCP lease on eth0", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)


def test_vlan_and_mtu(vms, out_dir, ssh_key):
    """lifeboat.vlan= makes eth0.100 and configures it; QEMU's DHCP does
    not speak 802.1Q, so the agent falls back to DHCP on the plain link."""
    key, pub = ssh_key
    vm = vms("vlan", direct(
        out_dir, f'lifeboat.sshkey="{pub}" lifeboat.vlan=100 lifeboat.mtu=1400 lifeboat.dhcp_timeout=4',
        *netdev(), "-device", "e1000,netdev=n0"), ssh_key=key)
    vm.wait_for("lifeboat: VLAN 100 on eth0 is eth0.100", READY_DEADLINE)
    vm.wait_for("lifeboat: cannot get a DHCP lease on eth0.100 within 4 s", READY_DEADLINE)
    vm.wait_for("lifeboat: falling back to DHCP on every link", 10)
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("grep eth0.100 /proc/net/vlan/config; cat /sys/class/net/eth0/mtu")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split("|")[1].strip() == "100" and lines[0].split("|")[2].strip() == "eth0"
    assert lines[1] == "1400"


def test_keys_come_from_the_server(vms, out_dir, ssh_key, lifeboatd):
    """No key on the command line: lifeboat.keys= fetches them with the
    token, in the background; the console says so instead of crying wolf."""
    key, pub = ssh_key
    d = lifeboatd(keys=f"# keys for rescued hosts\n{pub}\nnot a key line\n")
    vm = vms("keys-url", direct(
        out_dir, f"{server_args(d)} lifeboat.keys={d.guest_url('/api/v1/keys/' + MAC)}",
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys (1 new)", READY_DEADLINE)
    vm.wait_for("lifeboat: phase ssh-ready", READY_DEADLINE)
    log = vm.log()
    # fetched before SSH started (the network wait may give the reporter
    # time) or after: either way said calmly, never the no-key alarm
    assert ("lifeboat: no SSH key yet: fetching them from" in log or
            "lifeboat: 1 SSH public key installed for root" in log), log
    assert "NO SSH KEY" not in log
    assert "ignored 1 malformed key line" in log
    # ssh-ready is reported only once someone can log in
    assert d.wait_phase(MAC, "ssh-ready", 30, vm)["report"]["ssh"]["authorized_keys"] == 1
    vm.wait_ssh(SSH_DEADLINE)


def test_poweroff_reports_and_leaves_the_disk_untouched(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """Disks are never mounted or written by the agent; `lifeboat poweroff`
    reports shutting-down and powers the VM off."""
    key, pub = ssh_key
    d = lifeboatd()
    disk = tmp_path / "disk.img"
    subprocess.run(["truncate", "-s", "32M", str(disk)], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", str(disk)], check=True)
    before = hashlib.sha256(disk.read_bytes()).hexdigest()
    vm = vms("poweroff", direct(
        out_dir, f'lifeboat.sshkey="{pub}" {server_args(d)}',
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}",
        "-drive", f"file={disk},format=raw,if=virtio"), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    vm.wait_ssh(SSH_DEADLINE)
    d.wait_phase(MAC, "ssh-ready", 30, vm)
    r = vm.ssh("grep -c vda /proc/mounts; lifeboat poweroff")
    assert r.stdout.split()[0] == "0"  # never mounted
    vm.wait_for("lifeboat: power off: shutting-down reported", 30)
    try:
        vm.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        vm.fail("the VM did not power off within 30 s")
    assert d.host(MAC)["phase"] == "shutting-down"
    assert hashlib.sha256(disk.read_bytes()).hexdigest() == before


def test_fetched_and_command_line_keys_both_stay(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """authorized_keys has one writer (PID 1): the reporter's fetched keys
    and the command line's are both installed, each once, and stay so when
    PID 1 rewrites the file (SIGHUP)."""
    key, pub = ssh_key
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "other", "-f", str(other)], check=True)
    other_pub = " ".join(open(f"{other}.pub").read().split()[:3])
    d = lifeboatd(keys=f"{pub}\n")
    vm = vms("keys-both", direct(
        out_dir, f'lifeboat.sshkey="{other_pub}" {server_args(d)} '
                 f"lifeboat.keys={d.guest_url('/api/v1/keys/' + MAC)}",
        *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys (1 new)", READY_DEADLINE)
    vm.wait_for("lifeboat: phase ssh-ready", READY_DEADLINE)
    # on SIGHUP after SSH started, or at SSH's start when fetched before it
    deadline = time.monotonic() + 30
    while not re.search(r"lifeboat: 2 SSH public keys (now )?installed for root", vm.log()):
        if time.monotonic() > deadline:
            vm.fail("the fetched and the command line's keys were not both installed")
        time.sleep(0.5)
    assert d.wait_phase(MAC, "ssh-ready", 30, vm)["report"]["ssh"]["authorized_keys"] >= 1
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("kill -HUP 1; sleep 1; sort /root/.ssh/authorized_keys | uniq -c | awk '{print $1, $4}'")
    assert sorted(r.stdout.split("\n")[:2]) == ["1 lifeboat-test", "1 other"], r.stdout
