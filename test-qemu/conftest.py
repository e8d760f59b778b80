import functools
import http.server
import os
import subprocess
import threading

import pytest

from lifeboat_vm import VM

OUT = os.environ.get("LIFEBOAT_OUT", os.path.join(os.path.dirname(__file__), "..", "out"))
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


@pytest.fixture(scope="session")
def out_dir():
    for f in ("bzImage", "initramfs.cpio.xz", "rescue.ipxe"):
        if not os.path.exists(os.path.join(OUT, f)):
            pytest.fail(f"{OUT}/{f} is missing: run make first")
    return os.path.abspath(OUT)


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory):
    """A key pair made for this test run."""
    d = tmp_path_factory.mktemp("ssh")
    key = str(d / "id_ed25519")
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lifeboat-test",
                    "-f", key], check=True)
    with open(key + ".pub") as f:
        pub = " ".join(f.read().split()[:3])
    return key, pub


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        self.server.requests.append(self.path)


@pytest.fixture
def http_server(tmp_path, out_dir):
    """Test-only HTTP server on 127.0.0.1 (until lifeboatd lands): serves
    the payload and whatever scripts a test writes into its root."""
    root = tmp_path / "www"
    (root / "payload").mkdir(parents=True)
    for f in ("bzImage", "initramfs.cpio.xz", "toolbox.cpio"):
        os.symlink(os.path.join(out_dir, f), root / "payload" / f)
    os.symlink(os.path.join(out_dir, "rescue.ipxe"), root / "rescue.ipxe")
    handler = functools.partial(_QuietHandler, directory=str(root))
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.requests = []
    srv.root = root
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def vms(tmp_path):
    """Starts VMs and always kills them."""
    started = []

    def make(name, args, **kw):
        vm = VM(name, str(tmp_path), args, **kw)
        started.append(vm)
        return vm.start()

    yield make
    for vm in started:
        vm.stop()


def wait_for_text(path, text, timeout=10):
    """A lifeboatd log once it holds text: a request's line is written when
    the response is done, which may be after the client has read it."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        log = path.read_text()
        if text in log or time.monotonic() > deadline:
            assert text in log, f"no {text!r} in {path} within {timeout} s:\n{log[-3000:]}"
            return log
        time.sleep(0.05)


# common/wire.h LB_PHASES_SSH_UP
SSH_UP = ("ssh-ready", "tools-ready", "tools-failed")


class Lifeboatd:
    """A real lifeboatd on 127.0.0.1 with its own state directory."""

    def __init__(self, out_dir, tmp_path, keys="", nat=False, default_policy="normal", payload_dir=None,
                 extra=(), binary=None, port=None, tls=False):
        from lifeboat_vm import free_port
        self.port = port or free_port()
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.state = tmp_path / "state"
        self.keys_file = tmp_path / "authorized_keys"
        self.keys_file.write_text(keys)
        self.log_path = tmp_path / "lifeboatd.log"
        self.bin = binary or os.path.join(out_dir, "build", "server", "lifeboatd")
        self.ctl_bin = os.path.join(out_dir, "build", "server", "lifeboatctl")
        self.args = [self.bin, "--port", str(self.port), "--state-dir", str(self.state),
                     "--payload-dir", payload_dir or out_dir, "--public-url", f"http://10.0.2.2:{self.port}",
                     "--keys-file", str(self.keys_file), "--heartbeat", "2",
                     "--default-policy", default_policy, "--nat", "yes" if nat else "no",
                     "--kernel-args", "console=ttyS0,115200n8 panic=-1 random.trust_cpu=on", *extra]
        self.proc = None
        self.tls_port = None
        self.ca = None
        if tls:
            # make ca's script: a CA and a certificate for the names tests use
            self.ca = tmp_path / "ca"
            subprocess.run(["sh", os.path.join(REPO, "server", "mkca.sh"), str(self.ca), "localhost",
                            "127.0.0.1", "10.0.2.2"], check=True, capture_output=True)
            self.tls_port = free_port()
            self.args += ["--tls-port", str(self.tls_port), "--tls-cert", str(self.ca / "server.crt"),
                          "--tls-key", str(self.ca / "server.key"),
                          "--tls-public-url", f"https://10.0.2.2:{self.tls_port}",
                          "--admin-hosts", "localhost 127.0.0.1 10.0.2.2"]
        self.admin_token = None

    def start(self):
        import time
        import urllib.request
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.local("/chain.ipxe"), timeout=1)
                if self.admin_token is None:
                    self.admin_token = self.ctl("admin-token", "add", "tests").stdout.strip()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
        raise AssertionError(f"lifeboatd did not start: {self.log_path.read_text()}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                return self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.returncode if self.proc else None

    def request(self, method, path, body=None, headers=None, source="127.0.0.1", timeout=10, tls=False,
                admin=False):
        """One request from a chosen 127.0.0.0/8 address: (status, headers, body).
        tls: over HTTPS, checking the test CA; admin: with the admin token."""
        import http.client
        import ssl
        headers = dict(headers or {})
        if admin:
            headers.setdefault("Authorization", f"Bearer {self.admin_token}")
        if tls:
            ctx = ssl.create_default_context(cafile=str(self.ca / "ca.crt"))
            c = http.client.HTTPSConnection("127.0.0.1", self.tls_port, timeout=timeout, source_address=(source, 0),
                                            context=ctx)
        else:
            c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout, source_address=(source, 0))
        try:
            c.request(method, path, body=body, headers=headers)
            r = c.getresponse()
            return r.status, dict(r.getheaders()), r.read()
        finally:
            c.close()

    def api_host(self, mac):
        import json as _json
        status, _, body = self.request("GET", f"/api/v1/hosts/{mac}", admin=True, tls=self.tls_port is not None)
        return _json.loads(body) if status == 200 else None

    def local(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def guest_url(self, path):
        return f"http://10.0.2.2:{self.port}{path}"

    def wait_log(self, text, timeout=10):
        return wait_for_text(self.log_path, text, timeout)

    def ctl(self, *args, check=True):
        r = subprocess.run([self.ctl_bin, "--state-dir", str(self.state), *args],
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"lifeboatctl {args}: {r.returncode} {r.stderr}")
        return r

    def host(self, mac):
        import json as _json
        r = self.ctl("show", mac, check=False)
        return _json.loads(r.stdout) if r.returncode == 0 else None

    def wait_phase(self, mac, phase, timeout, vm=None):
        """Waits until the host reported phase. "ssh-ready" means SSH is up:
        the toolbox's phases come after it (tools-ready, tools-failed), and
        an agent may reach one of them between two reports."""
        import time
        deadline = time.monotonic() + timeout
        wanted = SSH_UP if phase == "ssh-ready" else (phase,)
        while time.monotonic() < deadline:
            h = self.host(mac)
            if h and h.get("phase") in wanted:
                return h
            time.sleep(0.5)
        msg = f"{mac} did not report {phase} within {timeout} s: {self.host(mac)}"
        if vm is not None:
            vm.fail(msg)
        raise AssertionError(msg)


@pytest.fixture
def lifeboatd(out_dir, tmp_path):
    made = []

    def make(start=True, **kw):
        d = Lifeboatd(out_dir, tmp_path / f"lifeboatd{len(made)}", **kw)
        made.append(d)
        return d.start() if start else d

    yield make
    for d in made:
        d.stop()
