"""lifeboatd as Debian admins install it: `make install` (the systemd
unit checked by systemd-analyze verify and security, an existing
configuration kept) and `make deb` (built and lintian-checked by make
check) installed into a clean Debian 12 made by debootstrap, where the
package's postinst makes the system user and lifeboatd runs as it,
serving the packaged payload and lifeboatctl's requests."""

import glob
import os
import re
import shutil
import stat
import subprocess
import time
import urllib.request

import pytest

from conftest import wait_for_text
from lifeboat_vm import free_port

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MAC = "52:54:00:12:34:56"
MIRROR = os.environ.get("LIFEBOAT_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# the most exposure systemd-analyze security may find (0 best, 10 worst);
# the unit scores 1.6 ("OK") with systemd 252
MAX_EXPOSURE = 2.0


def run(argv, timeout=120, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, argv))}: {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def unit_checks(unit, root=None):
    """systemd-analyze verify says nothing (an unknown key is only a
    warning, so stderr must be empty) and security finds little."""
    pre = ["chroot", root] if root else []
    r = subprocess.run([*pre, "systemd-analyze", "verify", unit], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    r = subprocess.run([*pre, "systemd-analyze", "security", "--offline=yes", unit], capture_output=True,
                       text=True, timeout=60)
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    assert m and float(m.group(1)) <= MAX_EXPOSURE, r.stdout[-2000:]


def test_make_install_puts_a_sandboxed_service_in_place(out_dir, tmp_path):
    prefix, etc = tmp_path / "usr", tmp_path / "etc"
    args = ["make", "-s", "-C", REPO, "-o", "payload", "install", f"OUT={out_dir}", f"PREFIX={prefix}",
            f"SYSCONFDIR={etc}"]
    run(args)
    unit = prefix / "lib" / "systemd" / "system" / "lifeboatd.service"
    text = unit.read_text()
    assert f"ExecStart={prefix}/sbin/lifeboatd --config {etc}/lifeboat/lifeboatd.conf" in text
    assert "User=lifeboat" in text and "StateDirectory=lifeboat" in text
    assert (etc / "sysusers.d" / "lifeboat.conf").read_text().startswith("#")
    conf = etc / "lifeboat" / "lifeboatd.conf"
    assert f"payload_dir = {prefix}/share/lifeboat" in conf.read_text()
    for f in ("bzImage", "initramfs.cpio.xz"):
        assert (prefix / "share" / "lifeboat" / f).stat().st_size == os.path.getsize(os.path.join(out_dir, f))
    unit_checks(str(unit))
    # the config file parses: lifeboatd --help after reading it
    r = subprocess.run([str(prefix / "sbin" / "lifeboatd"), "--config", str(conf), "--help"], capture_output=True,
                       text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    # an admin's configuration survives the next make install
    conf.write_text("port = 9999\n")
    assert "KEEP" in run(args).stdout
    assert conf.read_text() == "port = 9999\n"


def debootstrap(root):
    run(["debootstrap", "--variant=minbase", "bookworm", str(root), MIRROR], timeout=1200)


def test_deb_installs_and_runs_in_a_clean_debian(out_dir, tmp_path):
    debs = glob.glob(os.path.join(out_dir, "deb", "lifeboat_*_amd64.deb"))
    assert debs, "no out/deb/lifeboat_*_amd64.deb: make check runs make deb first"
    root = tmp_path / "root"
    debootstrap(root)
    shutil.copy(debs[0], root / "tmp" / "lifeboat.deb")
    run(["mount", "-t", "proc", "proc", str(root / "proc")])
    d = None
    try:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C",
               "LIFEBOAT_TEST_RUN": os.environ.get("LIFEBOAT_TEST_RUN", "")}  # the process guard's mark
        run(["chroot", str(root), "apt-get", "update", "-q"], timeout=600, env=env)
        run(["chroot", str(root), "apt-get", "install", "-y", "-q", "--no-install-recommends", "/tmp/lifeboat.deb"],
            timeout=900, env=env)
        # the postinst made the system user (sysusers), the unit is enabled
        pw = run(["chroot", str(root), "getent", "passwd", "lifeboat"]).stdout.strip().split(":")
        assert pw[5] == "/var/lib/lifeboat" and pw[6] in ("/usr/sbin/nologin", "/sbin/nologin"), pw
        assert (root / "etc/systemd/system/multi-user.target.wants/lifeboatd.service").is_symlink()
        conffiles = run(["chroot", str(root), "dpkg-query", "-W", "-f=${Conffiles}", "lifeboat"]).stdout
        assert "/etc/lifeboat/lifeboatd.conf" in conffiles
        unit_checks("/lib/systemd/system/lifeboatd.service", root=str(root))

        # what systemd's StateDirectory= does at start, then lifeboatd as its user
        run(["chroot", str(root), "install", "-d", "-o", "lifeboat", "-g", "lifeboat", "-m", "0700",
             "/var/lib/lifeboat"])
        port = free_port()
        log = open(tmp_path / "lifeboatd.log", "w")
        d = subprocess.Popen(["chroot", "--userspec=lifeboat:lifeboat", str(root), "/usr/sbin/lifeboatd",
                              "--config", "/etc/lifeboat/lifeboatd.conf", "--listen", "127.0.0.1",
                              "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                chain = urllib.request.urlopen(base + "/chain.ipxe", timeout=2).read().decode()
                break
            except OSError:
                assert d.poll() is None and time.monotonic() < deadline, (tmp_path / "lifeboatd.log").read_text()
                time.sleep(0.1)
        assert chain.startswith("#!ipxe")
        with urllib.request.urlopen(base + "/payload/initramfs.cpio.xz", timeout=30) as r:
            assert len(r.read()) == os.path.getsize(root / "usr/share/lifeboat/initramfs.cpio.xz")
        # root's lifeboatctl goes through the control socket of lifeboatd's user
        run(["chroot", str(root), "lifeboatctl", "rescue", MAC, "--once"], env=env)
        script = urllib.request.urlopen(f"{base}/boot.ipxe?mac={MAC}&ip=127.0.0.1", timeout=5).read().decode()
        assert "kernel" in script and "/payload/bzImage" in script, script
        listing = run(["chroot", str(root), "lifeboatctl", "list"], env=env).stdout
        assert MAC in listing and "rescue-once" in listing
        wait_for_text(tmp_path / "lifeboatd.log", f'local "POST /api/v1/hosts/{MAC}/rescue" 200')
        # the database in the state directory, lifeboatd's user's alone
        db = root / "var/lib/lifeboat/lifeboat.db"
        assert db.stat().st_uid == int(pw[2]) and stat.S_IMODE(db.stat().st_mode) == 0o600
        assert "database /var/lib/lifeboat/lifeboat.db" in (tmp_path / "lifeboatd.log").read_text()
    finally:
        if d is not None:
            d.terminate()
            d.wait(timeout=10)
        subprocess.run(["umount", str(root / "proc")], timeout=30)
