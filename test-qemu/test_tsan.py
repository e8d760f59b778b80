"""lifeboatd built with ThreadSanitizer (make tsan) under concurrent load:
boots that claim, re-issue and contest sessions, normal boots, reports,
key fetches, the page and the API, payload ranges, lifeboatctl changing
the same hosts. Any data race TSan sees fails the test."""

import concurrent.futures
import json
import os
import random
import time
import urllib.parse

import pytest

KEYS = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdmin admin@example\n"


def token_of(script):
    for word in script.split():
        if word.startswith("lifeboat.token="):
            return word.split("=", 1)[1]
    return None


def test_lifeboatd_under_threadsanitizer(lifeboatd, out_dir):
    binary = os.path.join(out_dir, "build", "tsan", "lifeboatd")
    if not os.path.exists(binary):
        pytest.fail(f"{binary} is missing: make check builds it (make tsan)")
    os.environ["TSAN_OPTIONS"] = "halt_on_error=0 exitcode=66 second_deadlock_stack=1"
    try:
        d = lifeboatd(keys=KEYS, binary=binary, default_policy="rescue", extra=["--auto-hosts", "4"])
    finally:
        del os.environ["TSAN_OPTIONS"]
    rescue = [f"52:54:00:11:00:{i:02x}" for i in range(8)]
    normal = [f"52:54:00:22:00:{i:02x}" for i in range(8)]
    for mac in rescue:
        d.ctl("rescue", mac)
    for mac in normal:
        d.ctl("normal", mac)
    deadline = time.monotonic() + 8
    counts = {"ok": 0}

    def agent(i):
        mac, addr = rescue[i], f"127.0.6.{i + 1}"
        while time.monotonic() < deadline:
            q = urllib.parse.urlencode({"mac": mac, "ip": addr, "serial": f"SN{i}"})
            status, _, body = d.request("GET", "/boot.ipxe?" + q, source=addr)
            t = token_of(body.decode())
            if t:
                rep = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "ssh-ready",
                       "interfaces": [{"name": "eth0", "ipv4": [f"{addr}/8"]}],
                       "ssh": {"host_keys": [{"type": "ssh-ed25519", "key": f"AAAA{i}", "fingerprint": "SHA256:x"}]}}
                hdr = {"Authorization": f"Bearer {t}"}
                d.request("POST", "/api/v1/status", json.dumps(rep).encode(), hdr, source=addr)
                d.request("GET", f"/api/v1/keys/{mac}", headers=hdr, source=addr)
            # another machine contests now and then
            if random.random() < 0.1:
                d.request("GET", "/boot.ipxe?" + urllib.parse.urlencode({"mac": mac, "ip": "127.0.7.1"}),
                          source="127.0.7.1")
            counts["ok"] += 1

    def reader(i):
        paths = ["/", "/api/v1/hosts", "/chain.ipxe", f"/api/v1/hosts/{rescue[i % 8]}"]
        while time.monotonic() < deadline:
            for p in paths:
                assert d.request("GET", p, source=f"127.0.8.{i + 1}", admin=p != "/chain.ipxe")[0] == 200
            assert d.request("GET", "/api/v1/hosts", source=f"127.0.8.{i + 1}")[0] == 401
            for mac in normal:
                d.request("GET", f"/boot.ipxe?mac={mac}", source=f"127.0.8.{i + 1}")
            d.request("GET", "/payload/bzImage", headers={"Range": f"bytes={i * 100}-{i * 100 + 99}"})
            d.request("GET", f"/boot.ipxe?mac=52:54:00:33:{i:02x}:{random.randrange(256):02x}",
                      source=f"127.0.9.{i + 1}")

    def admin(i):
        while time.monotonic() < deadline:
            d.ctl("rescue", rescue[random.randrange(8)], check=False)
            d.ctl("list", check=False)

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        futures = [pool.submit(agent, i) for i in range(8)] + [pool.submit(reader, i) for i in range(8)] + \
                  [pool.submit(admin, i) for i in range(2)]
        for f in futures:
            f.result(timeout=120)
    assert counts["ok"] > 20
    rc = d.stop()
    log = d.log_path.read_text()
    assert "WARNING: ThreadSanitizer" not in log, log[log.find("WARNING: ThreadSanitizer"):][:4000]
    assert rc == 0, log[-2000:]
