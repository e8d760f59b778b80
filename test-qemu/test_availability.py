"""Availability when the database does not answer (docs/server.md,
"Availability"): a real PostgreSQL of the test's own, hung (every process
SIGSTOPped: TCP up, no answers) or stopped. Cached hosts' boots,
/chain.ipxe and the payload never wait for it; no request waits longer
than db_timeout; an acknowledged arm is never answered "normal" (iPXE is
told to wait and ask again); no answer names the database; and once the
database answers again everything works without a restart."""

import concurrent.futures
import time
import urllib.parse

import pytest

from conftest import Postgres
from test_security import KEYS, REAL, boot, token_of

NORMAL_MAC = "52:54:00:aa:00:01"
ARMED_MAC = "52:54:00:aa:00:02"
DB_TIMEOUT = 2
# a request may take one database timeout (the call that finds it hung),
# plus the test's own slack on a busy 2-core machine
BOUND = DB_TIMEOUT + 1.5
NORMAL = "booting from the next device"
WAIT = "cannot decide for"


@pytest.fixture
def pg():
    """A PostgreSQL server of this test alone: the others' must not freeze."""
    p = Postgres()
    yield p
    p.stop()


def timed(fn, *args, **kw):
    t = time.monotonic()
    r = fn(*args, **kw)
    return r, time.monotonic() - t


def boot_script(d, mac, source=REAL):
    q = urllib.parse.urlencode({"mac": mac, "ip": source})
    status, _, body = d.request("GET", "/boot.ipxe?" + q, source=source, timeout=BOUND + 5)
    assert status == 200, body
    return body.decode()


def start(lifeboatd, pg, *extra):
    d = lifeboatd(keys=KEYS, database=pg.new_database(), extra=["--db-timeout", str(DB_TIMEOUT), *extra])
    d.ctl("normal", NORMAL_MAC)
    assert NORMAL in boot_script(d, NORMAL_MAC)
    return d


def no_database_name(d, pg, text):
    assert f":{pg.port}" not in text and "postgresql://" not in text, text


def test_a_hung_postgresql_holds_up_no_boot_chain_or_payload(lifeboatd, pg):
    d = start(lifeboatd, pg)
    pg.freeze()
    # 20 boots of a cached host at once, 10 chain scripts, 10 payload
    # ranges: every one answered, none waiting longer than db_timeout
    with concurrent.futures.ThreadPoolExecutor(40) as ex:
        boots = [ex.submit(timed, boot_script, d, NORMAL_MAC) for _ in range(20)]
        chains = [ex.submit(timed, d.request, "GET", "/chain.ipxe", timeout=BOUND + 5) for _ in range(10)]
        payload = [ex.submit(timed, d.request, "GET", "/payload/bzImage", headers={"Range": "bytes=0-1023"},
                             timeout=BOUND + 5) for _ in range(10)]
        for f in boots:
            script, took = f.result()
            assert took < BOUND and (NORMAL in script or WAIT in script), (took, script)
            no_database_name(d, pg, script)
        for f in chains + payload:
            (status, _, body), took = f.result()
            assert status in (200, 206) and took < BOUND, (status, took, body[:200])
    # past what a sync may take, the facts are no longer trusted: a boot
    # they would send to its disk waits (an arm through another lifeboatd
    # meanwhile would be missed), and is told so at once
    time.sleep(DB_TIMEOUT + 2)
    script, took = timed(boot_script, d, NORMAL_MAC)
    assert WAIT in script and "chain --replace" in script and took < BOUND, (took, script)
    # the admin API says the database does not answer, without naming it
    (status, _, body), took = timed(d.request, "GET", f"/api/v1/hosts/{NORMAL_MAC}", admin=True, timeout=BOUND + 5)
    assert took < BOUND and status == 503 and b"the database does not answer" in body, (took, status, body)
    no_database_name(d, pg, body.decode())
    # and lifeboatctl's error through the control socket names none either
    r, took = timed(d.ctl, "rescue", ARMED_MAC, check=False)
    assert r.returncode != 0 and took < BOUND + 2, (took, r.stderr)
    no_database_name(d, pg, r.stderr)
    pg.thaw()
    # the database answers again: no restart needed
    deadline = time.monotonic() + 10
    while NORMAL not in boot_script(d, NORMAL_MAC):
        assert time.monotonic() < deadline, "lifeboatd did not recover after the database came back"
        time.sleep(0.5)
    assert "wait: no answer from the database" in d.log_path.read_text()


def test_an_arm_is_never_answered_normal_while_postgresql_is_down(lifeboatd, pg):
    """The arm is acknowledged, then PostgreSQL goes away (connection
    refused): the host is told to wait, again and again, never "normal";
    once PostgreSQL is back it gets its rescue script."""
    d = start(lifeboatd, pg)
    d.ctl("rescue", ARMED_MAC)  # through lifeboatd's control socket: acknowledged
    pg.stop_server()
    for _ in range(3):
        script, took = timed(boot_script, d, ARMED_MAC)
        assert WAIT in script and NORMAL not in script.split(":cancelled")[0] and took < BOUND, (took, script)
        no_database_name(d, pg, script)
    time.sleep(DB_TIMEOUT + 2)
    assert WAIT in boot_script(d, ARMED_MAC)
    pg.start_server()
    deadline = time.monotonic() + 10
    while (t := token_of(boot_script(d, ARMED_MAC))) is None:
        assert time.monotonic() < deadline, "no rescue script after PostgreSQL came back"
        time.sleep(0.5)
    assert d.host(ARMED_MAC)["session"]["state"] == "active"


def test_an_arm_is_never_answered_normal_while_postgresql_hangs(lifeboatd, pg):
    d = start(lifeboatd, pg)
    d.ctl("rescue", ARMED_MAC)
    pg.freeze()
    for _ in range(3):
        script, took = timed(boot_script, d, ARMED_MAC)
        assert WAIT in script and took < BOUND, (took, script)
    pg.thaw()
    deadline = time.monotonic() + 10
    while token_of(boot_script(d, ARMED_MAC)) is None:
        assert time.monotonic() < deadline, "no rescue script after PostgreSQL answered again"
        time.sleep(0.5)


def test_store_unreachable_cached_boots_cached_hosts_from_old_facts(lifeboatd, pg):
    """store_unreachable = cached: the admin prefers that a fleet boots its
    disks through a long outage; an armed host still waits (its rescue
    needs the database)."""
    d = start(lifeboatd, pg, "--store-unreachable", "cached")
    d.ctl("rescue", ARMED_MAC)
    pg.freeze()
    time.sleep(DB_TIMEOUT + 2)
    script, took = timed(boot_script, d, NORMAL_MAC)
    assert NORMAL in script and took < BOUND, (took, script)
    assert WAIT in boot_script(d, ARMED_MAC)
    pg.thaw()
