"""HTTP tests against a running lifeboatd (no VM): policies, the source
address check, tokens, payload serving, malformed input, lifeboatctl."""

import hashlib
import http.client
import json
import os
import signal
import urllib.parse

import pytest

# every test here runs on each store back end: SQLite, and a real PostgreSQL
pytestmark = pytest.mark.backends

MAC = "52:54:00:12:34:56"
REPORT = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "ssh-ready",
          "history": [{"phase": "booted", "uptime": 1.0}],
          "interfaces": [{"name": "eth0", "mac": MAC, "ipv4": ["192.0.2.7/24"]}],
          "ssh": {"port": 22, "authorized_keys": 1, "host_keys": [
              {"type": "ssh-ed25519", "key": "AAAAC3NzaC1lZDI1NTE5AAAAIKey", "fingerprint": "SHA256:abc"}]},
          "inventory": {"disks": [{"name": "sda", "size_bytes": 1000000000, "model": "<script>alert(1)</script>",
                                   "serial": "S1"}],
                        "dmi": {"vendor": "Acme"}},
          "error": None}


def request(d, method, path, body=None, headers=None):
    headers = dict(headers or {})
    if path == "/" or path.startswith("/api/v1/hosts"):
        headers.setdefault("Authorization", f"Bearer {d.admin_token}")  # the admin interface
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict(r.getheaders()), data


def boot(d, **q):
    status, _, body = request(d, "GET", "/boot.ipxe?" + urllib.parse.urlencode(q))
    return status, body.decode()


def token_of(script):
    for word in script.split():
        if word.startswith("lifeboat.token="):
            return word.split("=", 1)[1]
    return None


def post_report(d, token, report=REPORT, raw=None):
    body = raw if raw is not None else json.dumps(report).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return request(d, "POST", "/api/v1/status", body, headers)


def test_unknown_host_boots_normally(lifeboatd):
    d = lifeboatd()
    status, script = boot(d, mac=MAC, ip="127.0.0.1")
    assert status == 200
    assert script == f"#!ipxe\necho Lifeboat: {MAC} has policy normal: booting from the next device\nexit 0\n"
    assert d.host(MAC) is None  # unknown hosts leave no state behind


def test_keep_alive(lifeboatd):
    """iPXE fetches script, kernel and initrd over one connection when the
    server keeps it open (lifeboatd used to answer every GET with
    Connection: close, found by make bench)."""
    d = lifeboatd()
    c = http.client.HTTPConnection("127.0.0.1", d.port, timeout=10)
    c.request("GET", "/boot.ipxe?mac=" + MAC)
    r = c.getresponse()
    r.read()
    assert r.status == 200 and r.getheader("Connection") is None
    sock = c.sock
    assert sock is not None
    c.request("HEAD", "/payload/bzImage")
    r = c.getresponse()
    r.read()
    assert r.status == 200 and c.sock is sock  # the same socket, not a new one
    c.request("GET", "/boot.ipxe?mac=nonsense")
    r = c.getresponse()
    r.read()
    assert r.status == 400 and c.sock is sock
    c.close()


def test_concurrent_boots(lifeboatd):
    """A reboot storm: 32 clients at once, hosts in rescue (token, state
    saved) and unknown ones. lifeboatd used to hang here: its thread pool
    shared one lock descriptor (found by make bench)."""
    import concurrent.futures
    d = lifeboatd(nat=True)
    macs = [f"52:54:00:77:00:{i:02x}" for i in range(16)]
    for mac in macs:
        d.ctl("rescue", mac, "--nat")
    unknown = [f"52:54:00:78:00:{i:02x}" for i in range(16)]

    def client(mac):
        tokens = set()
        for _ in range(10):
            status, script = boot(d, mac=mac, ip="127.0.0.1")
            assert status == 200
            tokens.add(token_of(script))
        return mac, tokens

    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        results = dict(pool.map(client, macs + unknown, timeout=60))
    for mac in macs:
        # the bound machine rebooting: a fresh token per boot, one live at a time
        assert len(results[mac]) == 10 and None not in results[mac]
        state = json.loads(d.db.doc(mac))
        live = [t for t in results[mac] if hashlib.sha256(t.encode()).hexdigest() == state["session"]["token_sha256"]]
        assert len(live) == 1 and state["session"]["state"] == "active" and state["session"]["boots"] == 10
    for mac in unknown:
        assert results[mac] == {None}
    # and it still answers
    assert boot(d, mac=macs[0], ip="127.0.0.1")[0] == 200


def test_rescue_needs_matching_source_address(lifeboatd):
    d = lifeboatd()
    d.ctl("rescue", MAC)
    status, script = boot(d, mac=MAC, ip="10.9.9.9")
    assert status == 200
    assert "the request came from 127.0.0.1 but iPXE says ip=10.9.9.9" in script
    assert "kernel" not in script and "exit 0" in script
    assert d.api_host(MAC)["last_request"]["decision"] == "ip-mismatch"
    assert "last_boot" not in d.host(MAC)  # a refused request stores nothing
    status, script = boot(d, mac=MAC, ip="127.0.0.1", netmask="255.255.255.0", gateway="127.0.0.254")
    assert "BOOTIF=01-52-54-00-12-34-56 ip=127.0.0.1::127.0.0.254:255.255.255.0::::" in script
    assert f"lifeboat.keys=http://10.0.2.2:{d.port}/api/v1/keys/{MAC}" in script
    assert len(token_of(script)) == 32
    # the same machine booting again gets a fresh token
    _, again = boot(d, mac=MAC, ip="127.0.0.1")
    assert token_of(again) != token_of(script)
    assert "ip=dhcp" in again


def test_nat_host_skips_the_address_check(lifeboatd):
    d = lifeboatd()
    d.ctl("rescue", MAC, "--nat")
    _, script = boot(d, mac=MAC, ip="10.0.2.15")
    assert "kernel http://10.0.2.2:" in script


def test_malformed_queries_get_400_with_the_reason(lifeboatd):
    d = lifeboatd()
    cases = {
        "/boot.ipxe": "parameter mac is missing",
        "/boot.ipxe?mac=52:54:00:12:34": "parameter mac: '52:54:00:12:34' is not a MAC address",
        "/boot.ipxe?mac=52:54:00:12:34:56&ip=300.1.1.1": "parameter ip: '300.1.1.1' is not an IPv4 address",
        "/boot.ipxe?mac=52:54:00:12:34:56&serial=x%0Ashell": "parameter serial: 'x?shell' is not printable ASCII",
        "/boot.ipxe?mac=52:54:00:12:34:56&mac=52:54:00:12:34:57": "parameter mac given twice",
        "/boot.ipxe?mac=52:54:00:12:34:56&cmd=sh": "unknown parameter 'cmd'",
        "/boot.ipxe?mac=52:54:00:12:34:56&uuid=nope": "parameter uuid",
    }
    for path, reason in cases.items():
        status, _, body = request(d, "GET", path)
        assert status == 400, path
        assert reason in body.decode(), (path, body)


def test_smbios_strings_never_reach_the_script(lifeboatd):
    d = lifeboatd()
    d.ctl("rescue", MAC)
    status, script = boot(d, mac=MAC, ip="127.0.0.1", serial="${x} || shell", product="a\" && chain http://evil/")
    assert status == 200
    assert "shell" not in script and "evil" not in script and "${" not in script
    assert d.host(MAC)["last_boot"]["serial"] == "${x} || shell"  # stored, as data


def test_status_needs_the_token_and_valid_json(lifeboatd):
    d = lifeboatd()
    d.ctl("rescue", MAC, "--once")
    _, script = boot(d, mac=MAC, ip="127.0.0.1")
    token = token_of(script)
    assert post_report(d, None)[0] == 403
    assert post_report(d, "wrong-token-123456")[0] == 403
    assert "report" not in d.host(MAC)  # nothing stored
    status, _, body = post_report(d, token, raw=b"{not json")
    assert status == 400 and b"malformed JSON" in body
    status, _, body = post_report(d, token, raw=b" " * 300000)
    assert status == 400 and b"larger than 262144 bytes" in body
    status, _, body = post_report(d, token, report={**REPORT, "phase": "owned"})
    assert status == 400 and b"phase: not one of" in body
    assert d.host(MAC)["policy"] == "rescue-once"
    status, _, _ = post_report(d, token)
    assert status == 200
    host = d.host(MAC)
    assert host["phase"] == "ssh-ready" and host["report"]["inventory"]["dmi"]["vendor"] == "Acme"
    assert host["policy"] == "normal"  # rescue-once flipped by itself
    assert "token_sha256" not in host["session"]  # secrets stay out of show and the API
    _, _, api = request(d, "GET", f"/api/v1/hosts/{MAC}")
    assert json.loads(api)["phase"] == "ssh-ready" and b"token" not in api
    _, _, hosts = request(d, "GET", "/api/v1/hosts")
    assert [h["mac"] for h in json.loads(hosts)] == [MAC]
    # the next boot is normal; the token lives on for the grace (reports
    # keep coming from the rescue system) and then the session ends
    _, script = boot(d, mac=MAC, ip="127.0.0.1")
    assert "has policy normal" in script
    assert post_report(d, token)[0] == 200
    assert host["session"]["ends"] - host["session"]["ssh_ready"] == 900


def test_keys_only_with_the_token(lifeboatd):
    d = lifeboatd(keys="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@example\n")
    d.ctl("rescue", MAC)
    _, script = boot(d, mac=MAC, ip="127.0.0.1")
    status, _, _ = request(d, "GET", f"/api/v1/keys/{MAC}")
    assert status == 403
    status, _, body = request(d, "GET", f"/api/v1/keys/{MAC}",
                              headers={"Authorization": f"Bearer {token_of(script)}"})
    assert status == 200 and body == b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey admin@example\n"


def test_payload_range_etag(lifeboatd, out_dir):
    d = lifeboatd()
    path = os.path.join(out_dir, "bzImage")
    data = open(path, "rb").read()
    status, h, body = request(d, "GET", "/payload/bzImage")
    assert status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(data).digest()
    assert h["Accept-Ranges"] == "bytes" and "Last-Modified" in h
    etag = h["ETag"]
    status, h, body = request(d, "GET", "/payload/bzImage", headers={"Range": "bytes=100-199"})
    assert status == 206 and body == data[100:200] and h["Content-Range"] == f"bytes 100-199/{len(data)}"
    status, _, body = request(d, "GET", "/payload/bzImage", headers={"Range": "bytes=-10"})
    assert status == 206 and body == data[-10:]
    status, _, body = request(d, "GET", "/payload/bzImage", headers={"Range": f"bytes={len(data) - 5}-"})
    assert status == 206 and body == data[-5:]
    status, h, _ = request(d, "GET", "/payload/bzImage", headers={"Range": f"bytes={len(data)}-"})
    assert status == 416 and h["Content-Range"] == f"bytes */{len(data)}"
    status, _, body = request(d, "GET", "/payload/bzImage", headers={"If-None-Match": etag})
    assert status == 304 and body == b""
    status, h, body = request(d, "HEAD", "/payload/bzImage")
    assert status == 200 and body == b"" and int(h["Content-Length"]) == len(data)
    for bad in ("/payload/../Makefile", "/payload/.hidden", "/payload/", "/payload/nonexistent",
                "/payload/build%2Fserver%2Flifeboatd"):
        assert request(d, "GET", bad)[0] == 404, bad


def test_page_escapes_what_agents_report(lifeboatd):
    d = lifeboatd()
    d.ctl("rescue", MAC)
    _, script = boot(d, mac=MAC, ip="127.0.0.1")
    post_report(d, token_of(script))
    status, h, body = request(d, "GET", "/")
    page = body.decode()
    assert status == 200 and h["Content-Type"].startswith("text/html")
    assert MAC in page and "ssh-ready" in page and "192.0.2.7/24" in page and "SHA256:abc" in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_lifeboatctl(lifeboatd):
    d = lifeboatd()
    assert d.ctl("rescue", "nonsense", check=False).returncode == 2
    d.ctl("rescue", MAC, "--once")
    _, script = boot(d, mac=MAC, ip="127.0.0.1")
    err = d.ctl("known-hosts", MAC, check=False)
    assert err.returncode == 1 and "no report with host keys yet" in err.stderr
    post_report(d, token_of(script))
    listing = d.ctl("list").stdout.splitlines()
    assert listing[1].split()[:4] == [MAC, "normal", "ssh-ready", "192.0.2.7"]
    assert d.ctl("known-hosts", MAC).stdout == "192.0.2.7 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey\n"
    assert d.ctl("known-hosts", MAC, "--host", "[127.0.0.1]:2222").stdout.startswith("[127.0.0.1]:2222 ssh-ed25519 ")
    token = d.ctl("token", MAC).stdout.strip()  # for a boot without iPXE
    assert len(token) == 32 and post_report(d, token)[0] == 200
    d.ctl("forget", MAC)
    assert d.host(MAC) is None


def test_logs_each_request_and_stops_cleanly(lifeboatd):
    d = lifeboatd()
    request(d, "GET", "/boot.ipxe?mac=52:54:00:12:34:56")
    request(d, "GET", "/nope")
    assert d.stop() == 0
    log = d.log_path.read_text()
    assert 'lifeboatd: 127.0.0.1 "GET /boot.ipxe" 200' in log
    assert 'lifeboatd: 127.0.0.1 "GET /nope" 404' in log
    assert "lifeboatd: SIGTERM: stopping" in log


def test_bad_config_is_named(out_dir, tmp_path):
    import subprocess
    conf = tmp_path / "lifeboatd.conf"
    conf.write_text("# test\nport = 80x\n")
    r = subprocess.run([os.path.join(out_dir, "build", "server", "lifeboatd"), "--config", str(conf)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2
    assert f"{conf}:2: port: '80x' is not a number from 1 to 65535" in r.stderr
    conf.write_text(f"state_dir = {tmp_path}/s\nagent_ca = yes\n")
    r = subprocess.run([os.path.join(out_dir, "build", "server", "lifeboatd"), "--config", str(conf)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "agent_ca = yes needs tls_port" in r.stderr, r.stderr


def test_dhcp_config(out_dir, tmp_path):
    """lifeboatctl dhcp-config: dnsmasq's own syntax check accepts it; the
    option-175 / user-class loop breaking and BIOS/UEFI split are there."""
    import subprocess
    ctl = os.path.join(out_dir, "build", "server", "lifeboatctl")
    conf = tmp_path / "lifeboat-dnsmasq.conf"
    r = subprocess.run([ctl, "dhcp-config", "dnsmasq", "--server", "http://192.0.2.5:8080", "--subnet", "192.0.2.0"],
                       capture_output=True, text=True, check=True)
    conf.write_text(r.stdout)
    check = subprocess.run(["dnsmasq", "--test", "-C", str(conf)], capture_output=True, text=True)
    assert check.returncode == 0 and "syntax check OK" in check.stderr, check.stderr
    assert "dhcp-range=192.0.2.0,proxy" in r.stdout and "dhcp-match=set:ipxe,175" in r.stdout
    assert 'pxe-service=tag:!ipxe,X86-64_EFI,"Lifeboat (iPXE)",snponly.efi' in r.stdout
    assert 'pxe-service=tag:ipxe,x86PC,"Lifeboat",http://192.0.2.5:8080/chain.ipxe' in r.stdout
    isc = subprocess.run([ctl, "dhcp-config", "isc", "--server", "http://192.0.2.5:8080"],
                         capture_output=True, text=True, check=True).stdout
    assert 'option user-class = "iPXE"' in isc and 'filename "http://192.0.2.5:8080/chain.ipxe";' in isc
    assert 'filename "undionly.kpxe"' in isc and "client-arch = 00:07" in isc
    bad = subprocess.run([ctl, "dhcp-config", "isc", "--server", 'http://x";evil'], capture_output=True, text=True)
    assert bad.returncode == 2 and "cannot use --server" in bad.stderr
    # IPv6: RA + DHCPv6 with the boot file URL, both modes, checked by dnsmasq too
    for mode, want in (("slaac", "dhcp-range=2001:db8:1::,ra-stateless,64"),
                       ("stateful", "dhcp-range=2001:db8:1::1000,2001:db8:1::1fff,64,1h")):
        r = subprocess.run([ctl, "dhcp-config", "dnsmasq", "--server", "http://[2001:db8:1::5]:8080", "--ipv6",
                            "2001:db8:1::/64", "--ipv6-mode", mode, "--tftp-server", "2001:db8:1::5"],
                           capture_output=True, text=True, check=True)
        conf.write_text(r.stdout)
        check = subprocess.run(["dnsmasq", "--test", "-C", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0 and "syntax check OK" in check.stderr, check.stderr
        assert "enable-ra" in r.stdout and want in r.stdout, r.stdout
        assert "dhcp-option=tag:ipxe6,option6:bootfile-url,http://[2001:db8:1::5]:8080/chain.ipxe" in r.stdout
        assert "dhcp-option=tag:!ipxe6,option6:bootfile-url,tftp://[2001:db8:1::5]/snponly.efi" in r.stdout
    for args, why in ((["--ipv6", "2001:db8:1::"], "want the link's prefix"),
                      (["--ipv6", "10.0.0.0/24"], "want the link's prefix"),
                      (["--ipv6", "2001:db8::/48", "--ipv6-mode", "stateful"], "wants a /64"),
                      (["--ipv6", "2001:db8:1::/64", "--ipv6-mode", "dhcp"], "want slaac or stateful")):
        bad = subprocess.run([ctl, "dhcp-config", "dnsmasq", "--server", "http://[2001:db8:1::5]:8080", *args],
                             capture_output=True, text=True)
        assert bad.returncode == 2 and why in bad.stderr, (args, bad.stderr)
    bad = subprocess.run([ctl, "dhcp-config", "isc", "--server", "http://[2001:db8:1::5]:8080", "--ipv6",
                          "2001:db8:1::/64"], capture_output=True, text=True)
    assert bad.returncode == 2 and "only for dnsmasq" in bad.stderr
