"""The whole path through lifeboatd: SeaBIOS + the stock iPXE NIC ROM,
QEMU's DHCP pointing at lifeboatd's /chain.ipxe, lifeboatd deciding."""

import os
import subprocess

import pytest

from test_boot import IPXE_DEADLINE, KERNEL_DEADLINE, READY_DEADLINE, SSH_DEADLINE

MAC = "52:54:00:12:34:56"


def rom_vm(vms, d, name, nic, extra=(), ssh_key=None):
    return vms(name, [
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22,bootfile={d.guest_url('/chain.ipxe')}",
        "-device", f"{nic},netdev=n0,mac={MAC}",
        "-smbios", "type=1,manufacturer=Acme,product=R42,serial=SN 4711&x",
        *extra,
    ], ssh_key=ssh_key)


def strict_ssh(vm, known_hosts, command):
    return subprocess.run(
        ["ssh", "-i", vm.ssh_key, "-p", str(vm.ssh_port), "-o", "StrictHostKeyChecking=yes",
         "-o", f"UserKnownHostsFile={known_hosts}", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
         "root@127.0.0.1", command], capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("nic", ["e1000", "virtio-net-pci"])
def test_rescue_once_reaches_ssh_with_strict_host_keys(vms, lifeboatd, ssh_key, tmp_path, nic):
    """lifeboatctl rescue --once; the VM boots the payload via the stock ROM,
    the agent fetches its keys and reports; lifeboatctl known-hosts lets
    ssh check the host key strictly; the policy is back to normal."""
    key, pub = ssh_key
    # HTTPS is on, but a stock ROM speaks plain HTTP: that path still works
    d = lifeboatd(keys=pub + "\n", tls=True)
    d.ctl("rescue", MAC, "--once", "--nat")  # QEMU's user network is a NAT
    vm = rom_vm(vms, d, f"lifeboatd-{nic}", nic, ["-boot", "n"], ssh_key=key)
    vm.wait_for("iPXE", IPXE_DEADLINE)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", IPXE_DEADLINE)
    vm.wait_for("Linux version", KERNEL_DEADLINE)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    host = d.wait_phase(MAC, "ssh-ready", 60, vm)
    assert host["policy"] == "normal"
    assert host["last_boot"]["serial"] == "SN 4711&x" and host["last_boot"]["ip"] == "10.0.2.15"
    assert host["report"]["inventory"]["dmi"]["product"] == "R42"
    known = tmp_path / "known_hosts"
    known.write_text(d.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys", 60)
    r = strict_ssh(vm, known, "cat /proc/cmdline; lifeboat status | head -1")
    assert r.returncode == 0, r.stderr
    assert "ip=10.0.2.15::10.0.2.2:255.255.255.0::::10.0.2.3" in r.stdout
    # a script that came in clear carries no pin, and the agent reports in clear
    assert "lifeboat.tlspin" not in r.stdout and f"lifeboat.server=http://10.0.2.2:{d.port}" in r.stdout
    assert '127.0.0.1 "POST /api/v1/status" 200' in d.log_path.read_text()
    # a wrong known_hosts entry is refused: the check is real
    known.write_text(f"[127.0.0.1]:{vm.ssh_port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1mbPBeqcDPu8eTimBmUATN4Fu7iRE+P8pyqJaiK48a\n")
    assert strict_ssh(vm, known, "true").returncode != 0


def test_normal_policy_falls_through_to_the_disk(vms, lifeboatd, tmp_path):
    """A host in normal mode goes on to its next boot device."""
    d = lifeboatd()
    d.ctl("normal", MAC)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    vm = rom_vm(vms, d, "lifeboatd-normal", "e1000",
                ["-drive", f"file={disk},format=raw,if=virtio", "-boot", "order=nc"])
    vm.wait_for(f"Lifeboat: {MAC} has policy normal: booting from the next device", IPXE_DEADLINE)
    vm.wait_for("Booting from Hard Disk...", 30)
    assert "Linux version" not in vm.log()
    assert d.api_host(MAC)["last_request"]["decision"] == "normal"


def test_source_address_mismatch_falls_through(vms, lifeboatd, tmp_path):
    """Without nat, lifeboatd sees QEMU's NAT address, not the one iPXE
    claims: it refuses the rescue and says why on the console."""
    d = lifeboatd()
    d.ctl("rescue", MAC)
    vm = rom_vm(vms, d, "lifeboatd-mismatch", "e1000", ["-boot", "n"])
    # (iPXE wraps its console at 80 columns: match within the first line)
    vm.wait_for(f"Lifeboat: refusing rescue for {MAC}: the request came from 127.0.0.1", IPXE_DEADLINE)
    vm.wait_for("No bootable device", 30)
    assert d.host(MAC)["policy"] == "rescue"


@pytest.mark.parametrize("nic", ["e1000", "virtio-net-pci"])
def test_uefi_stock_efi_rom_rescue(vms, lifeboatd, ssh_key, tmp_path, out_dir, nic):
    """UEFI: OVMF with QEMU's stock iPXE EFI ROM; the kernel's EFI stub
    gets the initrd because the command line names it (initrd=...)."""
    if not os.path.exists(os.path.join(out_dir, "build", "kernel-profile.stamp")) or \
            open(os.path.join(out_dir, "build", "kernel-profile.stamp")).read().strip() != "server":
        pytest.skip("the EFI stub is in KERNEL_PROFILE=server")
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n")
    d.ctl("rescue", MAC, "--nat")
    vars_copy = tmp_path / "OVMF_VARS.fd"
    vars_copy.write_bytes(open("/usr/share/OVMF/OVMF_VARS_4M.fd", "rb").read())
    vm = vms(f"uefi-{nic}", [
        "-machine", "q35",
        "-drive", "if=pflash,format=raw,unit=0,readonly=on,file=/usr/share/OVMF/OVMF_CODE_4M.fd",
        "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
        "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22,bootfile={d.guest_url('/chain.ipxe')}",
        "-device", f"{nic},netdev=n0,mac={MAC},bootindex=0",
    ], ssh_key=key, memory=512)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue: booting the rescue system", 120)
    host = d.wait_phase(MAC, "ssh-ready", 120, vm)
    assert host["last_boot"]["platform"] == "efi"
    vm.wait_ssh(SSH_DEADLINE)
    r = vm.ssh("ls /sys/firmware/efi >/dev/null && echo uefi")
    assert r.stdout.strip() == "uefi"


EVIL_KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIEvilEvilEvilEvilEvilEvilEvilEvilEvilEvil"


def _attacker(d, stop, tokens):
    """Another machine on the management network asking for the VM's MAC
    every 50 ms, reporting its own host key with any token it gets."""
    import json
    while not stop.is_set():
        status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip=10.0.2.15", source="127.0.0.5")
        for word in body.decode().split():
            if word.startswith("lifeboat.token="):
                t = word.split("=", 1)[1]
                tokens.append(t)
                rep = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "ssh-ready",
                       "interfaces": [{"name": "eth0", "ipv4": ["127.0.0.5/8"]}],
                       "ssh": {"host_keys": [{"type": "ssh-ed25519", "key": EVIL_KEY, "fingerprint": "SHA256:evil"}]}}
                d.request("POST", "/api/v1/status", json.dumps(rep).encode(),
                          {"Authorization": f"Bearer {t}"}, source="127.0.0.5")
        stop.wait(0.05)


def test_attacker_racing_a_rescue_boot_never_wins(vms, lifeboatd, ssh_key, tmp_path):
    """An attacker's boot requests race the VM's rescue boot through the
    stock ROM. Whoever asks first, the admin ends with a visible conflict
    (known-hosts refuses), never the attacker's key; once the attacker is
    gone and the admin re-arms, the VM's true key is verified by ssh."""
    import threading
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n")
    d.ctl("rescue", MAC, "--once", "--nat")  # QEMU's user network is a NAT
    stop, tokens = threading.Event(), []
    attacker = threading.Thread(target=_attacker, args=(d, stop, tokens), daemon=True)
    vm = rom_vm(vms, d, "race", "e1000", ["-boot", "n"], ssh_key=key)
    attacker.start()
    try:
        import time
        end = time.monotonic() + IPXE_DEADLINE
        while time.monotonic() < end:
            log = vm.log()
            if "booting the rescue system" in log or f"Lifeboat: refusing rescue for {MAC}: its rescue" in log \
                    or "booting from the next device" in log:
                break
            time.sleep(0.2)
        else:
            vm.fail("no decision from lifeboatd")
        if "booting the rescue system" in vm.log():
            d.wait_phase(MAC, "ssh-ready", 60, vm)  # the VM won the race; the attacker still contests
        time.sleep(0.5)
    finally:
        stop.set()
        attacker.join()
    host = d.host(MAC)
    assert host["session"]["state"] == "conflict", host["session"]
    r = d.ctl("known-hosts", MAC, check=False)
    assert r.returncode == 1 and "conflict" in r.stderr and EVIL_KEY not in r.stdout
    assert "CONFLICT" in d.ctl("list").stdout
    # the attacker gone, the admin re-arms; the VM boots again and is verified
    vm.stop()
    d.ctl("rescue", MAC, "--once", "--nat")
    vm = rom_vm(vms, d, "race-again", "e1000", ["-boot", "n"], ssh_key=key)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", IPXE_DEADLINE)
    d.wait_phase(MAC, "ssh-ready", 90, vm)
    known = tmp_path / "known_hosts"
    text = d.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout
    assert EVIL_KEY not in text
    known.write_text(text)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys", 60)
    r = strict_ssh(vm, known, "cat /etc/dropbear/*.pub 2>/dev/null | head -1; echo verified")
    assert r.returncode == 0 and "verified" in r.stdout, r.stderr
    # a token the attacker held in the first round opens nothing now
    for t in tokens:
        status, _, _ = d.request("GET", f"/api/v1/keys/{MAC}", headers={"Authorization": f"Bearer {t}"},
                                 source="127.0.0.5")
        assert status == 403
