"""What lifeboatd lets an admin see of itself: /metrics in Prometheus'
text format (checked by Debian's promtool, unpacked from its package by
make), counting what was done to it."""

import os
import subprocess
import urllib.parse

import pytest

from test_security import MAC, REAL_KEY, boot, post, report, token_of


def promtool():
    path = os.environ.get("LIFEBOAT_PROMTOOL", "")
    if not os.access(path, os.X_OK):
        pytest.fail("promtool is missing: make check fetches it (LIFEBOAT_PROMTOOL)")
    return path


def metrics(d):
    status, headers, body = d.request("GET", "/metrics", admin=True)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4"), (status, headers)
    return body.decode()


def sample(text, name):
    """The value of one sample line (name with its labels)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in\n{text}")


def test_metrics_count_what_happened_and_promtool_accepts_them(lifeboatd):
    d = lifeboatd()
    # nobody without the admin token
    assert d.request("GET", "/metrics")[0] in (401, 403)
    assert d.request("GET", "/metrics", headers={"Authorization": "Bearer not-a-token"})[0] in (401, 403)
    before = metrics(d)
    assert sample(before, 'lifeboat_boot_decisions_total{outcome="rescue"}') == 0

    d.ctl("rescue", MAC, "--once")
    boot(d, "127.0.0.2", ip="127.0.0.3")                            # ip mismatch: not claimed
    token = token_of(boot(d, "127.0.0.1", ip="127.0.0.1"))           # rescue, claimed
    boot(d, "127.0.0.4", ip="127.0.0.4")                            # another address: conflict
    boot(d, "127.0.0.5", ip="127.0.0.5", mac="52:54:00:00:00:99")   # unknown host: normal
    assert post(d, token, report("127.0.0.1", REAL_KEY), "127.0.0.1")[0] == 200
    assert post(d, "unknown-token-xxxx", report("127.0.0.1", REAL_KEY), "127.0.0.1")[0] == 403
    assert post(d, token, b"{not json", "127.0.0.1")[0] == 400
    assert d.request("GET", "/nothing-here")[0] == 404

    text = metrics(d)
    for name, want in (('lifeboat_boot_decisions_total{outcome="rescue"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="ip_mismatch"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="conflict"}', 1),
                       ('lifeboat_boot_decisions_total{outcome="normal"}', 1),
                       ('lifeboat_conflicts_total', 1),
                       ('lifeboat_reports_total{result="accepted"}', 1),
                       ('lifeboat_reports_total{result="refused"}', 1),
                       ('lifeboat_reports_total{result="invalid"}', 1),
                       ('lifeboat_sessions{state="conflict"}', 1),
                       ('lifeboat_hosts', 1)):
        assert sample(text, name) == want, name
    assert sample(text, 'lifeboat_http_responses_total{code="404"}') >= 1
    assert sample(text, "lifeboat_store_call_seconds_count") > 0
    assert sample(text, 'lifeboat_store_call_seconds_bucket{le="+Inf"}') == sample(
        text, "lifeboat_store_call_seconds_count")
    r = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr


def test_metrics_count_tls_connections(lifeboatd):
    d = lifeboatd(tls=True)
    first = sample(metrics_tls(d), "lifeboat_tls_connections_total")
    metrics_tls(d)
    assert sample(metrics_tls(d), "lifeboat_tls_connections_total") >= first + 2


def metrics_tls(d):
    status, _, body = d.request("GET", "/metrics", admin=True, tls=True)
    assert status == 200
    return body.decode()
