"""Power control through a real BMC simulator: OpenIPMI's ipmi_sim (Debian's
openipmi) speaking IPMI 2.0 over LAN, its chassis control starting and
stopping a QEMU VM. From "it's dead" to a root shell with one command:
lifeboatctl rescue --once --reset powers the VM into the rescue through the
stock iPXE ROM, lifeboatctl ssh runs a command in it with strict host keys,
the next power cycle boots the disk. lifeboatctl runs as from an admin's
laptop: through the control API with an admin token."""

import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import time

import pytest

from conftest import SSH_UP
from lifeboat_vm import VM, free_port
from test_boot import READY_DEADLINE

MAC = "52:54:00:12:34:56"
PASSWORD = "s3cret-Pw"

pytestmark = pytest.mark.skipif(shutil.which("ipmi_sim") is None or shutil.which("ipmitool") is None,
                                reason="needs Debian's openipmi and ipmitool (make installs them)")

CHASSIS = """#!/bin/sh
# ipmi_sim chassis_control: [device] get|set parm [value]...: power starts
# and stops the VM (QEMU's command line in $dir/qemu.cmd)
dir=@DIR@
case $1 in get|set) op=$1; shift;; *) op=$2; shift 2;; esac
running() { [ -f $dir/qemu.pid ] && kill -0 "$(cat $dir/qemu.pid)" 2>/dev/null; }
stop() {
  if running; then
    kill "$(cat $dir/qemu.pid)"
    for i in 1 2 3 4 5 6 7 8 9 10; do running || break; sleep 0.2; done
  fi
  rm -f $dir/qemu.pid
}
start() { running || { sh $dir/qemu.cmd </dev/null >>$dir/qemu.out 2>&1 & echo $! > $dir/qemu.pid; }; }
if [ "$op" = get ]; then
  for p in "$@"; do
    case $p in
    power) if running; then echo "power:1"; else echo "power:0"; fi;;
    boot) echo "boot:$(cat $dir/boot 2>/dev/null || echo default)";;
    esac
  done
  exit 0
fi
while [ $# -ge 2 ]; do
  p=$1; v=$2; shift 2
  echo "set $p $v" >> $dir/chassis.log
  case $p in
  power) if [ "$v" = 1 ]; then start; else stop; fi;;
  reset) stop; start;;
  boot) echo "$v" > $dir/boot;;
  esac
done
"""

LAN_CONF = """name "lifeboat-test"
set_working_mc 0x20
  startlan 1
    addr 127.0.0.1 @PORT@
    priv_limit admin
    allowed_auths_callback md5
    allowed_auths_user md5
    allowed_auths_operator md5
    allowed_auths_admin md5
    guid a123456789abcdefa123456789abcdef
  endlan
  chassis_control "@DIR@/chassis.sh"
  @SOL@
  user 2 true "admin" "@PASSWORD@" admin 10 md5
"""

SIM_CMDS = """mc_setbmc 0x20
mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
sel_enable 0x20 1000 0x0a
mc_enable 0x20
"""


class Bmc:
    """ipmi_sim on 127.0.0.1:port controlling one VM, powered off at first."""

    def __init__(self, tmp_path, vm_args, ssh_key, sol=False):
        """sol: the VM's serial port is a TCP server that ipmi_sim's
        Serial-over-LAN connects to (what the VM prints still goes to its
        log too)."""
        self.dir = tmp_path / "bmc"
        (self.dir / "state").mkdir(parents=True)
        self.port = free_port()
        self.sol_port = free_port() if sol else None
        self.vm = VM("bmc-vm", str(self.dir), vm_args, ssh_key=ssh_key)
        cmd = list(self.vm.cmd)
        i = cmd.index("-serial")
        if sol:
            cmd[i:i + 2] = ["-chardev", f"socket,id=con,host=127.0.0.1,port={self.sol_port},server=on,wait=on,"
                            f"logfile={self.vm.log_path},logappend=on", "-serial", "chardev:con"]
        else:
            cmd[i:i + 2] = ["-chardev", f"file,id=con,path={self.vm.log_path},append=on", "-serial", "chardev:con"]
        self.qemu_cmd = " ".join(shlex.quote(a) for a in cmd)
        (self.dir / "qemu.cmd").write_text(f"exec {self.qemu_cmd}\n")
        script = self.dir / "chassis.sh"
        script.write_text(CHASSIS.replace("@DIR@", str(self.dir)))
        script.chmod(0o755)
        (self.dir / "lan.conf").write_text(LAN_CONF.replace("@PORT@", str(self.port)).replace(
            "@DIR@", str(self.dir)).replace("@PASSWORD@", PASSWORD).replace(
            "@SOL@", f'sol "tcp:127.0.0.1:{self.sol_port}" 115200' if sol else ""))
        (self.dir / "sim.cmds").write_text(SIM_CMDS)
        open(self.vm.log_path, "w").close()
        self.proc = subprocess.Popen(["ipmi_sim", "-c", str(self.dir / "lan.conf"), "-f", str(self.dir / "sim.cmds"),
                                      "-s", str(self.dir / "state"), "-n"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while self.ipmitool("chassis", "power", "status").returncode != 0:
            assert time.monotonic() < deadline, "ipmi_sim did not answer"
            time.sleep(0.2)

    def ipmitool(self, *args, password=PASSWORD):
        return subprocess.run(["ipmitool", "-I", "lanplus", "-H", "127.0.0.1", "-p", str(self.port), "-U", "admin",
                               "-E", *args], env=dict(os.environ, IPMI_PASSWORD=password), capture_output=True,
                              text=True, timeout=30)

    def log(self):
        return open(self.vm.log_path, errors="replace").read()

    def wait_for(self, marker, timeout, count=1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log().count(marker) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"no {marker!r} (#{count}) within {timeout} s; QEMU: {self.qemu_cmd}\n"
                             f"--- console tail ---\n{self.log()[-3000:]}")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        pid = self.dir / "qemu.pid"
        if pid.exists():
            try:
                os.kill(int(pid.read_text()), signal.SIGKILL)
            except (OSError, ValueError):
                pass


@pytest.fixture
def bmc_vm(tmp_path, lifeboatd, ssh_key):
    made = []

    def make(d, disk):
        b = Bmc(tmp_path, [
            "-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22,bootfile={d.guest_url('/chain.ipxe')}",
            "-device", f"e1000,netdev=n0,mac={MAC}",
            "-drive", f"file={disk},format=raw,if=virtio", "-boot", "order=nc"], ssh_key[0])
        made.append(b)
        return b

    yield make
    for b in made:
        b.stop()


def ctl(d, *args, check=True, timeout=60):
    """lifeboatctl as from an admin's laptop: the control API, a token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
    env.update(LIFEBOAT_TOKEN=d.admin_token, LIFEBOAT_SERVER=f"https://127.0.0.1:{d.tls_port}",
               LIFEBOAT_CACERT=str(d.ca / "ca.crt"))
    r = subprocess.run([d.ctl_bin, *args], capture_output=True, text=True, timeout=timeout, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"lifeboatctl {args}: {r.returncode}\n{r.stdout}\n{r.stderr}")
    return r


def test_rescue_reset_ssh_and_back_to_the_disk(lifeboatd, bmc_vm, ssh_key, tmp_path):
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    b = bmc_vm(d, disk)
    pw = tmp_path / "bmc-password"
    pw.write_text(PASSWORD + "\n")
    r = ctl(d, "bmc", MAC, "--address", "127.0.0.1", "--port", str(b.port), "--user", "admin",
            "--password-file", str(pw))
    assert "stored on the boot server" in r.stdout
    # the password stays on the boot server, readable by lifeboatd only
    show = ctl(d, "show", MAC).stdout
    assert json.loads(show)["bmc"] == {"driver": "ipmi", "address": "127.0.0.1", "port": b.port, "user": "admin"}
    assert PASSWORD not in show and PASSWORD not in ctl(d, "events", MAC).stdout
    assert PASSWORD not in d.db.doc(MAC)
    # apart from the host, in the database that only lifeboatd's user reads
    assert PASSWORD in d.db.rows("SELECT doc FROM bmc WHERE mac = ?", MAC)[0][0]
    assert stat.S_IMODE((d.state / "lifeboat.db").stat().st_mode) == 0o600
    assert stat.S_IMODE(d.state.stat().st_mode) == 0o700
    assert ctl(d, "power", MAC, "status").stdout == f"{MAC}: power off\n"

    # one command from "it's dead" to the rescue, one to a verified shell
    r = ctl(d, "rescue", MAC, "--once", "--nat", "--reset")
    assert "power cycled through its BMC into the rescue" in r.stdout
    b.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", 120)
    r = ctl(d, "ssh", MAC, "--via", f"127.0.0.1:{b.vm.ssh_port}", "-i", key, "--deadline", str(READY_DEADLINE + 60),
            "--", "echo", "rescued:", "$(cat /proc/sys/kernel/hostname)", timeout=READY_DEADLINE + 120)
    assert r.stdout.strip() == "rescued: lifeboat", r.stderr
    # it waited until SSH was up: ssh-ready, or the toolbox's phase after it
    assert any(f": {p}\n" in r.stderr for p in SSH_UP) and "StrictHostKeyChecking=yes" in r.stderr
    assert "set boot pxe" in (b.dir / "chassis.log").read_text()  # ipmitool chassis bootdev pxe
    assert d.host(MAC)["policy"] == "normal"  # rescue-once

    # the next power cycle boots the disk
    boots = b.log().count("Booting from Hard Disk")
    assert ctl(d, "power", MAC, "cycle").stdout == f"{MAC}: power cycle: done\n"
    b.wait_for(f"Lifeboat: {MAC} has policy normal: booting from the next device", 120)
    b.wait_for("Booting from Hard Disk", 60, count=boots + 1)
    events = ctl(d, "events", MAC).stdout
    assert "power on by admin tests for the rescue" in events and "power cycle by admin tests" in events


def test_bmc_failures_are_named_and_leave_the_session_armed(lifeboatd, bmc_vm, tmp_path):
    d = lifeboatd(tls=True)
    disk = tmp_path / "blank.img"
    subprocess.run(["truncate", "-s", "8M", str(disk)], check=True)
    b = bmc_vm(d, disk)
    wrong = tmp_path / "wrong"
    wrong.write_text("not-the-password\n")
    ctl(d, "bmc", MAC, "--address", "127.0.0.1", "--port", str(b.port), "--user", "admin", "--password-file",
        str(wrong))
    r = ctl(d, "power", MAC, "status", check=False)
    assert r.returncode == 1 and "answered 502" in r.stderr and "the BMC refused the password" in r.stderr, r.stderr
    r = ctl(d, "rescue", MAC, "--once", "--reset", check=False)
    assert r.returncode == 1 and "the session is armed, but the power cycle failed" in r.stderr, r.stderr
    assert d.host(MAC)["session"]["state"] == "armed" and d.host(MAC)["policy"] == "rescue-once"
    assert "power on" not in (b.dir / "chassis.log").read_text() if (b.dir / "chassis.log").exists() else True
    # nothing answers there
    ctl(d, "bmc", MAC, "--address", "127.0.0.1", "--port", str(free_port()), "--user", "admin", "--password-file",
        str(wrong))
    r = ctl(d, "power", MAC, "on", check=False)
    assert r.returncode == 1 and "answered 504" in r.stderr and "no answer from the BMC" in r.stderr, r.stderr
    # no BMC at all, bad input
    r = ctl(d, "power", "52:54:00:00:00:99", "status", check=False)
    assert r.returncode == 1 and "answered 409" in r.stderr and "has no BMC" in r.stderr
    r = ctl(d, "power", MAC, "explode", check=False)
    assert r.returncode == 2
    for body in ({"action": "explode"}, {"address": "x"}):
        path = "power" if "action" in body else "bmc"
        status, _, out = d.request("POST", f"/api/v1/hosts/{MAC}/{path}", body=json.dumps(body),
                                   headers={"Content-Type": "application/json"}, admin=True, tls=True)
        assert status == 400, out
    status, _, out = d.request("POST", f"/api/v1/hosts/{MAC}/power", body='{"action": "status"}',
                               headers={"Content-Type": "application/json"}, tls=True)
    assert status == 401
    assert "events" not in out.decode()
