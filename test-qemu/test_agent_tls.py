"""The agent over TLS (BearSSL, agent/tls.c) to lifeboatd's HTTPS listener.

On the host, the agent's own client code (out/build/unit/tls_probe) checks
lifeboatd's certificate against a CA or a pin, and a man in the middle
with another certificate gets nothing. In QEMU: the agent reports and
fetches its keys over TLS with the pin from a script served over HTTPS,
ssh then checks the reported host key; an agent whose image trusts another
CA refuses to report and says why, while SSH comes up; a proxy with another
certificate in the agent's path gets nothing."""

import os
import re
import socket
import ssl
import subprocess
import threading

from conftest import OUT, REPO
from test_agent import direct
from test_boot import READY_DEADLINE, SSH_DEADLINE, netdev

MAC = "52:54:00:12:34:56"
PROBE = os.path.join(OUT, "build", "unit", "tls_probe")


def pin_of(cert):
    r = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-fingerprint", "-sha256"],
                       capture_output=True, text=True, check=True)
    return "sha256:" + r.stdout.strip().split("=", 1)[1].replace(":", "").lower()


def make_ca(directory, *names):
    subprocess.run(["sh", os.path.join(REPO, "server", "mkca.sh"), str(directory), *names], check=True,
                   capture_output=True)
    return directory


def boot_args(d, tls, source="127.0.0.1"):
    """The kernel arguments of the rescue script lifeboatd serves."""
    status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip=10.0.2.15", source=source, tls=tls)
    assert status == 200, body
    line = next(l for l in body.decode().splitlines() if l.startswith("kernel "))
    args = dict(w.split("=", 1) for w in line.split() if "=" in w and w.startswith("lifeboat."))
    return args


def probe(url, *opts):
    r = subprocess.run([PROBE, url, *opts], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout


class Mitm:
    """A TLS server with a certificate from another CA for the same names,
    where a man in the middle would sit: it records every byte it could
    decrypt (none, if the client checks what it talks to)."""

    def __init__(self, cert_dir):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(str(cert_dir / "server.crt"), str(cert_dir / "server.key"))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.handshakes = 0
        self.failed = []
        self.plaintext = b""
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(10)
            try:
                with self.ctx.wrap_socket(conn, server_side=True) as s:
                    self.handshakes += 1
                    while True:
                        data = s.recv(4096)
                        if not data:
                            break
                        self.plaintext += data
            except (ssl.SSLError, OSError) as e:
                self.failed.append(str(e))

    def close(self):
        self.sock.close()


def test_boot_script_over_https_pins_the_certificate(lifeboatd):
    """A script served over HTTPS points the agent at HTTPS with the pin of
    lifeboatd's certificate; a script served over plain HTTP carries no pin
    (anyone in the path could have put their own there)."""
    d = lifeboatd(keys="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdmin admin\n", tls=True)
    d.ctl("rescue", MAC, "--nat")
    args = boot_args(d, tls=True)
    assert args["lifeboat.tlspin"] == pin_of(d.ca / "server.crt")
    assert args["lifeboat.server"] == f"https://10.0.2.2:{d.tls_port}"
    assert args["lifeboat.keys"] == f"https://10.0.2.2:{d.tls_port}/api/v1/keys/{MAC}"
    args = boot_args(d, tls=False)
    assert "lifeboat.tlspin" not in args
    assert args["lifeboat.server"] == f"http://10.0.2.2:{d.port}"
    assert f"certificate {pin_of(d.ca / 'server.crt')}" in d.log_path.read_text()
    # agent_ca = yes: the image has the CA (make CA=), so agents booted by
    # a plain-HTTP script report over HTTPS too, still without a pin
    d2 = lifeboatd(tls=True, extra=("--agent-ca", "yes"))
    d2.ctl("rescue", MAC, "--nat")
    args = boot_args(d2, tls=False)
    assert "lifeboat.tlspin" not in args
    assert args["lifeboat.server"] == f"https://10.0.2.2:{d2.tls_port}"
    assert args["lifeboat.keys"].startswith(f"https://10.0.2.2:{d2.tls_port}/")


def test_agent_client_checks_the_certificate(lifeboatd, tmp_path):
    """The agent's client code: the right CA or pin gets an answer; another
    CA, another pin, a name the certificate does not carry, or nothing to
    check with is refused, naming the certificate by its fingerprint."""
    d = lifeboatd(tls=True)
    url = f"https://127.0.0.1:{d.tls_port}/chain.ipxe"
    ca, pin = str(d.ca / "ca.crt"), pin_of(d.ca / "server.crt")
    rc, out = probe(url, "--ca", ca)
    assert rc == 0 and out.startswith("status 200\n#!ipxe"), out
    rc, out = probe(f"https://localhost:{d.tls_port}/chain.ipxe", "--ca", ca)
    assert rc == 0 and out.startswith("status 200"), out
    rc, out = probe(url, "--pin", pin)
    assert rc == 0 and out.startswith("status 200"), out
    rc, out = probe(url, "--ca", ca, "--pin", pin)  # both given: both hold
    assert rc == 0 and out.startswith("status 200"), out

    other = make_ca(tmp_path / "other", "localhost", "127.0.0.1", "10.0.2.2")
    rc, out = probe(url, "--ca", str(other / "ca.crt"))
    assert rc == 1 and (f"server certificate {pin} (CN=localhost) is not signed by a CA in "
                        f"{other}/ca.crt") in out, out
    rc, out = probe(url, "--pin", pin_of(other / "server.crt"))
    assert rc == 1 and f"server certificate {pin} (CN=localhost) is not the one pinned" in out, out
    rc, out = probe(url, "--ca", ca, "--pin", pin_of(other / "server.crt"))
    assert rc == 1 and "is not the one pinned" in out, out
    rc, out = probe(url)
    assert rc == 1 and "no way to check 127.0.0.1's certificate" in out, out
    # the plain-HTTP port spoken to as https: no silent downgrade
    rc, out = probe(f"https://127.0.0.1:{d.port}/chain.ipxe", "--ca", ca)
    assert rc == 1 and out.startswith("error: TLS handshake with 127.0.0.1"), out

    # a certificate from the right CA, for another name
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for f in ("ca.crt", "ca.key"):
        (elsewhere / f).write_bytes((d.ca / f).read_bytes())
    make_ca(elsewhere, "elsewhere.example")
    m = Mitm(elsewhere)
    try:
        rc, out = probe(f"https://127.0.0.1:{m.port}/chain.ipxe", "--ca", ca)
        assert rc == 1 and "(CN=elsewhere.example) does not name the host in the URL" in out, out
        assert m.plaintext == b""
    finally:
        m.close()


def test_man_in_the_middle_gets_nothing_from_the_client(lifeboatd, tmp_path):
    """A TLS server with a certificate from another CA, for the same names:
    the agent's client never sends it a byte of the request (the token
    stays secret), whether it checks against the CA or the pin."""
    d = lifeboatd(tls=True)
    m = Mitm(make_ca(tmp_path / "mitm", "localhost", "127.0.0.1", "10.0.2.2"))
    try:
        url = f"https://127.0.0.1:{m.port}/api/v1/status"
        for trust in (["--ca", str(d.ca / "ca.crt")], ["--pin", pin_of(d.ca / "server.crt")]):
            rc, out = probe(url, *trust, "--token", "SECRET-TOKEN-1234", "--post", "{}")
            assert rc == 1 and "refused" in out, out
        assert m.plaintext == b"" and m.handshakes == 0 and len(m.failed) == 2, (m.plaintext, m.failed)
    finally:
        m.close()


def extra_initrd(tmp_path, files):
    """out/initramfs.cpio.xz with one more segment holding files
    {path in the image: local path}: what make CA=... bakes in."""
    manifest = tmp_path / "extra.manifest"
    manifest.write_text("dir /etc/lifeboat 0755 0 0\n" +
                        "".join(f"file {dst} {src} 0644 0 0\n" for dst, src in files.items()))
    tool = os.path.join(OUT, "build", "host", "lifeboat-image")
    seg = tmp_path / "extra.cpio.xz"
    subprocess.run([tool, "build", "-o", str(seg), str(manifest)], check=True, capture_output=True)
    image = tmp_path / "initramfs-ca.cpio.xz"
    subprocess.run([tool, "join", "-o", str(image), os.path.join(OUT, "initramfs.cpio.xz"), str(seg)],
                   check=True, capture_output=True)
    return str(image)


def test_agent_reports_over_tls_and_ssh_checks_the_reported_key(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """The kernel arguments of a script served over HTTPS (as our HTTPS ROM
    gets them): reports and the key fetch go over TLS, checked against the
    pin, none in clear; ssh with the host key the agent reported works."""
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    d.ctl("rescue", MAC, "--nat")
    args = boot_args(d, tls=True)
    append = " ".join(f"{k}={v}" for k, v in args.items())
    vm = vms("agent-tls", direct(out_dir, f"{append} BOOTIF=01-{MAC.replace(':', '-')}", *netdev(),
                                 "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
    vm.wait_for("lifeboat: ready", READY_DEADLINE)
    d.wait_phase(MAC, "ssh-ready", 90, vm)
    vm.wait_for("lifeboat: 1 SSH key from lifeboat.keys", 60)
    log = d.log_path.read_text()
    assert re.search(r'127\.0\.0\.1 tls "POST /api/v1/status" 200', log), log
    assert re.search(rf'127\.0\.0\.1 tls "GET /api/v1/keys/{MAC}" 200', log), log
    assert not re.search(r'127\.0\.0\.1 "(POST /api/v1/status|GET /api/v1/keys)', log), "went in clear"
    known = tmp_path / "known_hosts"
    known.write_text(d.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout)
    r = subprocess.run(["ssh", "-i", key, "-p", str(vm.ssh_port), "-o", "StrictHostKeyChecking=yes",
                        "-o", f"UserKnownHostsFile={known}", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
                        "root@127.0.0.1", "grep -o 'lifeboat.tlspin=[^ ]*' /proc/cmdline"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.strip() == f"lifeboat.tlspin={args['lifeboat.tlspin']}", r.stderr


def test_agent_trusting_another_ca_refuses_and_ssh_still_works(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """An image built with make CA= of another CA: the agent names the
    certificate it refuses on the console and never reports; a plain http
    lifeboat.keys= is refused too (no fallback); SSH comes up with the key
    from the command line."""
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    other = make_ca(tmp_path / "other", "10.0.2.2")
    token = d.ctl("token", MAC).stdout.strip()
    image = extra_initrd(tmp_path, {"/etc/lifeboat/ca.crt": other / "ca.crt"})
    append = (f'lifeboat.sshkey="{pub}" lifeboat.server=https://10.0.2.2:{d.tls_port} lifeboat.token={token} '
              f"lifeboat.keys={d.guest_url('/api/v1/keys/' + MAC)} BOOTIF=01-{MAC.replace(':', '-')}")
    argv = direct(out_dir, append, *netdev(), "-device", f"virtio-net-pci,netdev=n0,mac={MAC}")
    argv[argv.index("-initrd") + 1] = image
    vm = vms("agent-other-ca", argv, ssh_key=key)
    pin = pin_of(d.ca / "server.crt")
    vm.wait_for(f"lifeboat: cannot send status report: TLS with 10.0.2.2 refused: server certificate {pin} "
                "(CN=localhost) is not signed by a CA in /etc/lifeboat/ca.crt", READY_DEADLINE + 30)
    assert (f"lifeboat: cannot fetch lifeboat.keys: refusing {d.guest_url('/api/v1/keys/' + MAC)} in clear: "
            "TLS is configured") in vm.log()
    vm.wait_ssh(SSH_DEADLINE)
    assert vm.ssh("cat /etc/lifeboat/ca.crt").stdout == (other / "ca.crt").read_text()
    # and in the log an admin reads over SSH
    status = vm.ssh("lifeboat status").stdout
    assert f"cannot send status report: TLS with 10.0.2.2 refused: server certificate {pin}" in status, status
    assert "cannot fetch lifeboat.keys: refusing http://" in status, status
    log = d.log_path.read_text()
    assert "/api/v1/status" not in log and "/api/v1/keys" not in log, log
    assert "report" not in (d.host(MAC) or {})


def test_proxy_with_another_certificate_gets_nothing_from_the_agent(vms, out_dir, ssh_key, lifeboatd, tmp_path):
    """The agent booted with the pin from an HTTPS script, its traffic led to
    a proxy holding a certificate for the same name from another CA: no
    request byte (token, report) reaches it, the console says why, and
    SSH comes up."""
    key, pub = ssh_key
    d = lifeboatd(keys=pub + "\n", tls=True)
    d.ctl("rescue", MAC, "--nat")
    args = boot_args(d, tls=True)
    m = Mitm(make_ca(tmp_path / "mitm", "localhost", "10.0.2.2"))
    try:
        args["lifeboat.server"] = f"https://10.0.2.2:{m.port}"
        args["lifeboat.keys"] = f"https://10.0.2.2:{m.port}/api/v1/keys/{MAC}"
        append = " ".join(f"{k}={v}" for k, v in args.items())
        vm = vms("agent-mitm", direct(out_dir, f'{append} lifeboat.sshkey="{pub}" '
                                      f"BOOTIF=01-{MAC.replace(':', '-')}", *netdev(),
                                      "-device", f"virtio-net-pci,netdev=n0,mac={MAC}"), ssh_key=key)
        vm.wait_for("lifeboat: cannot send status report: TLS with 10.0.2.2 refused: server certificate "
                    f"{pin_of(tmp_path / 'mitm' / 'server.crt')} (CN=localhost) is not the one pinned",
                    READY_DEADLINE + 30)
        vm.wait_for("lifeboat: cannot fetch lifeboat.keys: TLS with 10.0.2.2 refused", 30)
        vm.wait_ssh(SSH_DEADLINE)
        assert m.handshakes == 0 and len(m.failed) >= 2 and m.plaintext == b""
        assert args["lifeboat.token"].encode() not in m.plaintext
        assert "/api/v1/status" not in d.log_path.read_text()
    finally:
        m.close()
