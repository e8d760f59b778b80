"""QEMU helpers for Lifeboat's end-to-end tests (as in u-root's vmtest):
one VM per test, serial console to a log file, marker lines each with its
own deadline, and on failure the QEMU command line plus the log's tail."""

import os
import shlex
import socket
import subprocess
import time

ACCEL = os.environ.get("LIFEBOAT_ACCEL", "tcg")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VM:
    def __init__(self, name, logdir, args, memory=256, ssh_key=None):
        self.name = name
        self.log_path = os.path.join(logdir, f"{name}.serial.log")
        self.ssh_port = free_port()
        self.ssh_key = ssh_key
        self.cmd = [
            "qemu-system-x86_64",
            "-accel", ACCEL,
            "-cpu", "max",
            "-m", str(memory),
            "-smp", "1",
            "-no-reboot",
            "-nodefaults",
            "-vga", "none",
            "-machine", "graphics=off",
            "-display", "none",
            "-serial", f"file:{self.log_path}",
            "-device", "virtio-rng-pci",
        ] + [a.replace("@SSHPORT@", str(self.ssh_port)) for a in args]
        self.proc = None

    def start(self):
        open(self.log_path, "w").close()
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def diagnostics(self):
        out = ""
        if self.proc and self.proc.poll() is not None:
            out = self.proc.stdout.read().decode(errors="replace")
        tail = "\n".join(self.log().splitlines()[-40:])
        return (f"\nQEMU command line:\n  {shlex.join(self.cmd)}\n"
                f"QEMU exit: {self.proc.poll() if self.proc else None} {out}\n"
                f"--- last 40 lines of {self.log_path} ---\n{tail}\n")

    def fail(self, why):
        raise AssertionError(f"{self.name}: {why}{self.diagnostics()}")

    def wait_for(self, marker, timeout):
        """Waits until marker appears on the serial console."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker in self.log():
                return time.monotonic() - self.started
            if self.proc.poll() is not None:
                self.fail(f"QEMU exited while waiting for {marker!r}")
            time.sleep(0.2)
        self.fail(f"no {marker!r} on the console within {timeout} s")

    def ssh_argv(self, command):
        return ["ssh", "-i", self.ssh_key, "-p", str(self.ssh_port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                "-o", "LogLevel=ERROR", "root@127.0.0.1", command]

    def ssh(self, command, timeout=30):
        r = subprocess.run(self.ssh_argv(command), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        return r

    def wait_ssh(self, timeout):
        """A real SSH handshake and command, not a port probe: QEMU's user
        networking accepts forwarded connections before the guest listens."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.fail("QEMU exited while waiting for SSH")
            try:
                last = self.ssh("true", timeout=15)
                if last.returncode == 0:
                    return time.monotonic() - self.started
            except subprocess.TimeoutExpired:
                last = None
            time.sleep(1)
        self.fail(f"no SSH login within {timeout} s (last: {last.stderr.strip() if last else 'timeout'})")
