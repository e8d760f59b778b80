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
    for f in ("bzImage", "initramfs.cpio.lzma", "rescue.ipxe"):
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
    for f in ("bzImage", "initramfs.cpio.lzma"):
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
