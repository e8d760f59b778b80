#!/usr/bin/python3
"""`make bench`: Lifeboat measured side by side with the peer admins use
today for SSH in an initramfs (Debian 12's kernel + initramfs-tools +
dropbear-initramfs, built by `make bench-peer`).

Benchmarks, not tests: every figure is printed in one table and written to
bench/results.md with the machine, the date, the QEMU accelerator, the
number of runs, the median and the min-max. A target that is missed is
reported as missed; nothing here fails the build.

    bench/bench.py --out out --peer ~/.cache/lifeboat/bench-peer [--runs 5]
                   [--only sizes,boot,ram,build,server,sessions,tls,fleet,chaos] [--results bench/results.md]
"""

import argparse
import datetime
import functools
import hashlib
import http.server
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "test-qemu"))
from lifeboat_vm import ACCEL, VM, free_port  # noqa: E402

SECTIONS = ("sizes", "boot", "ram", "build", "server", "sessions", "tls", "fleet", "chaos", "consoles")
ROW_SECTION = {"size": "sizes"}  # a row's first cell, where it is not its section's name
OUR_ARGS = "console=ttyS0,115200n8 panic=-1 random.trust_cpu=on printk.time=1"
# The peer waits for a root device that never comes, with dropbear up
# meanwhile, then drops to its shell: what an admin sees when the disk is
# gone. (No panic=: initramfs-tools reboots on panic when it is set; no
# rootdelay=: initramfs-tools sleeps that long before its premount scripts.)
PEER_ARGS = ("console=ttyS0,115200n8 random.trust_cpu=on printk.time=1 "
             "ip=dhcp root=/dev/disk/by-label/lifeboat-none")
OUR_READY = "lifeboat: ready"
OUR_TOOLS = "lifeboat: phase tools-ready"
PEER_READY = "Starting dropbear"
TIMESTAMP = re.compile(r"^\[\s*(\d+\.\d+)\]", re.M)


# ---- statistics and the table ------------------------------------------------

def summary(values, unit, digits=1):
    """'median (min-max)' of values, or the single value."""
    if not values:
        return "n/a"
    fmt = f"{{:.{digits}f}}"
    med = fmt.format(statistics.median(values))
    if len(values) == 1:
        return f"{med} {unit}"
    return f"{med} {unit} ({fmt.format(min(values))}-{fmt.format(max(values))}, n={len(values)})"


class Table:
    def __init__(self):
        self.rows = []   # (section, what, ours, peer, target, verdict)
        self.notes = []

    def add(self, section, what, ours, peer="", target="", verdict=""):
        row = (section, what, ours, peer, target, verdict)
        self.rows.append(row)
        print(f"  {section:7} {what:44} {ours:34} {peer:28} {target} {verdict}", flush=True)

    def note(self, text):
        self.notes.append(text)
        print(f"  note: {text}", flush=True)


def verdict(ok):
    return "met" if ok else "MISSED"


def percentile(values, pct):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


# ---- VMs with timestamped console lines -------------------------------------

class TimedVM(VM):
    """A VM whose console arrives on a pipe, each chunk stamped with the
    host time it arrived, so boot phases can be measured from the console
    (also from lines that are still without their newline)."""

    def __init__(self, name, logdir, args, **kw):
        super().__init__(name, logdir, args, **kw)
        i = self.cmd.index("-serial")
        self.cmd[i + 1] = "stdio"
        self.text = ""
        self.chunks = []  # (host seconds since start, length of text after it)

    def start(self):
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.started = time.monotonic()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        return self

    def _read(self):
        fd = self.proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            t = time.monotonic() - self.started
            text = chunk.decode(errors="replace").replace("\r", "")
            self.text += text
            self.chunks.append((t, len(self.text)))
            self.log_file.write(text)
            self.log_file.flush()

    def log(self):
        return self.text

    def wait_ssh(self, timeout):
        """The time of the first successful `ssh true`. A new attempt starts
        every 0.25 s while earlier ones are still in flight (an attempt made
        before the guest listens hangs until its ConnectTimeout under QEMU's
        user networking), so the figure is late by at most ~0.25 s. Gives up
        at once when the kernel panics."""
        deadline = time.monotonic() + timeout
        tries = []
        try:
            while time.monotonic() < deadline:
                if "Kernel panic - not syncing" in self.text:
                    self.fail("kernel panic")
                if self.proc.poll() is not None:
                    self.fail("QEMU exited while waiting for SSH")
                if not tries or time.monotonic() - tries[-1][1] >= 0.25:
                    if len([p for p, _ in tries if p.poll() is None]) < 40:
                        tries.append((subprocess.Popen(self.ssh_argv("true"), stdin=subprocess.DEVNULL,
                                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
                                      time.monotonic()))
                for p, _ in tries:
                    if p.poll() == 0:
                        return time.monotonic() - self.started
                time.sleep(0.02)
            self.fail(f"no SSH login within {timeout} s")
        finally:
            for p, _ in tries:
                if p.poll() is None:
                    p.kill()
                p.wait()

    def stop(self):
        super().stop()
        self.reader.join(timeout=5)
        self.log_file.close()

    def arrival(self, offset):
        """Host time at which the console text up to offset had arrived."""
        for t, end in self.chunks:
            if end >= offset:
                return t
        return None

    def first(self, marker):
        i = self.text.find(marker)
        return self.arrival(i + len(marker)) if i >= 0 else None

    def kernel_start(self):
        """Host time at which the kernel started: for each timestamped
        console line, arrival minus the kernel's own timestamp; the smallest
        is the best estimate (the console only ever delays a line)."""
        starts = [self.arrival(m.end()) - float(m.group(1)) for m in TIMESTAMP.finditer(self.text)]
        return min(starts) if starts else None


def boot_once(name, logdir, args, key, ready_marker, memory, deadline, tools=False):
    """Boots, waits for a real `ssh true` (with tools: then for the toolbox's
    tools-ready and a tool that runs over ssh), and returns the figures, or
    raises AssertionError (with the QEMU command line) on failure."""
    vm = TimedVM(name, logdir, args, memory=memory, ssh_key=key).start()
    try:
        ssh = vm.wait_ssh(deadline)
        k0 = vm.kernel_start()
        ready = vm.first(ready_marker)
        tools_at = None
        if tools:
            end = time.monotonic() + deadline
            while (tools_at := vm.first(OUR_TOOLS)) is None:
                if time.monotonic() > end or "lifeboat: phase tools-failed" in vm.text:
                    vm.fail(f"no {OUR_TOOLS!r} within {deadline} s")
                time.sleep(0.05)
            if vm.ssh("lvm version >/dev/null && mdadm --version 2>/dev/null", timeout=60).returncode != 0:
                vm.fail("the toolbox is mounted but its tools do not run")
        return {
            "ssh": ssh,
            "tools": tools_at,
            "kernel": k0,
            "kernel_to_ready": ready - k0 if ready is not None and k0 is not None else None,
            "cmd": shlex.join(vm.cmd),
        }
    finally:
        vm.stop()


def keepalive_boots(port, hosts, first, stride, end):
    """One iPXE-like client on one keep-alive connection asking /boot.ipxe
    for hosts[first], hosts[first + stride], ... until end (new
    connections per request would measure the host's TIME_WAIT ports after
    10,000 of them, not lifeboatd): (ms, status, a wait answer) each."""
    import http.client
    out, i = [], first
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.monotonic() < end:
            start = time.monotonic()
            c.request("GET", f"/boot.ipxe?mac={hosts[i % len(hosts)]}&ip=127.0.0.1")
            r = c.getresponse()
            body = r.read()
            out.append(((time.monotonic() - start) * 1000, r.status, b"cannot decide for" in body))
            i += stride
    finally:
        c.close()
    return out


def netdev(bootfile=None):
    extra = f",bootfile={bootfile}" if bootfile else ""
    return ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22{extra}"]


def linked_bytes(map_file, archive):
    """Bytes of code and data (.text, .rodata, .data; not .bss) that the
    linker took from archive, from a GNU ld map (-Wl,-Map)."""
    total, section = 0, None
    item = re.compile(r"^ (\.(?:text|rodata|data|bss)\S*)?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$")
    for line in Path(map_file).read_text().splitlines():
        head = re.match(r"^ (\.(?:text|rodata|data|bss)\S*)$", line)
        if head:
            section = head.group(1)
            continue
        m = item.match(line)
        name = (m.group(1) or section) if m else None
        if name and archive in m.group(3) and not name.startswith(".bss"):
            total += int(m.group(2), 16)
        section = None
    return total


class StaticServer:
    """Plain HTTP for the peer's iPXE boot (what an admin would use)."""

    def __init__(self, root):
        handler = functools.partial(_Quiet, directory=str(root))
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        # a VM stopped (or out of memory) mid-download is expected here
        self.srv.handle_error = lambda request, client_address: None
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass


# ---- the benchmark ------------------------------------------------------------

class Bench:
    def __init__(self, opts):
        self.o = opts
        self.out = Path(opts.out).resolve()
        self.peer = Path(opts.peer).resolve() if opts.peer else None
        self.work = Path(tempfile.mkdtemp(prefix="lifeboat-bench-"))
        self.t = Table()
        self.key = str(self.work / "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lifeboat-bench",
                        "-f", self.key], check=True)
        self.pub = " ".join(Path(self.key + ".pub").read_text().split()[:3])
        self.images = {
            "rescue": self.out / "initramfs.cpio.xz",
            "minimal": self.out / "test" / "minimal.cpio.xz",
        }
        self.bzimage = self.out / "bzImage"
        self.toolbox = self.out / "toolbox.squashfs"
        # the rescue image with the toolbox as a second initrd, as the ISO
        # and rescue.ipxe boot it
        self.with_toolbox = self.work / "initramfs-and-toolbox"
        if self.images["rescue"].exists() and (self.out / "toolbox.cpio").exists():
            from test_toolbox import initrds  # the second at a multiple of 4 bytes, as boot loaders put it
            initrds(self.with_toolbox, self.images["rescue"], self.out / "toolbox.cpio")
        self.www = StaticServer(self.out)  # the toolbox over HTTP, as lifeboatd's payload serves it
        self.peer_ok = bool(self.peer and (self.peer / "vmlinuz").exists())
        if not self.peer_ok:
            self.t.note(f"no peer in {self.peer}: run `make bench-peer` for the side-by-side figures")

    def our_direct_args(self, image, fetch=False):
        """fetch: the toolbox from lifeboat.toolbox= (over HTTP, after SSH)."""
        toolbox = f" lifeboat.toolbox=http://10.0.2.2:{self.www.port}/toolbox.squashfs" if fetch else ""
        return ["-kernel", str(self.bzimage), "-initrd", str(image),
                "-append", f'{OUR_ARGS} lifeboat.sshkey="{self.pub}"{toolbox}',
                *netdev(), "-device", "virtio-net-pci,netdev=n0"]

    def peer_direct_args(self):
        return ["-kernel", str(self.peer / "vmlinuz"), "-initrd", str(self.peer / "initrd.img"),
                "-append", PEER_ARGS, *netdev(), "-device", "virtio-net-pci,netdev=n0"]

    def peer_key(self):
        return str(self.peer / "id_ed25519")

    # -- sizes
    def sizes(self):
        size = lambda p: p.stat().st_size if p.exists() else None  # noqa: E731
        kernel = size(self.bzimage)
        profile = (self.out / "build" / "kernel-profile.stamp").read_text().strip()
        peer_total = pi = None
        if self.peer_ok:
            pk, pi = size(self.peer / "vmlinuz"), size(self.peer / "initrd.img")
            peer_total = pk + pi
            self.t.add("size", "peer vmlinuz + initrd.img", "", f"{pk/1e6:.2f} + {pi/1e6:.2f} MB")
        self.t.add("size", f"bzImage (kernel profile {profile})", f"{kernel/1e6:.2f} MB")
        # the rescue payload before SSH: kernel and image; the toolbox comes after
        for name, image, ratio in (("rescue", self.images["rescue"], 8),
                                   ("minimal", self.images["minimal"], 30)):
            isz = size(image)
            if isz is None:
                self.t.note(f"{image} missing: run make (and make check for the minimal image)")
                continue
            total = kernel + isz
            self.t.add("size", f"initramfs, profile {name}", f"{isz/1e6:.2f} MB",
                       f"initrd.img {pi/1e6:.2f} MB" if peer_total else "", "",
                       f"1/{pi/isz:.1f}" if peer_total else "")
            peer = f"{peer_total/1e6:.2f} MB" if peer_total else ""
            target = f"<= 1/{ratio} of peer"
            v = ""
            if peer_total:
                v = f"1/{peer_total/total:.1f} {verdict(total * ratio <= peer_total)}"
            self.t.add("size", f"payload {name} (bzImage + initramfs): bytes before SSH", f"{total/1e6:.2f} MB",
                       peer, target, v)
        if self.toolbox.exists():
            unpacked = sum(int(l.split()[2]) for l in subprocess.run(
                ["unsquashfs", "-lls", str(self.toolbox)], capture_output=True, text=True,
                check=True).stdout.splitlines() if l.startswith("-"))
            self.t.add("size", "toolbox.squashfs (after SSH; stays compressed)", f"{self.toolbox.stat().st_size/1e6:.2f} MB",
                       "", "", f"{unpacked/1e6:.1f} MB of files")

    # -- boot to SSH
    def boot_series(self, label, make_args, key, marker, memory=256, setup=None, deadline=180, tools=None):
        """tools: a list that gets each run's time to tools-ready (and then
        the runs wait for it)."""
        ssh, k2r = [], []
        for i in range(self.o.runs):
            if setup:
                setup()
            try:
                r = boot_once(f"{label}-{i}", str(self.work), make_args(), key, marker, memory, deadline,
                              tools=tools is not None)
            except AssertionError as e:
                self.t.note(f"{label} run {i} failed: {str(e).splitlines()[0]}")
                continue
            ssh.append(r["ssh"])
            if tools is not None:
                tools.append(r["tools"])
            if r["kernel_to_ready"] is not None:
                k2r.append(r["kernel_to_ready"])
        return ssh, k2r

    def boot(self):
        peer_ssh = {}
        if self.peer_ok:
            s, k = self.boot_series("peer-direct", self.peer_direct_args, self.peer_key(), PEER_READY)
            peer_ssh["direct"] = s
            self.t.add("boot", "peer, direct kernel: QEMU start to ssh true", "", summary(s, "s"))
            self.t.add("boot", "peer, kernel start to dropbear started", "", summary(k, "s"))
            s, k = self.boot_series("peer-ipxe", self.peer_rom_args, self.peer_key(), PEER_READY,
                                    setup=None, deadline=300)
            peer_ssh["ipxe"] = s
            self.t.add("boot", "peer, stock iPXE ROM: QEMU start to ssh true", "", summary(s, "s"))
        # rescue: the toolbox fetched over HTTP after SSH (as from lifeboatd),
        # and as a second initrd (ISO, rescue.ipxe); minimal: no toolbox
        runs = (("rescue", "toolbox fetched after SSH", lambda: self.our_direct_args(self.images["rescue"], True)),
                ("rescue", "toolbox as second initrd", lambda: self.our_direct_args(self.with_toolbox)),
                ("minimal", "", lambda: self.our_direct_args(self.images["minimal"])))
        for name, how, make_args in runs:
            if not self.images[name].exists():
                continue
            tools = [] if how else None
            s, k = self.boot_series(f"{name}-direct", make_args, self.key, OUR_READY, tools=tools)
            v = ""
            if peer_ssh.get("direct") and s:
                ratio = statistics.median(peer_ssh["direct"]) / statistics.median(s)
                v = f"1/{ratio:.1f} {verdict(ratio >= 5)}"
            label = f"{name}{', ' + how if how else ''}, direct kernel"
            self.t.add("boot", f"{label}: QEMU start to ssh true", summary(s, "s"),
                       summary(peer_ssh.get("direct", []), "s"), "<= 1/5 of peer", v)
            if tools:
                self.t.add("boot", f"{label}: QEMU start to tools-ready", summary(tools, "s"))
            self.t.add("boot", f"{label}: kernel start to agent ready", summary(k, "s"))
        tools = []
        s, k = self.our_rom_series(tools)
        v = ""
        if peer_ssh.get("ipxe") and s:
            ratio = statistics.median(peer_ssh["ipxe"]) / statistics.median(s)
            v = f"1/{ratio:.1f} {verdict(ratio >= 5)}"
        self.t.add("boot", "rescue, stock iPXE ROM via lifeboatd: to ssh true", summary(s, "s"),
                   summary(peer_ssh.get("ipxe", []), "s"), "<= 1/5 of peer", v)
        self.t.add("boot", "rescue, stock iPXE ROM via lifeboatd: to tools-ready", summary(tools, "s"))

    def peer_rom_args(self):
        return [*netdev(f"http://10.0.2.2:{self.peer_www.port}/peer.ipxe"),
                "-device", "virtio-net-pci,netdev=n0", "-boot", "n"]

    def start_peer_www(self):
        root = self.work / "peer-www"
        root.mkdir(exist_ok=True)
        for f in ("vmlinuz", "initrd.img"):
            if not (root / f).exists():
                os.symlink(self.peer / f, root / f)
        self.peer_www = StaticServer(root)
        base = f"http://10.0.2.2:{self.peer_www.port}"
        (root / "peer.ipxe").write_text(f"#!ipxe\nkernel {base}/vmlinuz {PEER_ARGS}\n"
                                        f"initrd {base}/initrd.img\nboot\n")

    def our_rom_series(self, tools=None):
        from conftest import Lifeboatd
        mac = "52:54:00:be:00:01"
        d = Lifeboatd(str(self.out), self.work / "lifeboatd", keys=self.pub + "\n", nat=True).start()
        try:
            args = lambda: [*netdev(d.guest_url("/chain.ipxe")),  # noqa: E731
                            "-device", f"virtio-net-pci,netdev=n0,mac={mac}", "-boot", "n"]
            return self.boot_series("rescue-ipxe", args, self.key, OUR_READY,
                                    setup=lambda: d.ctl("rescue", mac, "--once", "--nat"), tools=tools)
        finally:
            d.stop()

    # -- smallest RAM
    def smallest_ram(self, label, make_args, key, lo, hi, deadline, tools=False):
        """Bisection on -m (MiB, step 2): lo is known to fail or is the floor,
        hi must reach SSH (tools: and tools-ready, with a tool that runs)."""
        def reaches_ssh(mb):
            try:
                boot_once(f"{label}-{mb}M", str(self.work), make_args(), key,
                          "\x00never", mb, deadline, tools=tools)
                return True
            except AssertionError:
                return False

        if not reaches_ssh(hi):
            return None
        while hi - lo > 2:
            mid = (lo + hi) // 2 // 2 * 2
            if mid <= lo:
                break
            if reaches_ssh(mid):
                hi = mid
            else:
                lo = mid
        return hi

    def ram(self):
        peer = None
        if self.peer_ok:
            peer = self.smallest_ram("peer-ram", self.peer_direct_args, self.peer_key(), 32, 1024, 120)
            self.t.add("ram", "peer: smallest -m that reaches ssh", "",
                       f"{peer} MiB" if peer else "none <= 1024 MiB")
        rescue_fetch = lambda: self.our_direct_args(self.images["rescue"], True)  # noqa: E731
        for what, make_args, limit, tools in (
                ("rescue: smallest -m that reaches ssh", rescue_fetch, 96, False),
                ("rescue: smallest -m with the toolbox fetched and usable", rescue_fetch, 96, True),
                ("rescue, toolbox as second initrd: ... usable", lambda: self.our_direct_args(self.with_toolbox),
                 None, True),
                ("minimal: smallest -m that reaches ssh", lambda: self.our_direct_args(self.images["minimal"]),
                 48, False)):
            if not self.images[what.split(":")[0].split(",")[0]].exists():
                continue
            mb = self.smallest_ram(f"ram-{len(self.t.rows)}", make_args, self.key, 8, 512, 120, tools=tools)
            self.t.add("ram", what, f"{mb} MiB" if mb else "none <= 512 MiB",
                       f"{peer} MiB" if peer and not tools else "",
                       f"<= {limit} MiB" if limit else "", verdict(mb is not None and mb <= limit) if limit else "")

    # -- builds
    def build(self):
        """Clean builds in a fresh clone of HEAD (sources come from the
        download cache, as on any machine after the first `make`)."""
        clone = self.work / "clone"
        status = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain"],
                                capture_output=True, text=True).stdout
        if status.strip():
            self.t.note("the work tree has uncommitted changes: builds measure the last commit")
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)

        def make(*extra):
            t0 = time.monotonic()
            r = subprocess.run(["make", "-C", str(clone), *extra], capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"make {' '.join(extra)} failed in {clone}:\n{r.stdout[-2000:]}{r.stderr[-2000:]}")
            return time.monotonic() - t0

        artefacts = ("bzImage", "initramfs.cpio.xz", "rescue.ipxe", "build/server/lifeboatd",
                     "build/server/lifeboatctl", "build/host/lifeboat-image", "build/agent/init")

        def digests():
            return {a: hashlib.sha256((clone / "out" / a).read_bytes()).hexdigest() for a in artefacts}

        clean = [make()]
        first = digests()
        noop = [make() for _ in range(self.o.runs)]
        touched = []
        for _ in range(self.o.runs):
            (clone / "agent" / "main.c").touch()
            touched.append(make())
        shutil.rmtree(clone / "out")
        clean.append(make())
        second = digests()
        differ = [a for a in artefacts if first[a] != second[a]]
        self.t.add("build", f"clean build of {head} (make, sources cached)", summary(clean, "s", 0))
        self.t.add("build", "no-op make", summary(noop, "s", 2), "", "< 2 s",
                   verdict(statistics.median(noop) < 2))
        self.t.add("build", "make after touching agent/main.c", summary(touched, "s", 2), "", "< 10 s",
                   verdict(statistics.median(touched) < 10))
        self.t.add("build", "two clean builds byte-identical", "yes" if not differ else
                   "no: " + ", ".join(differ), "", "yes", verdict(not differ))
        shutil.rmtree(clone)

    # -- boot server throughput
    def server(self):
        from conftest import Lifeboatd
        www = self.work / "www"
        (www / "payload").mkdir(parents=True)
        for f in ("bzImage", "initramfs.cpio.xz"):
            shutil.copy(self.out / f, www / "payload" / f)
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-load", keys=self.pub + "\n", nat=True,
                      payload_dir=str(www / "payload")).start()
        macs = [f"52:54:01:00:{i >> 8:02x}:{i & 255:02x}" for i in range(self.o.clients)]
        for mac in macs:
            d.ctl("rescue", mac, "--nat")
        query = "/boot.ipxe?mac={mac}&ip=127.0.0.1&uuid=&serial=&product=&manufacturer=&platform=pcbios&buildarch=x86_64"
        sample = subprocess.run(["curl", "-sf", d.local(query.format(mac=macs[0]))],
                                capture_output=True, text=True)
        (www / "boot.ipxe").write_text(sample.stdout)
        nginx = self.start_nginx(www)
        try:
            scenarios = (
                ("iPXE rescue boots: script, bzImage, initramfs", "boot", True),
                ("boot script alone (new token, state fsync'd)", "script", False),
                ("payload alone: bzImage, initramfs", "payload", False),
            )
            for label, kind, headline in scenarios:
                ours = self.wrk(d.port, kind, macs, query)
                theirs = self.wrk(nginx[1], kind, macs, None)
                ratio = ours["rps"] / theirs["rps"] if theirs["rps"] else 0
                self.t.add("server", f"{label}: requests/s", f"{ours['rps']:.0f}",
                           f"nginx {theirs['rps']:.0f}", ">= 0.9x nginx" if headline else "",
                           f"{ratio:.2f}x " + (verdict(ratio >= 0.9) if headline else ""))
                self.t.add("server", f"{label}: p99 latency", f"{ours['p99']:.1f} ms",
                           f"nginx {theirs['p99']:.1f} ms")
                if kind != "script":
                    self.t.add("server", f"{label}: MB/s", f"{ours['mbps']:.0f}",
                               f"nginx {theirs['mbps']:.0f}")
        finally:
            nginx[0].terminate()
            nginx[0].wait(timeout=10)
            d.stop()
        self.t.note(f"server: wrk, {self.o.clients} connections, 2 threads, {self.o.seconds} s per "
                    f"scenario, on loopback; nginx {self.nginx_version} with sendfile, "
                    f"worker_processes auto; lifeboatd thread pool = cores")

    # -- the session model under load (issue: sessions that cannot be hijacked)
    def sessions(self):
        """Boot decisions per second against /chain.ipxe on the same server,
        and another client's latency while 1,100 sockets trickle headers
        from one address."""
        from conftest import Lifeboatd
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-sessions", keys=self.pub + "\n", nat=True).start()
        known = [f"52:54:02:00:{i >> 8:02x}:{i & 255:02x}" for i in range(self.o.clients)]
        rescue = [f"52:54:03:00:{i >> 8:02x}:{i & 255:02x}" for i in range(self.o.clients)]
        for mac in known:
            d.ctl("normal", mac)
        for mac in rescue:
            d.ctl("rescue", mac, "--nat")
        query = "/boot.ipxe?mac={mac}&ip=127.0.0.1&platform=pcbios&buildarch=x86_64"
        try:
            chain = self.wrk_paths(d.port, "chain", ["/chain.ipxe"])
            normal = self.wrk_paths(d.port, "normal", [query.format(mac=m) for m in known])
            ratio = normal["rps"] / chain["rps"] if chain["rps"] else 0
            self.t.add("sessions", "known host, normal boot: decisions/s", f"{normal['rps']:.0f}",
                       f"/chain.ipxe {chain['rps']:.0f}", ">= 0.5x /chain.ipxe", f"{ratio:.2f}x {verdict(ratio >= 0.5)}")
            self.t.add("sessions", "known host, normal boot: p99", f"{normal['p99']:.1f} ms",
                       f"/chain.ipxe {chain['p99']:.1f} ms")
            rescued = self.wrk_paths(d.port, "rescue", [query.format(mac=m) for m in rescue])
            self.t.add("sessions", "rescue decisions/s (new token, index + host file fsync'd)",
                       f"{rescued['rps']:.0f}", "", "", f"p99 {rescued['p99']:.1f} ms")
            quiet = self.client_latency(d, known[0], 300)
            held, lat = self.trickle(d, known[0], 1100)
            p99 = percentile(lat, 99)
            self.t.add("sessions", "another client's p99 while 1,100 sockets trickle from one address",
                       f"{p99:.1f} ms", f"idle server {percentile(quiet, 99):.1f} ms", "< 100 ms",
                       verdict(p99 < 100))
            self.t.note(f"sessions: of 1,100 trickling sockets lifeboatd held at most {held} at once "
                        f"(max_per_address); each request of the other client is a new connection")
        finally:
            d.stop()

    # -- a fleet on each store back end (issue: state for a fleet)
    def fleet(self):
        """10,000 enrolled hosts (normal policy) on SQLite and on PostgreSQL:
        a boot storm of all of them against /chain.ipxe (a static script from
        the same server), then 500 rescue agents reporting every 5 s."""
        from conftest import Lifeboatd, Postgres
        hosts = [f"52:54:04:{i >> 16:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}" for i in range(10000)]
        agents = hosts[:500]
        pg = None
        try:
            pg = Postgres(fsync=True)
        except BaseException as e:  # pytest.skip's exception when the package is missing
            self.t.note(f"fleet: no PostgreSQL here ({e}): SQLite only")
        backends = [("SQLite", "")] + ([("PostgreSQL", None)] if pg else [])
        try:
            for name, database in backends:
                if database is None:
                    database = pg.new_database()
                self.fleet_one(Lifeboatd, name, database, hosts, agents)
        finally:
            if pg:
                pg.stop()
        self.t.note(f"fleet: {len(hosts):,} hosts enrolled with lifeboatctl import-json; the storm: wrk, "
                    f"{self.o.fleet_clients} connections, 2 threads, every host's /boot.ipxe once (from the first "
                    f"request to the last answer), against /chain.ipxe {len(hosts):,} times the same way, three "
                    f"rounds each, the median; asking again: {self.o.seconds} s round the fleet; heartbeats: 500 "
                    f"agents (threads, each its own 127.1.x.y and token, a new connection per report as the agent "
                    f"does), every 5 s for {self.o.heartbeat_seconds} s; SQLite synchronous=FULL, PostgreSQL "
                    f"{pg.version if pg else '-'} (fsync on) on the same machine")

    def fleet_one(self, Lifeboatd, name, database, hosts, agents):
        import json as _json
        import random
        d = Lifeboatd(str(self.out), self.work / f"fleet-{name}", keys=self.pub + "\n", database=database,
                      extra=["--max-per-address", str(self.o.fleet_clients + 64),
                             "--max-connections", str(self.o.fleet_clients + 1024)])
        old = self.work / f"fleet-{name}-json"
        (old / "hosts").mkdir(parents=True)
        for mac in hosts:
            (old / "hosts" / (mac.replace(":", "-") + ".json")).write_text(_json.dumps(
                {"mac": mac, "policy": "normal", "nat": False, "created": 1700000000}))
        start = time.monotonic()
        r = subprocess.run([d.ctl_bin, "--state-dir", str(d.state), *d.ctl_database(), "import-json", str(old)],
                           capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            raise RuntimeError(f"import-json: {r.stderr}")
        enroll = time.monotonic() - start
        d.start()
        try:
            query = "/boot.ipxe?mac={mac}&ip=127.0.0.1&platform=pcbios&buildarch=x86_64"
            paths = [query.format(mac=m) for m in random.Random(1).sample(hosts, len(hosts))]
            # all of them at once, each once, on new connections; /chain.ipxe
            # (a static script) the same way, 10,000 times
            # (three rounds each, interleaved, the median: a round lasts ~0.3 s)
            colds, chains = [], []
            for _ in range(3):
                colds.append(self.wrk_once(d.port, f"fleet-cold-{name}", paths, self.o.fleet_clients))
                chains.append(self.wrk_once(d.port, f"fleet-chain1-{name}", ["/chain.ipxe"] * len(paths),
                                            self.o.fleet_clients))
            cold = sorted(colds, key=lambda r: r["rps"])[1]
            chain1 = sorted(chains, key=lambda r: r["rps"])[1]
            ratio = cold["rps"] / chain1["rps"] if chain1["rps"] else 0
            self.t.add("fleet", f"{name}: boot storm, 10,000 known hosts (normal) each asking once at once: "
                       f"decisions/s", f"{cold['rps']:.0f}", f"/chain.ipxe {chain1['rps']:.0f}",
                       ">= 0.5x /chain.ipxe", f"{ratio:.2f}x {verdict(ratio >= 0.5)}")
            self.t.add("fleet", f"{name}: that storm's p99 (all answered in {cold['secs']:.2f} s)",
                       f"{cold['p99']:.1f} ms", f"/chain.ipxe {chain1['p99']:.1f} ms")
            chain = self.wrk_paths(d.port, f"fleet-chain-{name}", ["/chain.ipxe"], self.o.fleet_clients)
            storm = self.wrk_paths(d.port, f"fleet-storm-{name}", paths, self.o.fleet_clients)
            ratio = storm["rps"] / chain["rps"] if chain["rps"] else 0
            self.t.add("fleet", f"{name}: the same hosts asking again for {self.o.seconds} s: decisions/s",
                       f"{storm['rps']:.0f}", f"/chain.ipxe {chain['rps']:.0f}", "",
                       f"{ratio:.2f}x, p99 {storm['p99']:.1f} ms")
            lat = self.heartbeats(d, agents)
            p99 = percentile(lat, 99)
            self.t.add("fleet", f"{name}: 500 agents reporting every 5 s: report p99", f"{p99:.1f} ms",
                       f"median {statistics.median(lat):.1f} ms, {len(lat)} reports", "< 50 ms",
                       verdict(p99 < 50))
            self.t.add("fleet", f"{name}: enrolling 10,000 hosts (lifeboatctl import-json)", f"{enroll:.1f} s")
        finally:
            d.stop()

    # -- a database that does not answer (issue: hardening, items 1 and 4)
    def chaos(self):
        """Normal boots of 200 cached hosts from 8 clients while PostgreSQL
        answers, is hung (SIGSTOP), thawed, stopped, and started again:
        each phase's p99 and slowest answer, and how many were answered
        normal or wait (past the facts' trust the answer is the wait
        script, by design: docs/server.md, Availability)."""
        import concurrent.futures
        from conftest import Lifeboatd, Postgres
        try:
            pg = Postgres()
        except BaseException as e:  # pytest.skip's exception when the package is missing
            self.t.note(f"chaos: no PostgreSQL here ({e})")
            return
        db_timeout = 2
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-chaos", keys=self.pub + "\n", database=pg.new_database(),
                      extra=["--db-timeout", str(db_timeout)])
        try:
            d.start()
            hosts = [f"52:54:05:00:{i >> 8:02x}:{i & 255:02x}" for i in range(200)]
            for mac in hosts:
                d.ctl("normal", mac)

            def client(k, end):
                return keepalive_boots(d.port, hosts, k, 8, end)

            def phase(label, seconds=6.0):
                lat, waits, bad = [], 0, 0
                end = time.monotonic() + seconds
                with concurrent.futures.ThreadPoolExecutor(8) as ex:
                    for rows in ex.map(client, range(8), [end] * 8):
                        for took, status, wait in rows:
                            lat.append(took)
                            waits += wait
                            bad += status != 200
                return {"label": label, "p99": percentile(lat, 99), "max": max(lat), "n": len(lat), "waits": waits,
                        "bad": bad}

            base = phase("PostgreSQL answering")
            pg.freeze()
            hung = phase("PostgreSQL hung (SIGSTOP)")
            pg.thaw()
            time.sleep(1.5)
            thawed = phase("thawed")
            pg.stop_server()
            stopped = phase("PostgreSQL stopped")
            pg.start_server()
            time.sleep(1.5)
            back = phase("started again")
            for r in (base, hung, thawed, stopped, back):
                ok = r["p99"] <= 2 * max(base["p99"], 1.0) and r["max"] < db_timeout * 1000 + 500 and r["bad"] == 0
                self.t.add("chaos", f"normal boot of cached hosts, {r['label']}: p99", f"{r['p99']:.1f} ms",
                           f"max {r['max']:.0f} ms, {r['n']} answers, {r['waits']} wait",
                           f"<= 2x answering, max < db_timeout", verdict(ok))
            self.t.note(f"chaos: db_timeout = {db_timeout} s, store_unreachable = wait; each phase 6 s from "
                        f"8 keep-alive connections; a wait answer is the script that tells iPXE to ask again "
                        f"(the facts are past trust)")
        finally:
            d.stop()
            pg.stop()

    # -- 200 serial consoles captured at once (issue: see what the machine sees)
    def consoles(self):
        """lifeboatd capturing 200 hosts' consoles (simulated SOL endpoints:
        bench/fake_ipmitool.c, 10 lines a second each) beside none: its CPU
        and memory, the lines stored, and the normal-boot p99 of 200 cached
        hosts from 8 keep-alive clients in each case."""
        import concurrent.futures
        from conftest import Lifeboatd
        n_consoles, seconds = 200, 20
        fakebin = self.work / "fakebin"
        fakebin.mkdir(parents=True, exist_ok=True)
        subprocess.run(["gcc", "-O2", "-o", str(fakebin / "ipmitool"), str(REPO / "bench" / "fake_ipmitool.c")],
                       check=True)
        saved_path = os.environ["PATH"]
        os.environ["PATH"] = f"{fakebin}:{saved_path}"  # lifeboatd's workers find the stand-in first
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-consoles", keys=self.pub + "\n")
        try:
            d.start()
            hosts = [f"52:54:06:00:{i >> 8:02x}:{i & 255:02x}" for i in range(200)]
            for mac in hosts:
                d.ctl("normal", mac)
            pw = self.work / "bmc-password"
            pw.write_text("x\n")

            def client(k, end):
                return [took for took, _, _ in keepalive_boots(d.port, hosts, k, 8, end)]

            def cpu_s():
                f = Path(f"/proc/{d.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

            def rss_mib():
                for ln in Path(f"/proc/{d.proc.pid}/status").read_text().splitlines():
                    if ln.startswith("VmRSS:"):
                        return int(ln.split()[1]) / 1024
                return 0

            def lines():
                return d.db.rows("SELECT COUNT(*) FROM console")[0][0]

            def window(label):
                end = time.monotonic() + seconds
                c0, l0 = cpu_s(), lines()
                with concurrent.futures.ThreadPoolExecutor(8) as ex:
                    lat = [x for rows in ex.map(client, range(8), [end] * 8) for x in rows]
                took = seconds
                return {"label": label, "p99": percentile(lat, 99), "n": len(lat),
                        "cpu": (cpu_s() - c0) / took * 100, "rss": rss_mib(), "lines": (lines() - l0) / took}

            idle = window("no consoles")
            for i in range(n_consoles):
                d.ctl("bmc", hosts[i], "--address", "127.0.0.1", "--port", str(10000 + i), "--user", "admin",
                      "--password-file", str(pw), "--console")
            deadline = time.monotonic() + 120
            while d.log_path.read_text().count("capturing the serial console") < n_consoles:
                if time.monotonic() > deadline:
                    raise RuntimeError("consoles: not every console is captured after 120 s")
                time.sleep(1)
            time.sleep(5)
            busy = window(f"{n_consoles} consoles")
            ratio = busy["p99"] / idle["p99"] if idle["p99"] else 0
            self.t.add("consoles", f"normal-boot p99 while capturing {n_consoles} consoles", f"{busy['p99']:.1f} ms",
                       f"none: {idle['p99']:.1f} ms", "within 10% (or 1 ms)",
                       f"{ratio:.2f}x {verdict(busy['p99'] <= max(idle['p99'] * 1.1, idle['p99'] + 1.0))}")
            self.t.add("consoles", f"lifeboatd CPU capturing {n_consoles} consoles", f"{busy['cpu']:.1f}% of a core",
                       f"none: {idle['cpu']:.1f}% (both under the boot load)", "", "")
            self.t.add("consoles", f"lifeboatd memory (RSS) capturing {n_consoles} consoles", f"{busy['rss']:.1f} MiB",
                       f"none: {idle['rss']:.1f} MiB", "", "")
            self.t.add("consoles", "console lines stored", f"{busy['lines']:.0f} a second",
                       f"offered: {n_consoles * 10} a second", "all", verdict(busy["lines"] >= n_consoles * 10 * 0.95))
            self.t.note(f"consoles: {n_consoles} simulated SOL endpoints (bench/fake_ipmitool.c in lifeboatd's PATH: "
                        f"10 lines a second each, on a terminal as ipmitool is); {seconds} s windows of normal boots "
                        f"of 200 cached hosts from 8 keep-alive clients, SQLite; CPU from /proc (user+system) over "
                        f"the window")
        finally:
            d.stop()
            os.environ["PATH"] = saved_path

    def wrk_once(self, port, name, paths, clients):
        """Every path once, as fast as the server answers: wrk's two threads
        each take half; each notes the wall clock at its first request and
        at its last answer (wrk's own duration is the -d it was given)."""
        lua = self.work / f"wrk-{name}-{port}.lua"
        lua.write_text(
            "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
            "local n, threads = 0, {}\n"
            "local function now() local f = io.popen('date +%s.%N'); local t = f:read('*n'); f:close();"
            " return t end\n"
            "function setup(thread) n = n + 1; thread:set('id', n); table.insert(threads, thread) end\n"
            "function init(args) idx = id - 1; got = 0; want = math.floor(#paths / 2); first = now();"
            " last = 0 end\n"
            "function request() local p = paths[(idx % #paths) + 1]; idx = idx + 2;"
            " return wrk.format('GET', p) end\n"
            "function response(status, headers, body) got = got + 1;"
            " if got == want then last = now(); wrk.thread:stop() end end\n"
            "function done(summary, latency, requests)\n"
            "  local a, z, got = math.huge, 0, 0\n"
            "  for _, t in ipairs(threads) do a = math.min(a, t:get('first')); z = math.max(z, t:get('last'));"
            " got = got + t:get('got') end\n"
            "  io.write(string.format('RESULT %d %f %f\\n', got, z - a, latency:percentile(99) / 1000))\n"
            "end\n")
        r = subprocess.run(["wrk", "-t2", f"-c{clients}", "-d5s", "--timeout", "30s", "-s", str(lua),
                            f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=120)
        m = re.search(r"^RESULT (\d+) ([\d.]+) ([\d.]+)$", r.stdout, re.M)
        if not m or "Non-2xx" in r.stdout:
            raise RuntimeError(f"wrk: {r.stdout}{r.stderr}")
        reqs, secs = int(m[1]), float(m[2])
        if reqs < len(paths) - 1 or secs <= 0:
            raise RuntimeError(f"wrk answered {reqs} of {len(paths)} in {secs} s: {r.stdout}")
        return {"rps": reqs / secs, "p99": float(m[3]), "secs": secs}

    def heartbeats(self, d, agents):
        """Arms the agents through the API, claims each session from its own
        address, then every agent reports every 5 s; the latencies in ms."""
        import json as _json
        import threading as _threading
        from test_security import report
        tokens = {}
        for i, mac in enumerate(agents):
            src = f"127.1.{i // 250}.{i % 250 + 1}"
            status, _, body = d.request("POST", f"/api/v1/hosts/{mac}/rescue", body='{"nat": true}', admin=True,
                                        headers={"Content-Type": "application/json"})
            if status != 200:
                raise RuntimeError(f"rescue {mac}: {status} {body}")
            status, _, body = d.request("GET", f"/boot.ipxe?mac={mac}&ip={src}", source=src)
            tokens[mac] = (src, next(w.split("=", 1)[1] for w in body.decode().split()
                                     if w.startswith("lifeboat.token=")))
        lat, errors, lock = [], [], _threading.Lock()
        end = time.monotonic() + self.o.heartbeat_seconds

        def agent(i, mac):
            src, token = tokens[mac]
            body = report(src, {"type": "ssh-ed25519", "key": "AAAAC3NzaC1lZDI1NTE5AAAAIBench" + str(i),
                                "fingerprint": "SHA256:bench"})
            time.sleep(5 * i / len(agents))  # spread over the period, as boots would be
            seq = 1
            while time.monotonic() < end:
                body["seq"] = seq
                t0 = time.monotonic()
                status, _, out = d.request("POST", "/api/v1/status", _json.dumps(body).encode(),
                                           {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                                           source=src, timeout=30)
                ms = (time.monotonic() - t0) * 1000
                with lock:
                    (lat if status == 200 else errors).append(ms if status == 200 else (status, out))
                seq += 1
                time.sleep(max(0.0, 5 - ms / 1000))

        threads = [_threading.Thread(target=agent, args=(i, mac)) for i, mac in enumerate(agents)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError(f"{len(errors)} reports refused: {errors[:3]}")
        return lat

    def wrk_paths(self, port, name, paths, clients=None):
        return self.wrk(port, name, paths, "{mac}", clients=clients)

    def client_latency(self, d, mac, n):
        lat = []
        for _ in range(n):
            start = time.monotonic()
            status, _, _ = d.request("GET", f"/boot.ipxe?mac={mac}&ip=127.0.0.1", source="127.0.0.1")
            lat.append((time.monotonic() - start) * 1000)
            if status != 200:
                raise RuntimeError(f"lifeboatd answered {status}")
            time.sleep(0.02)
        return lat

    def trickle(self, d, mac, count):
        import resource
        import socket
        import threading
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
        socks, stop = [], threading.Event()

        def feed():
            while not stop.is_set():
                for s in socks:
                    try:
                        s.send(b"X-Slow: 1\r\n")
                    except OSError:
                        pass
                stop.wait(1)
        try:
            for _ in range(count):
                s = socket.socket()
                socks.append(s)
                s.setblocking(False)
                s.bind(("127.0.0.9", 0))
                try:
                    s.connect(("127.0.0.1", d.port))
                except (BlockingIOError, OSError):
                    pass
            time.sleep(0.5)
            for s in socks:
                try:
                    s.send(b"GET / HTTP/1.1\r\nHost: x\r\n")
                except OSError:
                    pass
            t = threading.Thread(target=feed, daemon=True)
            t.start()
            held = int(subprocess.run(["sh", "-c", f"ss -Htn state established '( sport = :{d.port} )' "
                                       f"dst 127.0.0.9 | wc -l"], capture_output=True, text=True).stdout or 0)
            lat = self.client_latency(d, mac, 300)
            stop.set()
            t.join()
            return held, lat
        finally:
            for s in socks:
                s.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    def start_nginx(self, root, cert=None):
        port = free_port()
        tls_port = free_port() if cert else None
        tls_server = ""
        if cert:
            tls_server = (f"server {{ listen 127.0.0.1:{tls_port} ssl; ssl_certificate {cert[0]}; "
                          f"ssl_certificate_key {cert[1]}; root {root}; }}")
        conf = self.work / ("nginx-tls.conf" if cert else "nginx.conf")
        conf.write_text(f"""
worker_processes auto;
daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path {self.work}/nginx-tmp;
    proxy_temp_path {self.work}/nginx-tmp;
    fastcgi_temp_path {self.work}/nginx-tmp;
    uwsgi_temp_path {self.work}/nginx-tmp;
    scgi_temp_path {self.work}/nginx-tmp;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location = /boot.ipxe {{ }}
    }}
    {tls_server}
}}
""")
        r = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
        self.nginx_version = r.stderr.strip().split("/")[-1]
        os.chmod(self.work, 0o755)
        proc = subprocess.Popen(["nginx", "-p", str(self.work), "-c", str(conf)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if subprocess.run(["curl", "-sf", "-o", "/dev/null", f"http://127.0.0.1:{port}/boot.ipxe"]).returncode == 0:
                return proc, port, tls_port
            time.sleep(0.1)
        raise RuntimeError(f"nginx did not start: {(self.work / 'nginx-error.log').read_text()}")

    def wrk(self, port, kind, macs, query, scheme="http", close=False, clients=None):
        """Runs wrk; each connection is one simulated client (its own MAC
        for the boot script). close: a new connection (for https, a new
        TLS handshake) for every request."""
        lua = self.work / f"wrk-{kind}-{port}.lua"
        scripts = [query.format(mac=m) if query else "/boot.ipxe" for m in macs]
        if query == "{mac}":  # wrk_paths: the paths themselves
            scripts = list(macs)
        payload = ["/payload/bzImage", "/payload/initramfs.cpio.xz"]
        if kind in ("script", "chain", "normal", "rescue") or kind.startswith("fleet"):
            paths = scripts
        elif kind == "payload":
            paths = payload
        else:  # what an iPXE client asks for, in order, one host after another
            paths = [p for s in scripts for p in (s, *payload)]
        lua.write_text(
            "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
            "local n = 0\n"
            "function setup(thread) n = n + 1; thread:set('id', n) end\n"
            "local i = 0\n"
            "function request() i = i + 1; return wrk.format('GET', paths[(i % #paths) + 1]"
            + (", {Connection = 'close'}" if close else "") + ") end\n"
            "function done(summary, latency, requests)\n"
            "  io.write(string.format('RESULT %d %d %f %f\\n', summary.requests, summary.bytes,\n"
            "    summary.duration / 1e6, latency:percentile(99) / 1000))\n"
            "end\n")
        r = subprocess.run(["wrk", "-t2", f"-c{clients or self.o.clients}", f"-d{self.o.seconds}s", "--timeout", "30s",
                            "-s", str(lua), f"{scheme}://127.0.0.1:{port}"],
                           capture_output=True, text=True, timeout=self.o.seconds + 60)
        m = re.search(r"^RESULT (\d+) (\d+) ([\d.]+) ([\d.]+)$", r.stdout, re.M)
        if not m:
            raise RuntimeError(f"wrk printed no result: {r.stdout}{r.stderr}")
        if "Non-2xx" in r.stdout:
            raise RuntimeError(f"wrk saw errors on port {port}: {r.stdout}")
        reqs, nbytes, secs, p99 = int(m[1]), int(m[2]), float(m[3]), float(m[4])
        return {"rps": reqs / secs, "mbps": nbytes / secs / 1e6, "p99": p99}

    # -- TLS end to end (issue: TLS end to end and an authenticated admin interface)
    def tls(self):
        self.tls_size()
        self.tls_boot()
        self.tls_server()

    def tls_size(self):
        agent = self.out / "build" / "agent" / "init"
        link_map = Path(str(agent) + ".map")
        if not link_map.exists():
            self.t.note(f"tls: {link_map} missing: run make")
            return
        bear = linked_bytes(link_map, "libbearssl.a")
        self.t.add("tls", "BearSSL in the agent (code + data the linker kept)", f"{bear / 1e3:.0f} KB", "", "",
                   f"agent /init {agent.stat().st_size / 1e3:.0f} KB stripped")

    def tls_boot(self):
        """QEMU start to ssh true through our ROM (e1000): plain HTTP, and
        HTTPS with the CA pinned in the ROM and the agent reporting over TLS."""
        if not os.environ.get("IPXE_SRC"):
            self.t.note("tls: no IPXE_SRC: the HTTPS-ROM boot figures need an iPXE tree (make bench IPXE_SRC=...)")
            return
        from conftest import Lifeboatd
        from test_rom import build_rom
        mac = "52:54:00:be:00:02"
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-tls", keys=self.pub + "\n", nat=True, tls=True).start()
        try:
            medians = {}
            for https in (False, True):
                server = f"https://10.0.2.2:{d.tls_port}" if https else d.guest_url("")
                rom = build_rom(str(self.out), server, trust=str(d.ca / "ca.crt") if https else None, https=https)
                args = lambda rom=rom: [*netdev(), "-device", f"e1000,netdev=n0,mac={mac},romfile={rom}",  # noqa: E731
                                        "-boot", "n"]
                s, _ = self.boot_series("rom-https" if https else "rom-http", args, self.key, OUR_READY,
                                        setup=lambda: d.ctl("rescue", mac, "--once", "--nat"), deadline=600)
                medians[https] = statistics.median(s) if s else None
                label = "HTTPS (CA pinned; agent over TLS)" if https else "plain HTTP"
                self.t.add("tls", f"our ROM, {label}: QEMU start to ssh true", summary(s, "s"))
            if medians[False] and medians[True]:
                ratio = medians[True] / medians[False]
                self.t.add("tls", "boot to SSH, HTTPS / HTTP through our ROM", f"{ratio:.2f}x", "", "<= 1.3x",
                           verdict(ratio <= 1.3))
        finally:
            d.stop()

    def tls_server(self):
        """lifeboatd's HTTPS listener against nginx with the same
        certificate and key: the payload on kept-alive connections, and
        /chain.ipxe with a new TLS handshake for every request."""
        from conftest import Lifeboatd
        www = self.work / "www-tls"
        (www / "payload").mkdir(parents=True)
        for f in ("bzImage", "initramfs.cpio.xz"):
            shutil.copy(self.out / f, www / "payload" / f)
        d = Lifeboatd(str(self.out), self.work / "lifeboatd-tls-load", keys=self.pub + "\n", nat=True, tls=True,
                      payload_dir=str(www / "payload")).start()
        chain = subprocess.run(["curl", "-sf", d.local("/chain.ipxe")], capture_output=True, text=True).stdout
        (www / "chain.ipxe").write_text(chain)
        (www / "boot.ipxe").write_text(chain)
        nginx = self.start_nginx(www, cert=(d.ca / "server.crt", d.ca / "server.key"))
        try:
            for label, kind, paths, close in (
                    ("payload over HTTPS (kept-alive)", "payload", None, False),
                    ("/chain.ipxe over HTTPS, a new TLS handshake per request", "chain", ["/chain.ipxe"], True)):
                ours = self.wrk(d.tls_port, kind, paths or [], "{mac}" if paths else None, scheme="https",
                                close=close)
                theirs = self.wrk(nginx[2], kind, paths or [], "{mac}" if paths else None, scheme="https",
                                  close=close)
                ratio = ours["rps"] / theirs["rps"] if theirs["rps"] else 0
                self.t.add("tls", f"{label}: requests/s", f"{ours['rps']:.0f}", f"nginx {theirs['rps']:.0f}", "",
                           f"{ratio:.2f}x")
                if kind == "payload":
                    self.t.add("tls", f"{label}: MB/s", f"{ours['mbps']:.0f}", f"nginx {theirs['mbps']:.0f}")
                else:
                    self.t.note(f"tls: each new connection costs lifeboatd a full handshake (an RSA-2048 "
                                f"signature in GnuTLS; libmicrohttpd keeps no session cache, so resumption "
                                f"does not help); an iPXE boot over HTTPS opens about 4 connections, so "
                                f"{ours['rps']:.0f} handshakes/s is about {ours['rps'] / 4:.0f} machines "
                                f"starting a rescue boot per second")
                self.t.add("tls", f"{label}: p99 latency", f"{ours['p99']:.1f} ms", f"nginx {theirs['p99']:.1f} ms")
        finally:
            nginx[0].terminate()
            nginx[0].wait(timeout=10)
            d.stop()
        self.t.note(f"tls: wrk over HTTPS, {self.o.clients} connections, {self.o.seconds} s per scenario; the same "
                    f"RSA 2048 certificate (make ca) for both; lifeboatd on libmicrohttpd + GnuTLS, nginx "
                    f"{self.nginx_version} on OpenSSL")

    # -- report
    def machine(self):
        cpu = "unknown"
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = Path("/proc/meminfo").read_text().split()[1]
        qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True,
                              text=True).stdout.splitlines()[0]
        head = subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"],
                              capture_output=True, text=True).stdout.strip()
        return [
            f"machine: {platform.node()}, {cpu}, {os.cpu_count()} cores, {int(mem) // 1024} MiB RAM, "
            f"{platform.system()} {platform.release()}",
            f"date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
            f"lifeboat: {head}",
            f"QEMU: {qemu}, accelerator {ACCEL}, -cpu max -smp 1, virtio-net, virtio-rng",
            f"runs: {self.o.runs} per boot figure (median, min-max); RAM by bisection (2 MiB steps)",
        ]

    def kept_rows(self):
        """Rows and notes of the sections not measured this time, from the
        previous results file, each marked with the run it came from: a
        partial run (BENCH_ONLY) does not throw the others' figures away."""
        try:
            old = Path(self.o.results).read_text().splitlines()
        except OSError:
            return [], []
        origin = next((ln.split(":", 1)[1].strip() for ln in old if ln.startswith("- lifeboat:")), "?")
        date = next((ln.split(":", 1)[1].strip() for ln in old if ln.startswith("- date:")), "?")
        rows, notes = [], []
        for ln in old:
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            section = ROW_SECTION.get(cells[0], cells[0]) if cells else ""
            if ln.startswith("| ") and len(cells) == 6 and section in SECTIONS and section not in self.o.only:
                if "(from " not in cells[1]:
                    cells[1] += f" (from {origin}, {date})"
                rows.append("| " + " | ".join(cells) + " |")
            elif ln.startswith("- ") and ":" in ln and ln[2:].split(":", 1)[0] in SECTIONS \
                    and ln[2:].split(":", 1)[0] not in self.o.only:
                notes.append(ln if "(from " in ln else f"{ln} (from {origin})")
        return rows, notes

    def write(self, header, took):
        peer = ""
        if self.peer_ok:
            peer = "; ".join((self.peer / "versions.txt").read_text().strip().splitlines())
        lines = ["# Lifeboat benchmark results", "",
                 "Written by `make bench` (bench/bench.py); do not edit by hand.", ""]
        lines += [f"- {h}" for h in header]
        if peer:
            lines.append(f"- peer (`make bench-peer`): {peer}")
        lines += [f"- sections: {', '.join(self.o.only)}; took {took / 60:.1f} min", "",
                  "| | what | Lifeboat | peer | target | result |",
                  "|---|---|---|---|---|---|"]
        kept, kept_notes = self.kept_rows()
        for row in self.t.rows:
            lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
        lines += kept
        notes = [f"- {n}" for n in self.t.notes] + kept_notes
        if notes:
            lines += ["", "Notes:", ""] + notes
        tmp = Path(self.o.results + ".tmp")
        tmp.write_text("\n".join(lines) + "\n")
        tmp.replace(self.o.results)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(REPO / "out"))
    ap.add_argument("--peer", default=os.path.expanduser("~/.cache/lifeboat/bench-peer"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--fleet-clients", type=int, default=500)
    ap.add_argument("--heartbeat-seconds", type=int, default=30)
    ap.add_argument("--only", default=",".join(SECTIONS))
    ap.add_argument("--results", default=str(REPO / "bench" / "results.md"))
    o = ap.parse_args()
    o.only = [s for s in o.only.split(",") if s]
    bad = [s for s in o.only if s not in SECTIONS]
    if bad or o.runs < 1:
        sys.exit(f"lifeboat: cannot run the benchmark: unknown section {bad} (known: {', '.join(SECTIONS)})"
                 if bad else "lifeboat: cannot run the benchmark: --runs must be at least 1")
    b = Bench(o)
    header = b.machine()
    for h in header:
        print(f"  {h}")
    t0 = time.monotonic()
    try:
        if b.peer_ok and ("boot" in o.only):
            b.start_peer_www()
        for section in SECTIONS:
            if section in o.only:
                print(f"  --- {section}", flush=True)
                getattr(b, section)()
    finally:
        b.write(header, time.monotonic() - t0)
        shutil.rmtree(b.work, ignore_errors=True)
    print(f"  OUT     {o.results}")


if __name__ == "__main__":
    main()
