"""The control API on the admin interface (server/lifeboatd/control.c, spec in
server/api.json): every endpoint, bad input, wrong credentials; changes
go through the same write path as lifeboatctl and are recorded with the
admin token's name."""

import json
import os
import pwd
import re
import signal
import subprocess
import tempfile

import pytest

# every test here runs on each store back end: SQLite, and a real PostgreSQL
pytestmark = pytest.mark.backends

MAC = "52:54:00:12:34:56"
OTHER = "52:54:00:ab:cd:ef"
KEYS = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdmin admin@example\n"
JSON = {"Content-Type": "application/json"}
# lifeboatctl on the boot server goes through the control socket, whose
# peer is the user running the tests
LOCAL = f"local user {pwd.getpwuid(os.getuid()).pw_name}"


def post(d, path, body=None, headers=None, admin=True):
    h = dict(JSON if body is not None else {}, **(headers or {}))
    data = json.dumps(body) if isinstance(body, (dict, list)) else body
    status, _, out = d.request("POST", path, body=data, headers=h, admin=admin, tls=True)
    return status, out


def test_rescue_normal_forget_through_the_api(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    status, out = post(d, f"/api/v1/hosts/{MAC}/rescue", {"once": True, "nat": True, "seconds": 600})
    assert status == 200, out
    h = json.loads(out)
    assert h["policy"] == "rescue-once" and h["nat"] is True
    assert h["session"]["state"] == "armed" and h["session"]["expires"] - h["session"]["armed"] == 600
    assert h["policy_set"]["by"] == "admin tests" and "token_sha256" not in h["session"]
    # the same state lifeboatctl sees, and a boot request claims it
    assert d.host(MAC)["policy"] == "rescue-once"
    status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip=127.0.0.2", source="127.0.0.2")
    assert status == 200 and b"lifeboat.token=" in body
    # an empty body takes the defaults: rescue, session_timeout
    status, out = post(d, f"/api/v1/hosts/{OTHER}/rescue")
    assert status == 200 and json.loads(out)["policy"] == "rescue", out
    status, out = post(d, f"/api/v1/hosts/{MAC}/normal")
    assert status == 200 and json.loads(out)["policy"] == "normal", out
    assert json.loads(out)["session"]["state"] == "ended"
    assert d.request("GET", f"/api/v1/hosts/{MAC}", admin=True, tls=True)[0] == 200
    status, out = post(d, f"/api/v1/hosts/{MAC}/forget")
    assert status == 200 and json.loads(out) == {"mac": MAC, "forgotten": True}
    assert d.request("GET", f"/api/v1/hosts/{MAC}", admin=True, tls=True)[0] == 404
    assert d.host(MAC) is None
    log = d.log_path.read_text()
    assert f"lifeboatd: {MAC}: policy rescue-once, session armed for 600s by admin tests" in log
    assert f"lifeboatd: {MAC}: forgotten by admin tests" in log


def test_known_hosts_through_the_api(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    post(d, f"/api/v1/hosts/{MAC}/rescue", {"nat": True})
    status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip=127.0.0.2", source="127.0.0.2")
    token = next(w.split("=", 1)[1] for w in body.decode().split() if w.startswith("lifeboat.token="))
    report = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "ssh-ready",
              "interfaces": [{"name": "eth0", "ipv4": ["10.0.2.15/24"]}],
              "ssh": {"port": 22, "host_keys": [{"type": "ssh-ed25519",
                                                  "key": "AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyHostKeyHostKeyHostKeyHostKey",
                                                  "fingerprint": "SHA256:x"}]}}
    status, _, out = d.request("POST", "/api/v1/status", body=json.dumps(report), source="127.0.0.2",
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status == 200, out
    status, _, out = d.request("GET", f"/api/v1/hosts/{MAC}/known-hosts?host=[127.0.0.1]:2222", admin=True,
                               tls=True)
    assert status == 200, out
    assert out.decode() == d.ctl("known-hosts", MAC, "--host", "[127.0.0.1]:2222").stdout
    assert out.decode().startswith("[127.0.0.1]:2222 ssh-ed25519 AAAAC3")
    assert d.request("GET", f"/api/v1/hosts/{OTHER}/known-hosts", admin=True, tls=True)[0] == 404
    assert d.request("GET", f"/api/v1/hosts/{MAC}/known-hosts?host=a%20b", admin=True, tls=True)[0] == 400


def test_bad_requests_are_named_and_change_nothing(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    post(d, f"/api/v1/hosts/{MAC}/rescue")
    before = d.host(MAC)
    cases = [
        (f"/api/v1/hosts/{MAC}/rescue", '{"once": tru', JSON, 400, "malformed JSON"),
        (f"/api/v1/hosts/{MAC}/rescue", '{"once": "yes"}', JSON, 400, "once"),
        (f"/api/v1/hosts/{MAC}/rescue", '{"seconds": 0}', JSON, 400, "seconds"),
        (f"/api/v1/hosts/{MAC}/rescue", '{"seconds": 99999999}', JSON, 400, "seconds"),
        (f"/api/v1/hosts/{MAC}/rescue", '{"once": true} x', JSON, 400, "malformed JSON"),
        (f"/api/v1/hosts/{MAC}/rescue", '[]', JSON, 400, "not a JSON object"),
        (f"/api/v1/hosts/{MAC}/rescue", '{"once": true}', {"Content-Type": "text/plain"}, 400,
         "application/json"),
        (f"/api/v1/hosts/{MAC}/normal", '{"now": 1}', JSON, 400, "now"),
        ("/api/v1/hosts/52:54:00:12:34/rescue", None, {}, 400, "not a MAC address"),
        ("/api/v1/hosts/not-a-mac/normal", None, {}, 404, "no host with MAC, alias, serial or UUID 'not-a-mac'"),
        (f"/api/v1/hosts/{MAC}/reboot", None, {}, 404, "no such action"),
        (f"/api/v1/hosts/{OTHER}/forget", None, {}, 404, "no such host"),
    ]
    for path, body, headers, want, text in cases:
        status, _, out = d.request("POST", path, body=body, headers=headers, admin=True, tls=True)
        assert status == want and text in out.decode(), (path, body, status, out)
    status, _, out = d.request("POST", f"/api/v1/hosts/{MAC}/rescue", body="{" + " " * 17000 + "}",
                               headers=JSON, admin=True, tls=True)
    assert status == 400 and b"larger than" in out
    assert d.host(MAC) == before
    assert d.host(OTHER) is None


def test_control_needs_an_admin(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    post(d, f"/api/v1/hosts/{MAC}/rescue")
    armed = d.host(MAC)
    agent_token = d.ctl("token", OTHER).stdout.strip()
    for headers in ({}, {"Authorization": "Bearer lba_wrongwrongwrongwrongwrongwrongwr"},
                    {"Authorization": f"Bearer {agent_token}"}):
        for action in ("normal", "forget", "rescue", "token"):
            status, _, out = d.request("POST", f"/api/v1/hosts/{MAC}/{action}", headers=headers, tls=True)
            assert status == 401 and MAC.encode() not in out, (headers, action, status)
        status, _, out = d.request("GET", f"/api/v1/hosts/{MAC}/known-hosts", headers=headers, tls=True)
        assert status == 401 and b"ssh-" not in out
    # a revoked admin token, a foreign Host, another site's Origin, plain HTTP
    second = d.ctl("admin-token", "add", "bob").stdout.strip()
    d.ctl("admin-token", "revoke", "bob")
    assert d.request("POST", f"/api/v1/hosts/{MAC}/normal", tls=True,
                     headers={"Authorization": f"Bearer {second}"})[0] == 401
    assert d.request("POST", f"/api/v1/hosts/{MAC}/normal", admin=True, tls=True,
                     headers={"Host": "evil.example"})[0] == 421
    assert d.request("POST", f"/api/v1/hosts/{MAC}/normal", admin=True, tls=True,
                     headers={"Origin": "https://evil.example"})[0] == 403
    assert d.request("POST", f"/api/v1/hosts/{MAC}/normal", admin=True)[0] == 403
    assert d.host(MAC) == armed


def test_the_spec_names_every_route():
    """server/api.json (OpenAPI 3) is valid JSON and documents each path
    and method the control API answers."""
    spec = json.load(open(os.path.join(os.path.dirname(__file__), "..", "server", "api.json")))
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path, method in (("/api/v1/hosts", "get"), ("/api/v1/hosts/{mac}", "get"),
                         ("/api/v1/hosts/{mac}/known-hosts", "get"), ("/api/v1/hosts/{mac}/events", "get"),
                         ("/api/v1/hosts/{mac}/rescue", "post"), ("/api/v1/hosts/{mac}/bmc", "post"),
                         ("/api/v1/hosts/{mac}/power", "post"), ("/api/v1/hosts/{mac}/alias", "post"),
                         ("/api/v1/hosts/{mac}/normal", "post"), ("/api/v1/hosts/{mac}/forget", "post"),
                         ("/api/v1/hosts/{mac}/token", "post"), ("/api/v1/hosts/{mac}/logs", "get"),
                         ("/api/v1/hosts/{mac}/console", "get"), ("/api/v1/hosts/{mac}/console/live", "get"),
                         ("/api/v1/hosts/{mac}/console/input", "post")):
        assert method in paths[path], (path, method)
        assert "401" in paths[path][method]["responses"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_per_boot_token_through_the_api(lifeboatd):
    """POST .../token: a token for a boot without iPXE, shown once, stored
    hashed; it authenticates the agent's report; lifeboatctl token on the
    boot server makes the same request on the control socket."""
    d = lifeboatd(keys=KEYS, tls=True)
    status, out = post(d, f"/api/v1/hosts/{MAC}/token")
    assert status == 200, out
    answer = json.loads(out)
    token = answer["token"]
    assert answer["mac"] == MAC and answer["seconds"] == 86400 and len(token) >= 20
    assert token not in d.db.doc(MAC)
    report = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "network-up"}
    assert d.request("POST", "/api/v1/status", body=json.dumps(report), source="127.0.0.2",
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})[0] == 200
    assert d.host(MAC)["phase"] == "network-up"
    events = d.ctl("events", MAC).stdout
    assert "set by admin tests" in events or "by admin tests" in events, events
    # on the boot server: through lifeboatd; the earlier token is revoked
    second = d.ctl("token", MAC).stdout.strip()
    assert second and second != token
    d.wait_log(f'local "POST /api/v1/hosts/{MAC}/token" 200')
    assert d.request("POST", "/api/v1/status", body=json.dumps(dict(report, seq=2)), source="127.0.0.2",
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})[0] == 403
    assert token not in d.log_path.read_text() and second not in d.log_path.read_text()
    assert post(d, f"/api/v1/hosts/{MAC}/token", {"seconds": 5})[0] == 400  # no members


def test_event_log_says_who_did_what(lifeboatd):
    """Policy changes with the admin who made them, the rescue script
    handed out, a conflict, phase changes: the API and lifeboatctl show
    the same log; forget removes it."""
    d = lifeboatd(keys=KEYS, tls=True)
    d.ctl("rescue", MAC)
    post(d, f"/api/v1/hosts/{MAC}/rescue", {"once": True, "seconds": 600})
    status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip=127.0.0.2", source="127.0.0.2")
    token = next(w.split("=", 1)[1] for w in body.decode().split() if w.startswith("lifeboat.token="))
    report = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "network-up"}
    assert d.request("POST", "/api/v1/status", body=json.dumps(report), source="127.0.0.2",
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})[0] == 200
    d.request("GET", f"/boot.ipxe?mac={MAC}&ip=127.0.0.3", source="127.0.0.3")  # someone else
    status, _, out = d.request("GET", f"/api/v1/hosts/{MAC}/events", admin=True, tls=True)
    assert status == 200, out
    ev = json.loads(out)["events"]
    assert [e["kind"] for e in ev] == ["policy", "policy", "rescue", "phase", "conflict"], ev
    assert ev[0]["text"] == f"rescue, session armed for 86400s, set by {LOCAL}"
    assert ev[1]["text"] == "rescue-once, session armed for 600s, set by admin tests"
    assert ev[2]["text"] == "session claimed: rescue script with a token for 127.0.0.2"
    assert ev[3]["text"] == "loading -> network-up, reported from 127.0.0.2"
    assert ev[4]["text"].startswith("boot request from 127.0.0.3 while bound to 127.0.0.2")
    assert all(isinstance(e["time"], int) for e in ev)
    text = d.ctl("events", MAC).stdout
    assert "policy   rescue-once, session armed for 600s, set by admin tests" in text
    assert token not in out.decode() and token not in text
    assert d.request("GET", f"/api/v1/hosts/{OTHER}/events", admin=True, tls=True)[0] == 404
    assert d.request("GET", f"/api/v1/hosts/{MAC}/events", tls=True)[0] == 401
    post(d, f"/api/v1/hosts/{MAC}/forget")
    assert d.db.rows("SELECT count(*) FROM events") == [(0,)]


def test_event_log_keeps_its_newest_thousand(lifeboatd):
    d = lifeboatd(keys=KEYS)
    d.ctl("rescue", MAC)
    c = d.db.connect()
    c.cursor().executemany(d.db._sql("INSERT INTO events (mac, time, kind, text) VALUES (?, ?, 'phase', ?)"),
                           [(MAC, i, f"old event {i:06d}") for i in range(4000)])
    c.commit()
    c.close()
    d.ctl("normal", MAC)
    count = "SELECT count(*) FROM events WHERE mac = ?"
    assert d.db.rows(count, MAC) == [(1000,)]
    text = d.ctl("events", MAC).stdout.splitlines()
    assert text[-1].endswith(f"policy   normal, set by {LOCAL}") and "old event 003999" in text[-2]
    # the page shows the 5 newest
    page = d.request("GET", "/", admin=True)[2].decode()
    assert f"normal, set by {LOCAL}" in page and "old event 003996" in page and "old event 003995" not in page
    # another host's log is not cut by this one's
    d.ctl("rescue", OTHER)
    assert d.db.rows(count, MAC) == [(1000,)] and d.db.rows(count, OTHER) == [(1,)]


ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAlice alice@laptop"


def claim(d, mac=MAC):
    status, _, body = d.request("GET", f"/boot.ipxe?mac={mac}&ip=127.0.0.2", source="127.0.0.2")
    assert status == 200
    return next(w.split("=", 1)[1] for w in body.decode().split() if w.startswith("lifeboat.token="))


def agent_keys(d, token, mac=MAC):
    return d.request("GET", f"/api/v1/keys/{mac}", source="127.0.0.2",
                     headers={"Authorization": f"Bearer {token}"})


def test_keys_for_one_activation(lifeboatd, tmp_path):
    """Keys given with the rescue request reach that session's agent, with
    keys_file or instead of it, and end with the session."""
    d = lifeboatd(keys=KEYS, tls=True)
    status, out = post(d, f"/api/v1/hosts/{MAC}/rescue", {"keys": [ALICE]})
    assert status == 200 and json.loads(out)["session_keys"] == {"keys": [ALICE], "only": False}, out
    status, _, body = agent_keys(d, claim(d))
    assert status == 200 and body.decode() == KEYS + ALICE + "\n", body
    post(d, f"/api/v1/hosts/{MAC}/rescue", {"keys": [ALICE], "keys_only": True})
    status, _, body = agent_keys(d, claim(d))
    assert status == 200 and body.decode() == ALICE + "\n", body
    assert "1 SSH key for this session only (not keys_file), set by admin tests" in d.ctl("events", MAC).stdout
    # the next activation without keys: gone
    post(d, f"/api/v1/hosts/{MAC}/rescue")
    assert "session_keys" not in d.host(MAC)
    assert agent_keys(d, claim(d))[2].decode() == KEYS
    # lifeboatctl --key FILE, and keys_file missing: the session's keys still get the admin in
    keyfile = tmp_path / "alice.pub"
    keyfile.write_text(f"# alice\n\n{ALICE}\n")
    d.ctl("rescue", MAC, "--key", str(keyfile))
    d.keys_file.unlink()
    status, _, body = agent_keys(d, claim(d))
    assert status == 200 and body.decode() == ALICE + "\n", body
    d.ctl("normal", MAC)
    assert "session_keys" not in d.host(MAC)


def test_bad_activation_keys_are_refused(lifeboatd, tmp_path):
    d = lifeboatd(keys=KEYS, tls=True)
    for body, text in (({"keys": ["not a key"]}, "keys[0]"),
                       ({"keys": ["ssh-ed25519 AAAA\nssh-rsa BBBB evil"]}, "keys[0]"),
                       ({"keys": ["ssh-ed25519 not*base64"]}, "keys[0]"),
                       ({"keys": "ssh-ed25519 AAAA"}, "keys"),
                       ({"keys": [ALICE] * 17}, "keys"),
                       ({"keys_only": True}, "keys_only needs keys")):
        status, out = post(d, f"/api/v1/hosts/{MAC}/rescue", body)
        assert status == 400 and text.encode() in out, (body, status, out)
    assert d.host(MAC) is None
    bad = tmp_path / "bad.pub"
    bad.write_text(f"{ALICE}\ncommand=\"/bin/sh\" {ALICE}\n")
    r = d.ctl("rescue", MAC, "--key", str(bad), check=False)
    assert r.returncode == 2 and f"cannot use --key {bad}:2: not an OpenSSH public key line" in r.stderr
    r = d.ctl("rescue", MAC, "--keys-only", check=False)
    assert r.returncode == 2 and "--keys-only without --key" in r.stderr
    assert d.host(MAC) is None


def remote(d, *args, token=None, env_extra=None, check=True):
    """lifeboatctl from an admin's laptop: no state directory, only the
    server's URL, its CA and an admin token."""
    import subprocess
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
    env["LIFEBOAT_TOKEN"] = d.admin_token if token is None else token
    env.update(env_extra or {})
    r = subprocess.run([d.ctl_bin, "--server", f"https://127.0.0.1:{d.tls_port}", "--cacert", str(d.ca / "ca.crt"),
                        *args], capture_output=True, text=True, timeout=30, env=env)
    if check and r.returncode != 0:
        raise AssertionError(f"lifeboatctl {args}: {r.returncode} {r.stderr}")
    return r


def test_lifeboatctl_through_the_api(lifeboatd, tmp_path):
    """Every command the API has, from elsewhere, with the same output as
    on the boot server; changes recorded as the admin token's."""
    d = lifeboatd(keys=KEYS, tls=True)
    keyfile = tmp_path / "alice.pub"
    keyfile.write_text(ALICE + "\n")
    r = remote(d, "rescue", MAC, "--once", "--nat", "--for", "600", "--key", str(keyfile))
    assert r.stdout == (f"{MAC}: policy rescue-once (nat: no source-address check), session armed for 600s: "
                        "the next boot request from a matching address claims it\n")
    h = d.host(MAC)
    assert h["policy_set"]["by"] == "admin tests" and h["session_keys"]["keys"] == [ALICE]
    # the same lines (a second may pass between the two: "ends in 9m 59s")
    same = lambda text: re.sub(r"ends in [0-9hms ]+", "ends in ...", text)  # noqa: E731
    assert same(remote(d, "list").stdout) == same(d.ctl("list").stdout)
    assert json.loads(remote(d, "show", MAC).stdout)["policy"] == "rescue-once"
    assert remote(d, "events", MAC).stdout == d.ctl("events", MAC).stdout
    r = remote(d, "known-hosts", MAC, "--host", "[127.0.0.1]:2222", check=False)
    assert r.returncode == 1 and "answered 409" in r.stderr  # nothing reported yet: nothing verified
    assert remote(d, "normal", MAC).stdout == f"{MAC}: policy normal (its session, if any, has ended)\n"
    assert remote(d, "forget", MAC).stdout == f"{MAC}: forgotten\n"
    r = remote(d, "forget", MAC, check=False)
    assert r.returncode == 1 and "answered 404: cannot forget" in r.stderr
    # a bad token, none, a token in clear over the network, a command that needs the state directory
    r = remote(d, "list", token="lba_" + "x" * 32, check=False)
    assert r.returncode == 1 and "answered 401" in r.stderr
    r = remote(d, "list", token="", check=False)
    assert r.returncode == 2 and "not one (lba_...)" in r.stderr
    import subprocess
    env = dict(os.environ, LIFEBOAT_TOKEN=d.admin_token)
    r = subprocess.run([d.ctl_bin, "--server", "http://192.0.2.1:8080", "list"], capture_output=True, text=True,
                       env=env, timeout=10)
    assert r.returncode == 2 and "refusing to send the admin token in clear" in r.stderr
    # admin tokens are made on the boot server only (they are what the API needs)
    r = remote(d, "admin-token", "add", "eve", check=False)
    assert r.returncode == 2 and "works on the boot server only" in r.stderr
    assert "eve" not in d.ctl("admin-token", "list").stdout
    # a per-boot token by hand works from anywhere (an admin asks lifeboatd)
    assert len(remote(d, "token", OTHER).stdout.strip()) >= 20
    # the server's certificate is checked: another CA is refused
    other = tmp_path / "other"
    subprocess.run(["sh", os.path.join(os.path.dirname(__file__), "..", "server", "mkca.sh"), str(other), "127.0.0.1"],
                   check=True, capture_output=True)
    r = subprocess.run([d.ctl_bin, "--server", f"https://127.0.0.1:{d.tls_port}", "--cacert", str(other / "ca.crt"),
                        "list"], capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 1 and "cannot reach" in r.stderr and "certificate" in r.stderr.lower(), r.stderr
    assert d.host(MAC) is None


def report_with_dmi(d, mac, source, serial, uuid):
    d.ctl("rescue", mac, "--nat")
    status, _, body = d.request("GET", f"/boot.ipxe?mac={mac}&ip={source}", source=source)
    token = next(w.split("=", 1)[1] for w in body.decode().split() if w.startswith("lifeboat.token="))
    report = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "network-up",
              "inventory": {"dmi": {"serial": serial, "uuid": uuid}}}
    assert d.request("POST", "/api/v1/status", body=json.dumps(report), source=source,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})[0] == 200


def test_hosts_by_alias_serial_or_uuid(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    report_with_dmi(d, MAC, "127.0.0.2", "SN-4711", "4c4c4544-0042-4d10-8050-b4c04f4d3232")
    report_with_dmi(d, OTHER, "127.0.0.3", "SN-SAME", "uuid-other")
    report_with_dmi(d, "52:54:00:00:00:03", "127.0.0.4", "SN-SAME", "uuid-third")
    status, out = post(d, f"/api/v1/hosts/{MAC}/alias", {"alias": "db1.example"})
    assert status == 200 and json.loads(out)["alias"] == "db1.example", out
    for name in ("db1.example", "SN-4711", "4C4C4544-0042-4D10-8050-B4C04F4D3232"):
        status, _, out = d.request("GET", f"/api/v1/hosts/{name}", admin=True, tls=True)
        assert status == 200 and json.loads(out)["mac"] == MAC, (name, out)
    status, out = post(d, "/api/v1/hosts/db1.example/normal")
    assert status == 200 and json.loads(out)["mac"] == MAC and json.loads(out)["policy"] == "normal"
    status, _, out = d.request("GET", "/api/v1/hosts/SN-SAME", admin=True, tls=True)
    assert status == 409 and b"names 2 hosts" in out, out
    assert d.request("GET", "/api/v1/hosts/nobody", admin=True, tls=True)[0] == 404
    # unique, well-formed, removable
    status, out = post(d, f"/api/v1/hosts/{OTHER}/alias", {"alias": "db1.example"})
    assert status == 409 and f"belongs to {MAC}".encode() in out, out
    for bad in ("DB1", "-x", "a b", "x" * 64, "52:54:00:12:34:56"):
        status, out = post(d, f"/api/v1/hosts/{OTHER}/alias", {"alias": bad})
        assert status == 400 and (b"is not an alias" in out or b"want 0 to 63" in out), (bad, out)
    # lifeboatctl, here and from elsewhere, takes the same names
    assert d.ctl("show", "SN-4711").stdout == d.ctl("show", MAC).stdout
    assert remote(d, "alias", "SN-4711", "db2").stdout == f"{MAC}: alias db2\n"
    assert json.loads(remote(d, "show", "db2").stdout)["mac"] == MAC
    r = remote(d, "show", "db1.example", check=False)
    assert r.returncode == 2 and "cannot find host 'db1.example'" in r.stderr
    r = d.ctl("normal", "SN-SAME", check=False)
    assert r.returncode == 2 and "names 2 hosts" in r.stderr
    assert d.ctl("alias", MAC, "").stdout == f"{MAC}: no alias\n"
    assert "alias" not in d.host(MAC)
    assert "alias db2, set by admin tests" in d.ctl("events", MAC).stdout


def test_lifeboatctl_on_the_boot_server_goes_through_the_control_api(lifeboatd):
    """One write path: with lifeboatd running, lifeboatctl's changes are
    control API requests on STATE/lifeboatd.sock (logged as such, recorded
    with the local user); stopped, it works on the state directory; a
    socket left by a killed lifeboatd is replaced; a second lifeboatd on
    the same state directory is refused."""
    d = lifeboatd(keys=KEYS)
    sock = d.state / "lifeboatd.sock"
    assert sock.is_socket() and (sock.stat().st_mode & 0o777) == 0o600
    d.ctl("rescue", MAC, "--once")
    d.ctl("alias", MAC, "web1")
    assert d.host("web1")["policy"] == "rescue-once"
    d.wait_log(f'local "POST /api/v1/hosts/{MAC}/rescue" 200')
    log = d.wait_log(f'local "POST /api/v1/hosts/{MAC}/alias" 200')
    assert f"policy rescue-once, session armed for 86400s by {LOCAL}" in log
    # only the control API there: not the agents' routes, not the page
    for path in ("/boot.ipxe?mac=" + MAC, "/", "/api/v1/status"):
        r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--unix-socket", str(sock),
                            "http://localhost" + path], capture_output=True, text=True, timeout=10)
        assert r.stdout == "404", (path, r.stdout)

    d.stop()
    assert not sock.exists()
    d.ctl("normal", "web1")  # on the state directory, under its lock
    events = d.ctl("events", MAC).stdout
    assert events.rstrip().endswith("policy   normal, set by lifeboatctl"), events

    d.start()
    os.kill(d.proc.pid, signal.SIGKILL)
    d.proc.wait(timeout=10)
    assert sock.is_socket()  # left behind
    d.start()
    d.ctl("rescue", MAC)
    d.wait_log(f'local "POST /api/v1/hosts/{MAC}/rescue" 200')
    second = subprocess.run([d.bin, "--port", "1", "--state-dir", str(d.state)], capture_output=True, text=True,
                            timeout=10)
    assert second.returncode != 0
    assert (f"cannot use state directory {d.state}: another lifeboatd uses it (one per state directory): "
            f"pid {d.proc.pid}") in second.stderr, second.stderr
    assert sock.is_socket()  # the running one's socket is left alone


def test_control_socket_refuses_other_users(lifeboatd):
    """Attack: a local user who is not root (nobody) tries the control
    socket. Its mode stops the connection; made world-writable by mistake,
    the peer's credentials (SO_PEERCRED) still get 403, and nothing changes."""
    run = tempfile.mkdtemp(prefix="lb-run-")
    os.chmod(run, 0o755)
    sock = os.path.join(run, "control.sock")
    d = lifeboatd(keys=KEYS, extra=("--control-socket", sock))
    d.ctl("rescue", MAC)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

    def as_nobody(method, path):
        r = subprocess.run([*nobody, "curl", "-s", "-w", "\n%{http_code}", "-X", method, "--unix-socket", sock,
                            "http://localhost" + path], capture_output=True, text=True, timeout=10)
        return r.returncode, r.stdout

    rc, out = as_nobody("POST", f"/api/v1/hosts/{MAC}/normal")
    assert rc == 7 and out.endswith("000"), (rc, out)  # curl: could not connect (permission denied)
    os.chmod(sock, 0o666)
    rc, out = as_nobody("POST", f"/api/v1/hosts/{MAC}/normal")
    assert out.endswith("\n403") and "not nobody" in out, out
    rc, out = as_nobody("GET", "/api/v1/hosts")
    assert out.endswith("\n403") and MAC not in out, out
    assert d.host(MAC)["policy"] == "rescue"
    # lifeboatctl run by nobody says why instead of falling back
    r = subprocess.run([*nobody, d.ctl_bin, "--state-dir", str(d.state), "list"], capture_output=True, text=True,
                       timeout=10)
    assert r.returncode != 0
    d.stop()
    os.rmdir(run)


def test_the_admin_token_goes_in_clear_to_loopback_only(out_dir):
    """lifeboatctl judges "loopback" on the URL as libcurl parses it: a user
    part (http://127.0.0.1@evil.example is evil.example) and a name that
    only starts like a loopback address are refused before anything is
    sent; a listener on loopback that stands for the attacker's host hears
    nothing."""
    import socket
    ctl = os.path.join(out_dir, "build", "server", "lifeboatctl")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(1)
    port = listener.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIFEBOAT_")}
    env["LIFEBOAT_TOKEN"] = "lba_" + "A" * 32
    cases = [
        (f"http://127.0.0.1@localhost:{port}", "a user in the URL"),
        (f"http://127.0.0.1:x@localhost:{port}", "a user in the URL"),
        ("http://127.0.0.1.evil.example", "refusing to send the admin token in clear"),
        ("http://127.evil.example", "refusing to send the admin token in clear"),
        ("http://[::2]:8080", "refusing to send the admin token in clear"),
    ]
    try:
        for url, said in cases:
            r = subprocess.run([ctl, "--server", url, "list"], capture_output=True, text=True, timeout=30, env=env)
            assert r.returncode == 2 and said in r.stderr, (url, r.returncode, r.stderr)
        with pytest.raises(socket.timeout):
            listener.accept()
        # a real loopback address is let through (and reaches a listener there)
        listener2 = socket.socket()
        listener2.bind(("127.0.0.2", 0))
        listener2.listen(1)
        listener2.settimeout(10)
        p = subprocess.Popen([ctl, "--server", f"http://127.0.0.2:{listener2.getsockname()[1]}", "list"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        conn, _ = listener2.accept()
        assert b"Authorization: Bearer lba_" in conn.recv(4096)
        conn.close()
        listener2.close()
        p.wait(timeout=30)
    finally:
        listener.close()
