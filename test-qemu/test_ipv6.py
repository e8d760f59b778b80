"""IPv6 end to end. A real L2 network in a network namespace: a bridge, a
tap device for QEMU, dnsmasq sending router advertisements and answering
DHCPv6 with the configuration `lifeboatctl dhcp-config --ipv6` writes, and
lifeboatd listening on the namespace's IPv6 address. ssh runs in the
namespace with StrictHostKeyChecking=yes against the keys the host
reported. Needs root (network namespaces); the ROM test needs IPXE_SRC."""

import json
import os
import subprocess
import time

import pytest

from conftest import Lifeboatd, wait_for_text
from lifeboat_vm import VM, free_port
from test_boot import DIRECT_ARGS, READY_DEADLINE, SSH_DEADLINE

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
IPXE_SRC = os.environ.get("IPXE_SRC", "")
MAC = "52:54:00:12:34:56"
# A unique local prefix (fd00::/8): with it, RFC 6724's default policy
# (musl's getaddrinfo) prefers IPv4 to IPv6 for a name with both records,
# while iPXE asks AAAA first: the two families really differ in
# test_dual_stack_name_with_a_and_aaaa_records
PREFIX = "fd00:6::"
SERVER6 = "fd00:6::1"
SERVER4 = "192.168.66.1"
SLAAC = "fd00:6::5054:ff:fe12:3456"  # EUI-64 of MAC, canonical text (RFC 5952)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


def run(*argv, check=True, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: {r.returncode} {r.stderr}")
    return r


class Netns:
    """A namespace with bridge br0 (the boot server's addresses) and tap0
    (the VM's cable) on it."""

    def __init__(self, ipv4):
        self.name = f"lbv6-{os.getpid()}-{free_port()}"
        run("ip", "netns", "add", self.name)
        ip = lambda *a: run("ip", "-n", self.name, *a)
        ip("link", "set", "lo", "up")
        ip("link", "add", "br0", "type", "bridge")
        run("ip", "netns", "exec", self.name, "sysctl", "-qw", "net.ipv6.conf.br0.accept_ra=0")
        ip("addr", "add", f"{SERVER6}/64", "dev", "br0", "nodad")
        if ipv4:
            ip("addr", "add", f"{SERVER4}/24", "dev", "br0")
        ip("tuntap", "add", "dev", "tap0", "mode", "tap")
        ip("link", "set", "tap0", "master", "br0")
        ip("link", "set", "tap0", "up")
        ip("link", "set", "br0", "up")
        self.procs = []

    def argv(self, *argv):
        return ["ip", "netns", "exec", self.name, *argv]

    def spawn(self, argv, log):
        p = subprocess.Popen(self.argv(*argv), stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=10)
        run("ip", "netns", "del", self.name, check=False)


class Lifeboatd6(Lifeboatd):
    """lifeboatd inside the namespace, on its IPv6 address (or :: for both
    families). lifeboatctl reaches it through the control socket."""

    def __init__(self, ns, out_dir, tmp_path, listen, host=f"[{SERVER6}]", **kw):
        super().__init__(out_dir, tmp_path, **kw)
        self.ns = ns
        self.host6 = host
        i = self.args.index("--public-url")
        self.args[i + 1] = f"http://{host}:{self.port}"
        self.args = ns.argv(*self.args, "--listen", listen)

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        self.ns.procs.append(self.proc)  # stopped with the namespace (they outlived the run before)
        wait_for_text(self.log_path, "lifeboatd: listening on", 10)
        self.admin_token = self.ctl("admin-token", "add", "tests").stdout.strip()
        return self

    def guest_url(self, path):
        return f"http://{self.host6}:{self.port}{path}"


def dnsmasq_conf(out_dir, tmp_path, url, mode, ipv4):
    """dhcp-config's IPv6 part, as an admin would take it, bound to br0;
    with ipv4, a plain DHCPv4 range besides (the site's DHCP)."""
    ctl = os.path.join(out_dir, "build", "server", "lifeboatctl")
    text = run(ctl, "dhcp-config", "dnsmasq", "--server", url, "--ipv6", f"{PREFIX}/64", "--ipv6-mode", mode).stdout
    v6 = text[text.index("# IPv6"):]
    conf = tmp_path / "dnsmasq.conf"
    conf.write_text("port=0\nlog-dhcp\ninterface=br0\nbind-interfaces\n"
                    f"dhcp-leasefile={tmp_path}/dnsmasq.leases\n"
                    + (f"dhcp-range={SERVER4}0,{SERVER4}9,255.255.255.0,1h\n" if ipv4 else "") + v6)
    return conf, v6


def spawn_dnsmasq(ns, conf, tmp_path):
    ns.spawn(["dnsmasq", "--keep-in-foreground", "--conf-file=" + str(conf), "--pid-file=" + str(tmp_path / "pid")],
             open(tmp_path / "dnsmasq.log", "w"))


def start_dnsmasq(ns, out_dir, tmp_path, url, mode, ipv4):
    conf, v6 = dnsmasq_conf(out_dir, tmp_path, url, mode, ipv4)
    spawn_dnsmasq(ns, conf, tmp_path)
    return v6


def boot_network(net6, out_dir, tmp_path, mode, ipv4, listen, pub):
    """The namespace, lifeboatd in it (keys: pub), dnsmasq for mode."""
    ns = net6(ipv4=ipv4)
    d = Lifeboatd6(ns, out_dir, tmp_path / "d", listen, keys=pub + "\n")
    d.start()
    return ns, d, start_dnsmasq(ns, out_dir, tmp_path, d.guest_url(""), mode, ipv4)


@pytest.fixture
def net6(tmp_path):
    made = []

    def make(ipv4=False):
        ns = Netns(ipv4)
        made.append(ns)
        return ns

    yield make
    for ns in made:
        ns.close()


def ns_vm(ns, name, tmp_path, args, key):
    vm = VM(name, str(tmp_path), args, ssh_key=key)
    vm.cmd = ns.argv(*vm.cmd)
    return vm


def nic(model):
    """The VM's NIC on the namespace's tap0."""
    return ["-netdev", "tap,id=n0,ifname=tap0,script=no,downscript=no", "-device", f"{model},netdev=n0,mac={MAC}"]


def ns_ssh(ns, key, host, command, known_hosts=None, *opts):
    """ssh from the namespace: checking the host key against known_hosts
    (StrictHostKeyChecking=yes), or, without one, not at all."""
    check = (["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known_hosts}"] if known_hosts else
             ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"])
    return run(*ns.argv("ssh", "-i", key, *check, *opts, "-o", "BatchMode=yes", "-o", "ConnectTimeout=10",
                        "-o", "LogLevel=ERROR", f"root@{host}", command), check=False)


def strict_ssh(ns, d, key, host, command, tmp_path):
    """ssh to host with only the keys lifeboatd verified (known-hosts)."""
    kh = tmp_path / f"known_hosts-{host}"
    kh.write_text(d.ctl("known-hosts", MAC, "--host", host).stdout)
    return ns_ssh(ns, key, host, command, kh)


def addresses(host, family):
    out = []
    for i in (host.get("report") or {}).get("interfaces") or []:
        out += [a.split("/")[0] for a in i.get(family) or []]
    return out


@pytest.mark.skipif(not IPXE_SRC, reason="needs an iPXE tree: make check IPXE_SRC=/path/to/ipxe")
def test_ipv6_only_network_through_our_rom(net6, out_dir, ssh_key, tmp_path):
    """No IPv4 at all. Our ROM (IPv6 built in) gets an address from
    DHCPv6 (dnsmasq, stateful), asks lifeboatd at its IPv6 address, is
    bound by that address (no nat: the claimed ip6 must be the source),
    boots the payload over IPv6, the agent configures the same address
    from lifeboat.ip6= and reports from it; `lifeboatctl ssh` logs in with
    the reported host key over IPv6."""
    from test_rom import build_rom
    key, pub = ssh_key
    ns, d, v6 = boot_network(net6, out_dir, tmp_path, "stateful", False, SERVER6, pub)
    assert f"dhcp-range={PREFIX}1000,{PREFIX}1fff,64,1h" in v6
    assert f"option6:bootfile-url,http://[{SERVER6}]:{d.port}/chain.ipxe" in v6
    d.ctl("rescue", MAC, "--once")
    rom = build_rom(out_dir, d.guest_url(""))
    vm = ns_vm(ns, "ipv6-only-rom", tmp_path, [
        *nic(f"e1000,romfile={rom}"), "-boot", "n"], key)
    vm.start()
    try:
        vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 120)
        h = d.wait_phase(MAC, "ssh-ready", READY_DEADLINE + 60, vm)
        bound = h["session"]["bound"]
        # the DHCPv6 address iPXE had, which the agent took over
        assert bound.startswith(PREFIX) and 0x1000 <= int(bound.rsplit(":", 1)[1], 16) <= 0x1fff, h["session"]
        assert h["last_boot"]["ip6"] == bound and h["last_boot"]["source"] == bound
        # a DHCPv6 address is a /128 (the prefix is on the link by the RA)
        assert h["last_boot"]["len6"] == 128 and "ip" not in h["last_boot"]
        assert h["report_source"] == bound
        assert bound in addresses(h, "ipv6") and addresses(h, "ipv4") == []
        vm.wait_for(f"ssh root@{bound}", 30)
        assert "lifeboat.ip6=" + bound + "/128," in vm.log()
        r = run(*ns.argv(d.ctl_bin, "--state-dir", str(d.state), "ssh", MAC, "-i", key, "--deadline", "30", "--",
                         "ip -6 addr show scope global; ip -4 addr show scope global; cat /proc/cmdline"), check=False)
        assert r.returncode == 0, r.stderr
        assert f"inet6 {bound}/128" in r.stdout
        assert "inet " not in r.stdout  # no IPv4 anywhere
        assert f"lifeboatctl: ssh root@{bound} with the host keys" in r.stderr
        # the known_hosts line names the bare address (port 22)
        assert d.ctl("known-hosts", MAC).stdout.startswith(bound + " ")
    finally:
        vm.stop()
    log = d.log_path.read_text()
    assert f"lifeboatd: {bound} \"GET /boot.ipxe" in log


def test_ipv6_only_network_through_the_stock_rom(net6, out_dir, ssh_key, tmp_path):
    """Debian's 2019 iPXE (QEMU's e1000 ROM, built with IPv6): SLAAC from
    dnsmasq's RA, the boot file URL (chain.ipxe) from stateless DHCPv6 by
    its user class, the chain script's ip6= matching the request's source
    (no nat), the payload over IPv6, ssh with the reported key."""
    key, pub = ssh_key
    ns, d, v6 = boot_network(net6, out_dir, tmp_path, "slaac", False, SERVER6, pub)
    d.ctl("rescue", MAC, "--once")
    vm = ns_vm(ns, "ipv6-only-stock", tmp_path, [
        *nic("e1000"), "-boot", "n"], key)
    vm.start()
    try:
        vm.wait_for(f"Filename: http://[{SERVER6}]:{d.port}/chain.ipxe", 90)
        vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 60)
        h = d.wait_phase(MAC, "ssh-ready", READY_DEADLINE, vm)
        assert h["session"]["bound"] == SLAAC == h["last_boot"]["ip6"] == h["report_source"], h["session"]
        r = strict_ssh(ns, d, key, SLAAC, "cat /proc/cmdline", tmp_path)
        assert r.returncode == 0, r.stderr
        assert f"lifeboat.ip6={SLAAC}/64" in r.stdout
    finally:
        vm.stop()


def test_dual_stack_agent_slaac_dhcpv6_and_dhcp(net6, out_dir, ssh_key, tmp_path):
    """Both families on one link, nothing given on the kernel command line
    but where lifeboatd is (an IPv6 URL) and a token: the agent takes a
    DHCPv4 lease, a SLAAC address (dnsmasq's RA; stateless DHCPv6 for the
    options) at once, reports both over IPv6, and ssh with the verified key
    works to either address."""
    key, pub = ssh_key
    ns, d, v6 = boot_network(net6, out_dir, tmp_path, "slaac", True, "::", pub)
    assert f"dhcp-range={PREFIX},ra-stateless,64" in v6
    token = d.ctl("token", MAC).stdout.strip()
    url = d.guest_url("")
    vm = ns_vm(ns, "dual-stack", tmp_path, [
        "-kernel", os.path.join(out_dir, "bzImage"), "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
        "-append", f"{DIRECT_ARGS} BOOTIF=01-{MAC.replace(':', '-')} lifeboat.server={url} lifeboat.token={token} "
                   f"lifeboat.keys={url}/api/v1/keys/{MAC} lifeboat.heartbeat=2",
        *nic("virtio-net-pci")], key)
    vm.start()
    try:
        vm.wait_for("lifeboat: ready", READY_DEADLINE)
        deadline = time.monotonic() + 60
        while True:
            h = d.wait_phase(MAC, "ssh-ready", READY_DEADLINE, vm)
            v4 = [a for a in addresses(h, "ipv4") if a.startswith("192.168.66.")]
            if (v4 and SLAAC in addresses(h, "ipv6")) or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert v4 and SLAAC in addresses(h, "ipv6"), h.get("report")
        # reported over IPv6 (the URL's family), bound to that address
        assert h["report_source"] == SLAAC == h["session"]["bound"]
        for host in (v4[0], SLAAC):
            r = strict_ssh(ns, d, key, host, "echo ok-$((6*7))", tmp_path)
            assert r.returncode == 0 and r.stdout.strip() == "ok-42", (host, r.stderr)
        log = vm.log()
        assert f"ssh root@{v4[0]}" in log and f"ssh root@{SLAAC}" in log
        # a key that is not the reported one is refused by ssh itself
        kh = tmp_path / "wrong"
        line = d.ctl("known-hosts", MAC, "--host", SLAAC).stdout.splitlines()[0].split()
        other = run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")).returncode
        assert other == 0
        kh.write_text(f"{SLAAC} {(tmp_path / 'other.pub').read_text().split()[0]} "
                      f"{(tmp_path / 'other.pub').read_text().split()[1]}\n")
        r = ns_ssh(ns, key, SLAAC, "true", kh, "-o", "HostKeyAlgorithms=ssh-ed25519")
        assert r.returncode != 0 and "HOST IDENTIFICATION HAS CHANGED" in r.stderr, (line, r.stderr)
    finally:
        vm.stop()


def test_ip6_off_and_static_from_the_command_line(net6, out_dir, ssh_key, tmp_path):
    """lifeboat.ip6=off on a dual-stack link: no IPv6 address at all, not
    even link-local, while IPv4 works; then lifeboat.ip6=ADDRESS/PREFIX with
    ip=off: that address only (no SLAAC one beside it), reachable at once."""
    key, pub = ssh_key
    ns, d, v6 = boot_network(net6, out_dir, tmp_path, "slaac", True, "::", pub)
    base = [f"{DIRECT_ARGS} BOOTIF=01-{MAC.replace(':', '-')}", f'lifeboat.sshkey="{pub}"']
    for name, args, check in (
            ("ip6-off", "lifeboat.ip6=off", "ip -6 addr show dev eth0; ip -4 addr show dev eth0"),
            ("ip6-static", f"ip=off lifeboat.ip6={PREFIX}77/64,,{SERVER6}",
             "ip -6 addr show dev eth0 scope global; ip -4 addr show dev eth0; cat /etc/resolv.conf")):
        vm = ns_vm(ns, name, tmp_path, [
            "-kernel", os.path.join(out_dir, "bzImage"), "-initrd", os.path.join(out_dir, "initramfs.cpio.xz"),
            "-append", " ".join(base + [args]),
            *nic("virtio-net-pci")], key)
        vm.start()
        try:
            vm.wait_for("lifeboat: ready", READY_DEADLINE)
            if name == "ip6-off":
                vm.wait_for("lifeboat: DHCP lease on eth0", 10)
                host = [line.split()[2] for line in vm.log().splitlines() if "ssh root@192.168.66." in line][0]
            else:
                vm.wait_for(f"lifeboat: configuring eth0: {PREFIX}77/64", 10)
                host = f"{PREFIX}77"
            deadline = time.monotonic() + SSH_DEADLINE
            while True:
                r = ns_ssh(ns, key, host, check)
                if r.returncode == 0 or time.monotonic() > deadline:
                    break
                time.sleep(1)
            assert r.returncode == 0, (name, r.stderr)
            if name == "ip6-off":
                assert "inet6" not in r.stdout and "inet 192.168.66." in r.stdout, r.stdout
            else:
                assert r.stdout.count("inet6 ") == 1 and f"inet6 {PREFIX}77/64" in r.stdout, r.stdout
                assert "inet " not in r.stdout and f"nameserver {SERVER6}" in r.stdout, r.stdout
        finally:
            vm.stop()


def test_dual_stack_name_with_a_and_aaaa_records(net6, out_dir, ssh_key, tmp_path):
    """lifeboatd by a name with both an A and an AAAA record (dnsmasq's DNS)
    on a dual-stack link, the stock ROM booted by DHCPv4: whichever family
    iPXE reached lifeboatd in (IPv6: it asks AAAA first), the session is
    bound to that address, and the agent (lifeboat.bound=) reports from it,
    not from its other family (its resolver prefers IPv4 for a unique local
    address: without lifeboat.bound the report would be refused as from
    another address and put the session in conflict)."""
    key, pub = ssh_key
    ns = net6(ipv4=True)
    d = Lifeboatd6(ns, out_dir, tmp_path / "d", "::", host="boot.test", keys=pub + "\n")
    d.start()
    conf, v6 = dnsmasq_conf(out_dir, tmp_path, d.guest_url(""), "slaac", ipv4=True)
    text = conf.read_text().replace("port=0\n", "no-resolv\nno-hosts\n")
    text = "".join(line + "\n" for line in text.splitlines() if "bootfile-url" not in line)
    conf.write_text(text + f"host-record=boot.test,{SERVER4},{SERVER6}\ndhcp-boot={d.guest_url('/chain.ipxe')}\n")
    spawn_dnsmasq(ns, conf, tmp_path)
    d.ctl("rescue", MAC, "--once")
    vm = ns_vm(ns, "dual-stack-name", tmp_path, [
        *nic("e1000"), "-boot", "n"], key)
    vm.start()
    try:
        vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 90)
        h = d.wait_phase(MAC, "ssh-ready", READY_DEADLINE, vm)
        bound = h["session"]["bound"]
        assert bound == SLAAC and f"lifeboat.bound={bound} " in vm.log()
        # both families are there, and the reports come from the bound one
        time.sleep(5)  # heartbeats every 2 s: a report from the other family would show
        h = d.host(MAC)
        assert h["session"]["state"] == "active", h["session"]
        assert h["report_source"] == bound
        assert [a for a in addresses(h, "ipv4") if a.startswith("192.168.66.")] and SLAAC in addresses(h, "ipv6")
        r = strict_ssh(ns, d, key, bound, "true", tmp_path)
        assert r.returncode == 0, r.stderr
    finally:
        vm.stop()
    assert "session conflict" not in d.log_path.read_text()


def test_dual_stack_listener_names_ipv4_peers_as_ipv4(net6, out_dir, tmp_path):
    """listen = ::: an IPv4 peer on the IPv6 socket is 192.168.66.1, not
    ::ffff:192.168.66.1 (so sessions and logs name one machine one way); a
    session bound over IPv4 is contested by the same query over IPv6, and
    the other way round: a session has one address."""
    ns = net6(ipv4=True)
    d = Lifeboatd6(ns, out_dir, tmp_path / "d", "::", nat=False)
    d.start()

    def get(addr, query):
        host = f"[{addr}]" if ":" in addr else addr
        return run(*ns.argv("curl", "-sS", "-g", f"http://{host}:{d.port}/boot.ipxe?{query}")).stdout

    d.ctl("rescue", MAC)
    # a claim over IPv6 that says only an IPv4 address is not plausible
    out = get(SERVER6, f"mac={MAC}&ip={SERVER4}")
    assert f"the request came from {SERVER6} but iPXE says ip6=none" in out and "kernel" not in out
    out = get(SERVER4, f"mac={MAC}&ip={SERVER4}&ip6={SERVER6}")
    assert "booting the rescue system" in out and "lifeboat.ip6=auto" in out
    h = d.host(MAC)
    assert h["session"]["bound"] == SERVER4 and h["last_boot"]["source"] == SERVER4
    # the same machine's other family contests it
    out = get(SERVER6, f"mac={MAC}&ip={SERVER4}&ip6={SERVER6}")
    assert "contested by another address" in out
    assert d.host(MAC)["session"]["state"] == "conflict"
    assert d.host(MAC)["session"]["conflict"]["source"] == SERVER6
    log = d.log_path.read_text()
    assert f"lifeboatd: {SERVER4} \"GET /boot.ipxe" in log and "::ffff:" not in log
    # and bound over IPv6: with len6 and gateway6 the agent gets them as given
    d.ctl("rescue", MAC)
    out = get(SERVER6, f"mac={MAC}&ip6=FD00:6:0::1&len6=64&gateway6=fe80::1")  # canonicalized
    assert f"lifeboat.ip6={SERVER6}/64,fe80::1 " in out and "ip=dhcp" in out
    assert d.host(MAC)["session"]["bound"] == SERVER6
    out = get(SERVER4, f"mac={MAC}&ip={SERVER4}")
    assert "contested by another address" in out
    # a status report with the token from the other family is a conflict too
    d.ctl("rescue", MAC)
    out = get(SERVER6, f"mac={MAC}&ip6={SERVER6}")
    token = out.split("lifeboat.token=")[1].split()[0]
    report = json.dumps({"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "network-up",
                         "interfaces": [{"name": "eth0", "mac": MAC, "ipv6": [f"{SERVER6}/64"]}]})
    r = run(*ns.argv("curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H", f"Authorization: Bearer {token}",
                     "-H", "Content-Type: application/json", "--data-binary", report,
                     f"http://{SERVER4}:{d.port}/api/v1/status"))
    assert r.stdout == "403", r.stdout
    assert d.host(MAC)["session"]["state"] == "conflict"


def test_listen_refuses_what_is_not_an_address(out_dir, tmp_path):
    lbd = os.path.join(out_dir, "build", "server", "lifeboatd")
    for bad in ("2001:db8::1%eth0", "[2001:db8::1", "localhost", "::ffff:1.2.3.4:80"):
        r = run(lbd, "--listen", bad, "--state-dir", str(tmp_path / "s"), check=False)
        assert r.returncode != 0 and "is not an IPv4 or IPv6 address" in r.stderr, (bad, r.stderr)
