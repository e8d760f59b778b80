"""The store (server/store/store.c on server/store/db.h): schema migrations, the
one-shot import of a JSON state directory, and several lifeboatd on one
database: a token issued once however they race, no update lost between
the API, reports and lifeboatctl, and a VM that boots through one lifeboatd
and reports to the other while the admin sees one host. Every test runs on
SQLite and on a real PostgreSQL (conftest's Postgres)."""

import concurrent.futures
import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SSH_UP
from test_security import KEYS, REAL, REAL_KEY, boot, post, report, token_of

# every test here runs on each store back end: SQLite, and a real PostgreSQL
pytestmark = pytest.mark.backends

MAC = "52:54:00:12:34:56"


def shared_database(db_backend, request, tmp_path):
    """One database for several lifeboatd: a PostgreSQL database, or an SQLite
    file outside their state directories."""
    if db_backend == "postgresql":
        return request.getfixturevalue("postgres").new_database()
    return f"sqlite:{tmp_path}/shared.db"


# ---- schema versions ---------------------------------------------------------------------

def test_new_database_gets_the_schema_and_a_newer_one_is_refused(lifeboatd):
    d = lifeboatd(keys=KEYS)
    assert d.db.rows("SELECT version FROM lifeboat_schema") == [(5,)]
    d.ctl("rescue", MAC)
    d.stop()
    d.start()  # opened again: nothing to migrate, nothing lost
    assert d.db.rows("SELECT version FROM lifeboat_schema") == [(5,)] and d.host(MAC)["policy"] == "rescue"
    d.stop()
    d.db.rows("UPDATE lifeboat_schema SET version = 99")  # written by a newer lifeboat
    r = subprocess.run(d.args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "its schema is version 99, newer than this lifeboat knows (5): upgrade lifeboat" in r.stderr
    r = d.ctl("list", check=False)
    assert r.returncode == 2 and "newer than this lifeboat knows" in r.stderr
    assert d.db.rows("SELECT count(*) FROM hosts") == [(1,)]  # untouched


@pytest.mark.postgresql_only
def test_lifeboatd_goes_on_after_postgresql_restarts(lifeboatd, postgres):
    """The database server restarts (an upgrade, a failover): the next
    requests find new connections; nothing stored is lost."""
    pg = postgres
    d = lifeboatd(keys=KEYS)
    d.ctl("rescue", MAC)
    pg.run("pg_ctl", "-D", pg.data, "-l", pg.log, "-m", "fast", "-w", "restart", "-o",
           f"-p {pg.port} -k {pg.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400")
    t = token_of(boot(d, REAL))  # a write transaction, on a connection made again
    assert t is not None
    assert post(d, t, report(REAL, REAL_KEY), REAL)[0] == 200
    assert d.host(MAC)["phase"] == "ssh-ready"


def test_unreachable_database_is_named_without_its_password(lifeboatd, tmp_path):
    d = lifeboatd(start=False, database="postgresql://lifeboat:s3cret@127.0.0.1:1/lifeboat")
    r = subprocess.run(d.args, capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "cannot connect to database postgresql://lifeboat@127.0.0.1:1/lifeboat" in r.stderr
    assert "s3cret" not in r.stderr
    r = subprocess.run([d.bin, "--state-dir", str(tmp_path / "s"), "--database", "mysql://x/y"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "database: want postgresql://..., sqlite:/PATH or an absolute path" in r.stderr


# ---- the JSON state directory of lifeboat before the database ------------------------------

def old_state(state, token):
    """A state directory as lifeboat wrote it before the database."""
    name = MAC.replace(":", "-")
    for sub in ("hosts", "tokens", "pending", "events", "bmc", "admin"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(token.encode()).hexdigest()
    host = {"mac": MAC, "policy": "rescue", "nat": False, "created": 1700000000, "alias": "db1",
            "phase": "booted", "report_source": REAL,
            "session": {"id": 1, "state": "active", "armed": 1700000000, "expires": 4000000000, "issued": 1700000001,
                        "once": False, "boots": 1, "token_sha256": digest, "bound": REAL}}
    (state / "hosts" / f"{name}.json").write_text(json.dumps(host, indent=2))
    (state / "hosts" / "52-54-00-00-00-02.json").write_text("{not json")  # kept as it is: readers say so
    (state / "hosts" / "52-54-00-00-00-03.json").write_bytes(b'{"mac": "52:54:00:00:00:03", "alias": "\xff"}')
    (state / "tokens" / digest).write_text(MAC)
    (state / "events" / f"{name}.jsonl").write_text(
        json.dumps({"time": 1700000000, "kind": "policy", "text": "rescue, set by an old lifeboatctl"}) + "\n"
        + "not json\n")
    (state / "bmc" / f"{name}.json").write_text(json.dumps(
        {"driver": "ipmi", "address": "192.0.2.9", "port": 623, "user": "admin", "password": "pw-old"}))
    admin = "lba_" + "A" * 32
    (state / "admin" / hashlib.sha256(admin.encode()).hexdigest()).write_text("oldadmin 1700000000\n")
    (state / "seen.json").write_text(json.dumps({"52:54:00:00:00:09": {"time": 1700000005, "source": "10.0.0.9",
                                                                         "decision": "normal"}}))
    return admin


def test_json_state_directory_is_imported_once(lifeboatd):
    d = lifeboatd(start=False, keys=KEYS)
    token = "T" * 32
    admin = old_state(d.state, token)
    d.start()
    log = d.wait_log("imported the JSON state directory")
    assert (f"imported the JSON state directory {d.state} into {d.db.url if d.database else d.state / 'lifeboat.db'}"
            ": 2 hosts, 1 token index entries, 0 pending, 1 events, 1 BMCs, 1 admin tokens, 1 last boots; "
            "1 files skipped, the first: " + str(d.state / "hosts" / "52-54-00-00-00-03.json")
            + " (not UTF-8 text); the files are kept in " + str(d.state / "json-imported-")) in log, log
    assert "cannot import " + str(d.state / "hosts" / "52-54-00-00-00-03.json") + ": not UTF-8 text" in log
    moved = [p for p in d.state.iterdir() if p.name.startswith("json-imported-")]
    assert len(moved) == 1 and (moved[0] / "hosts" / "52-54-00-00-00-03.json").exists()  # nothing lost
    assert not (d.state / "hosts").exists() and not (d.state / "seen.json").exists()
    # the session goes on: the old token is accepted from its bound address
    assert post(d, token, report(REAL, REAL_KEY, "ssh-ready"), REAL)[0] == 200
    h = d.host(MAC)
    assert h["alias"] == "db1" and h["phase"] == "ssh-ready" and h["session"]["bound"] == REAL
    assert d.host("db1")["mac"] == MAC
    events = d.ctl("events", MAC).stdout
    assert "rescue, set by an old lifeboatctl" in events and "booted -> ssh-ready" in events
    assert "unreadable: the whole document (not JSON)" in d.ctl("list").stdout
    assert d.request("GET", "/api/v1/hosts", headers={"Authorization": f"Bearer {admin}"})[0] == 200
    assert d.api_host("52:54:00:00:00:09") is None  # a last boot alone is not a host
    assert d.db.rows("SELECT source FROM seen WHERE mac = ?", "52:54:00:00:00:09") == [("10.0.0.9",)]
    assert "pw-old" in d.db.rows("SELECT doc FROM bmc WHERE mac = ?", MAC)[0][0]
    # once: a restart imports nothing again
    d.stop()
    d.start()
    assert d.log_path.read_text().count("imported the JSON state directory") == 0
    assert d.db.rows("SELECT count(*) FROM hosts") == [(2,)]


def test_json_files_are_not_moved_from_under_a_running_lifeboatd(lifeboatd):
    """An older lifeboatd still runs on its JSON files (it holds the state
    directory's lock) when the new lifeboatctl is used: nothing is imported
    or moved; the new lifeboatd imports them when it starts."""
    import fcntl
    d = lifeboatd(start=False, keys=KEYS)
    old_state(d.state, "V" * 32)
    with open(d.state / "lifeboatd.pid", "w") as pid:
        fcntl.flock(pid, fcntl.LOCK_EX)  # the running older lifeboatd
        r = d.ctl("admin-token", "list")
        assert "still holds the JSON files of an older lifeboat, and a lifeboatd runs on it" in r.stderr
        assert (d.state / "hosts").is_dir() and d.db.rows("SELECT count(*) FROM hosts") == [(0,)]
    d.start()  # the older one stopped; the new one imports
    d.wait_log("imported the JSON state directory")
    assert d.host(MAC)["alias"] == "db1" and not (d.state / "hosts").exists()


def test_lifeboatctl_import_json_keeps_what_the_database_has(lifeboatd, tmp_path):
    d = lifeboatd(keys=KEYS)
    d.ctl("rescue", MAC, "--once")  # the database's own, newer than the directory's
    other = tmp_path / "other-site"
    old_state(other, "U" * 32)
    d.stop()
    r = d.ctl("import-json", str(other), check=False)
    assert r.returncode == 1  # one file skipped, named
    assert "1 hosts (1 kept as the database had them)" in r.stdout, r.stdout
    assert "cannot import " + str(other / "hosts" / "52-54-00-00-00-03.json") + ": not UTF-8 text" in r.stderr
    assert d.host(MAC)["policy"] == "rescue-once" and "alias" not in d.host(MAC)
    assert (other / "hosts").exists()  # an explicit import leaves the directory as it is
    # a mistyped directory is an error, not "0 hosts"
    r = d.ctl("import-json", str(other / "nothing-here"), check=False)
    assert r.returncode == 1 and "nothing-here: No such file or directory (not a JSON state directory" in r.stderr


def test_the_import_follows_no_link_and_trusts_no_stranger(lifeboatd, tmp_path):
    """The attack: the owner of a JSON directory (lifeboatd's user, for its
    own) plants links to files only root may read, and root imports it.
    Nothing they point at reaches the database, each link is named; a
    directory of another user is refused unless --trust-owner; an import
    run again adds nothing."""
    d = lifeboatd(keys=KEYS)
    d.stop()
    other = tmp_path / "planted"
    old_state(other, "W" * 32)
    secret = tmp_path / "root-only"
    secret.write_text('{"mac": "52:54:00:00:00:07", "alias": "secret-shadow-line"}')
    os.chmod(secret, 0o600)
    (other / "hosts" / "52-54-00-00-00-07.json").symlink_to(secret)
    (other / "bmc" / "52-54-00-00-00-07.json").symlink_to(secret)
    (other / "seen.json").unlink()
    (other / "seen.json").symlink_to(secret)
    r = d.ctl("import-json", str(other), check=False)
    assert r.returncode == 1, r.stderr
    for link in ("hosts/52-54-00-00-00-07.json", "bmc/52-54-00-00-00-07.json", "seen.json"):
        assert f"cannot import {other}/{link}: a symbolic link: not followed" in r.stderr, r.stderr
    assert "secret-shadow-line" not in d.db.dump() and d.host("52:54:00:00:00:07") is None
    assert d.host(MAC)["alias"] == "db1"  # the rest came in
    counts = [d.db.rows(f"SELECT count(*) FROM {t}") for t in ("hosts", "events", "bmc", "admin_tokens")]
    r = d.ctl("import-json", str(other), check=False)
    assert "0 hosts (2 kept as the database had them)" in r.stdout and ", 0 events," in r.stdout, r.stdout
    assert [d.db.rows(f"SELECT count(*) FROM {t}") for t in ("hosts", "events", "bmc", "admin_tokens")] == counts
    # a directory of another user
    os.chown(other, 65534, 65534)
    r = d.ctl("import-json", str(other), check=False)
    assert r.returncode == 1 and f"cannot import {other}: {other} belongs to uid 65534, not to you (uid 0) or root" \
        in r.stderr, r.stderr
    r = d.ctl("import-json", str(other), "--trust-owner", check=False)
    assert "belongs to" not in r.stderr and "0 hosts (2 kept" in r.stdout, r.stderr


# ---- several lifeboatd on one database -------------------------------------------------------------

def test_a_token_is_issued_once_when_two_lifeboatd_race(lifeboatd, db_backend, request, tmp_path):
    """Twenty claimants, ten at each of two lifeboatd sharing the database,
    ask for one armed session at once: one token is handed out; everyone
    else is refused or finds the conflict; the stored session names the one
    winner."""
    db = shared_database(db_backend, request, tmp_path)
    a = lifeboatd(keys=KEYS, database=db)
    b = lifeboatd(keys=KEYS, database=db)
    for attempt in range(3):
        a.ctl("rescue", MAC)
        time.sleep(1.2)  # B's facts follow the database within a second: both now race for real
        sources = [f"127.0.{10 + attempt}.{i + 1}" for i in range(20)]

        def claim(i):
            d = (a, b)[i % 2]
            status, _, body = d.request("GET", f"/boot.ipxe?mac={MAC}&ip={sources[i]}", source=sources[i])
            assert status == 200, body
            assert "has policy normal" not in body.decode()  # both saw the armed session
            return sources[i], token_of(body.decode())

        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            results = list(pool.map(claim, range(20)))
        winners = [(src, t) for src, t in results if t is not None]
        assert len(winners) == 1, winners
        src, t = winners[0]
        h = a.host(MAC)
        assert h["session"]["bound"] == src and h["last_boot"]["source"] == src
        assert h["session"]["state"] in ("active", "conflict")
        assert a.db.rows("SELECT hash, mac FROM tokens") == [(hashlib.sha256(t.encode()).hexdigest(), MAC)]
        assert b.host(MAC)["session"] == h["session"]  # one truth


def test_a_change_through_one_lifeboatd_shows_at_the_other_within_a_second(lifeboatd, db_backend, request,
                                                                          tmp_path):
    """A decides normal boots from facts it keeps; B arms, forgets and arms
    again: A's next boot answers follow within a second (and A's own
    changes at once)."""
    db = shared_database(db_backend, request, tmp_path)
    a = lifeboatd(keys=KEYS, database=db)
    b = lifeboatd(keys=KEYS, database=db)
    b.ctl("normal", MAC)
    assert "has policy normal" in boot(a, REAL)

    def a_says(text, within=2.0):
        deadline = time.monotonic() + within
        while True:
            script = boot(a, REAL)
            if text in script or time.monotonic() > deadline:
                assert text in script, script
                return script
            time.sleep(0.05)

    b.ctl("rescue", MAC)
    assert token_of(a_says("has policy rescue")) is not None  # claimed at A, decided in A's transaction
    b.ctl("forget", MAC)
    a_says("booting from the next device")
    assert a.host(MAC) is None
    a.ctl("rescue", MAC)  # through A itself: at once
    assert token_of(boot(a, REAL)) is not None


def test_no_update_is_lost_between_api_reports_and_lifeboatctl(lifeboatd, db_backend, request, tmp_path):
    """Aliases set through one lifeboatd's API, reports accepted by the other,
    and lifeboatctl changes at the same time, on one host: every change is
    in the stored host and in its event log."""
    db = shared_database(db_backend, request, tmp_path)
    a = lifeboatd(keys=KEYS, database=db, tls=True)
    b = lifeboatd(keys=KEYS, database=db)
    a.ctl("rescue", MAC)
    deadline = time.monotonic() + 2  # armed through A: B knows within a second
    while (t := token_of(boot(b, REAL))) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert t is not None
    n = 25

    def set_alias(i):
        body = json.dumps({"alias": f"web{i}"})
        return a.request("POST", f"/api/v1/hosts/{MAC}/alias", body=body, admin=True, tls=True,
                         headers={"Content-Type": "application/json"})[0]

    def send_report(i):
        phase = ("network-up", "ssh-ready")[i % 2]
        r = report(REAL, REAL_KEY, phase)
        r["seq"] = i + 1
        return post(b, t, r, REAL)[0]

    def set_bmc(i):
        pw = tmp_path / f"pw{i}"
        pw.write_text("secret\n")
        return b.ctl("bmc", MAC, "--address", f"192.0.2.{i + 1}", "--user", "admin", "--password-file",
                     str(pw)).returncode

    with concurrent.futures.ThreadPoolExecutor(12) as pool:  # all at once, interleaved
        jobs = [(kind, pool.submit(fn, i)) for i in range(n)
                for kind, fn in (("alias", set_alias), ("report", send_report), ("bmc", set_bmc)) if kind != "bmc" or i < 5]
        results = [(kind, f.result(timeout=60)) for kind, f in jobs]
    assert {r for kind, r in results if kind != "bmc"} == {200} and {r for kind, r in results if kind == "bmc"} == {0}
    h = b.host(MAC)
    events = a.db.rows("SELECT kind, text FROM events WHERE mac = ? ORDER BY id", MAC)
    alias_events = [text for kind, text in events if kind == "alias"]
    assert len(alias_events) == n and h["alias"] == alias_events[-1].split()[1].rstrip(",")  # the last one stays
    assert len([1 for kind, _ in events if kind == "bmc"]) == 5 and h["bmc"]["address"].startswith("192.0.2.")
    assert h["report"]["seq"] >= 1 and h["phase"] in ("network-up", "ssh-ready")
    assert h["session"]["state"] == "active" and h["session"]["host_keys"][0]["key"] == REAL_KEY["key"]
    assert a.host(MAC) == h


def test_vm_boots_through_one_lifeboatd_and_reports_to_the_other(vms, lifeboatd, db_backend, request, tmp_path,
                                                                  ssh_key):
    """Two lifeboatd on one database, "one name" being B's: the stock iPXE
    ROM asks A for its boot decision (DHCP's boot file names A's
    /boot.ipxe), A issues the token and names B in the script; the agent
    loads the payload from B and reports to B; the admin sees one host
    through either, and ssh checks the host key strictly."""
    from test_boot import IPXE_DEADLINE, KERNEL_DEADLINE
    from test_lifeboatd_vm import strict_ssh
    key, pub = ssh_key
    db = shared_database(db_backend, request, tmp_path)
    b = lifeboatd(keys=pub + "\n", database=db)
    a = lifeboatd(keys=pub + "\n", database=db, extra=["--public-url", f"http://10.0.2.2:{b.port}"])
    a.ctl("rescue", MAC, "--once", "--nat")
    # iPXE expands ${...} in the DHCP boot file name
    bootfile = a.guest_url("/boot.ipxe?mac=${mac}&ip=${ip}&serial=${serial}")
    vm = vms("two-servers", ["-netdev", f"user,id=n0,hostfwd=tcp:127.0.0.1:@SSHPORT@-:22,bootfile={bootfile}",
                             "-device", f"virtio-net-pci,netdev=n0,mac={MAC}", "-smbios", "type=1,serial=SN-A",
                             "-boot", "n"], ssh_key=key)
    vm.wait_for(f"Lifeboat: {MAC} has policy rescue-once: booting the rescue system", IPXE_DEADLINE)
    vm.wait_for("Linux version", KERNEL_DEADLINE)
    host = a.wait_phase(MAC, "ssh-ready", 90, vm)
    log_a, log_b = a.log_path.read_text(), b.log_path.read_text()
    assert '"GET /boot.ipxe" 200' in log_a and '"GET /boot.ipxe"' not in log_b
    assert '"POST /api/v1/status" 200' in log_b and '"POST /api/v1/status"' not in log_a
    assert '"GET /payload/bzImage" 200' in log_b
    assert host["last_boot"]["serial"] == "SN-A" and host["policy"] == "normal"
    assert b.host(MAC)["session"] == host["session"] and b.host(MAC)["phase"] == host["phase"]
    known = tmp_path / "known_hosts"
    known.write_text(a.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout)
    assert known.read_text() == b.ctl("known-hosts", MAC, "--host", f"[127.0.0.1]:{vm.ssh_port}").stdout
    r = strict_ssh(vm, known, "cat /proc/cmdline")
    assert r.returncode == 0, r.stderr
    assert f"lifeboat.server=http://10.0.2.2:{b.port}" in r.stdout
    events = a.ctl("events", MAC).stdout
    assert "session claimed: rescue script with a token for 127.0.0.1" in events  # A's, through QEMU's NAT
    # B's; the agent may pass ssh-ready between two reports (wait_phase)
    assert "reported from 127.0.0.1" in events and any(f"-> {p}, reported" in events for p in SSH_UP)


def test_root_makes_the_database_for_lifeboatds_user(out_dir):
    """lifeboatctl as root before lifeboatd's first start (admin-token add)
    makes the SQLite file for the owner of the state directory, so lifeboatd
    running as that user can open it."""
    import pwd
    import shutil
    import tempfile
    if os.geteuid() != 0:
        pytest.skip("needs root (to own the state directory by another user)")
    nobody = pwd.getpwnam("nobody")
    top = tempfile.mkdtemp(prefix="lifeboat-owner.")  # pytest's own directory is root's alone
    try:
        os.chmod(top, 0o755)
        state = Path(top) / "state"
        state.mkdir(mode=0o700)
        os.chown(state, nobody.pw_uid, nobody.pw_gid)
        ctl = os.path.join(out_dir, "build", "server", "lifeboatctl")
        r = subprocess.run([ctl, "--state-dir", str(state), "admin-token", "add", "alice"], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        db = state / "lifeboat.db"
        assert (db.stat().st_uid, db.stat().st_mode & 0o777) == (nobody.pw_uid, 0o600)
        assert [p.name for p in state.iterdir() if p.stat().st_uid != nobody.pw_uid] == []
        r = subprocess.run(["runuser", "-u", "nobody", "--", ctl, "--state-dir", str(state), "admin-token", "list"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "alice" in r.stdout, r.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)
