"""The admin interface (page and hosts API) apart from the boot interface:
admin tokens, the Host check, HTTPS, and the login in a real browser
(Debian's chromium driven by chromedriver)."""

import json
import os
import re
import socket
import ssl
import subprocess
import urllib.parse

import pytest

# every test here runs on each store back end: SQLite, and a real PostgreSQL
pytestmark = pytest.mark.backends

MAC = "52:54:00:12:34:56"
KEYS = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAdmin admin@example\n"


def with_host(d, mac=MAC):
    d.ctl("rescue", mac)
    status, _, body = d.request("GET", f"/boot.ipxe?mac={mac}&ip=127.0.0.2", source="127.0.0.2")
    assert status == 200
    for word in body.decode().split():
        if word.startswith("lifeboat.token="):
            return word.split("=", 1)[1]
    raise AssertionError(body)


def chromium(tmp_path):
    """Debian's chromium, headless, through chromedriver; it accepts the
    test CA's certificate (the chain is checked by the other tests)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--disable-quic", f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(a)
    opts.set_capability("acceptInsecureCerts", True)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.set_page_load_timeout(30)
    return driver


def click_and_wait(driver, element, expect):
    """Click a submit button and wait (bounded) until the page that
    replaced the old one shows `expect`: a click only starts the
    navigation, so reading the body right away races with it."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def old_page_gone(drv):
        # chromedriver says "stale element", or during the navigation's
        # teardown "Node with given id does not belong to the document"
        # (an unknown error): either way the old page is gone
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True

    # the new page's body may be read while it is still being replaced
    wait = WebDriverWait(driver, 30, ignored_exceptions=(WebDriverException,))
    wait.until(old_page_gone)
    wait.until(lambda drv: expect in drv.find_element(By.TAG_NAME, "body").text)
    return driver.find_element(By.TAG_NAME, "body").text


def test_admin_requests_need_an_admin_token(lifeboatd):
    d = lifeboatd(keys=KEYS)
    agent_token = with_host(d)
    for path in ("/", "/api/v1/hosts", f"/api/v1/hosts/{MAC}"):
        status, headers, body = d.request("GET", path)
        assert status == 401 and MAC.encode() not in body, path  # reveals nothing
        assert headers.get("WWW-Authenticate") == 'Bearer realm="lifeboat"'
    status, _, body = d.request("GET", "/", headers={"Accept": "text/html"})
    assert status == 401 and b'<form method="post" action="/login">' in body and MAC.encode() not in body
    # a boot client's or agent's token never opens the admin interface
    status, _, body = d.request("GET", "/api/v1/hosts", headers={"Authorization": f"Bearer {agent_token}"})
    assert status == 401 and MAC.encode() not in body
    assert d.request("GET", "/api/v1/hosts", admin=True)[0] == 200
    # another admin, then revoked
    second = d.ctl("admin-token", "add", "bob").stdout.strip()
    assert second.startswith("lba_") and len(second) == 36
    hdr = {"Authorization": f"Bearer {second}"}
    assert d.request("GET", "/api/v1/hosts", headers=hdr)[0] == 200
    assert "bob" in d.ctl("admin-token", "list").stdout
    d.ctl("admin-token", "revoke", "bob")
    status, _, body = d.request("GET", "/api/v1/hosts", headers=hdr)
    assert status == 401 and MAC.encode() not in body
    r = d.ctl("admin-token", "add", "tests", check=False)
    assert r.returncode == 1 and "has an admin token already" in r.stderr
    for f in d.state.rglob("*"):
        if f.is_file():
            assert second not in f.read_text(errors="replace") and d.admin_token not in f.read_text(errors="replace")
    stored = d.db.dump()
    assert second not in stored and d.admin_token not in stored and "tests" in stored  # only hashes


def test_foreign_host_header_is_refused(lifeboatd):
    """DNS rebinding: a page elsewhere whose name resolves to lifeboatd."""
    d = lifeboatd(keys=KEYS)
    with_host(d)
    status, _, body = d.request("GET", "/api/v1/hosts", admin=True, headers={"Host": "evil.example"})
    assert status == 421 and MAC.encode() not in body
    s = socket.create_connection(("127.0.0.1", d.port))
    s.sendall(f"GET /api/v1/hosts HTTP/1.0\r\nAuthorization: Bearer {d.admin_token}\r\n\r\n".encode())
    answer = s.recv(4096)
    s.close()
    assert answer.startswith(b"HTTP/1.0 400") or answer.startswith(b"HTTP/1.1 400"), answer
    assert d.request("GET", "/api/v1/hosts", admin=True, headers={"Host": f"localhost:{d.port}"})[0] == 200
    # a form posted from another site
    status, _, _ = d.request("POST", "/login", body=f"token={d.admin_token}",
                             headers={"Origin": "http://evil.example",
                                      "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403


def test_login_session_cookie(lifeboatd):
    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    status, _, body = d.request("POST", "/login", body="token=lba_nope", headers=form, tls=True)
    assert status == 401 and b"not a valid admin token" in body
    status, headers, _ = d.request("POST", "/login", body="token=" + urllib.parse.quote(d.admin_token),
                                   headers=form, tls=True)
    assert status == 303 and headers["Location"] == "/"
    cookie = headers["Set-Cookie"]
    for attr in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
        assert attr in cookie, cookie
    jar = {"Cookie": cookie.split(";")[0]}
    status, _, page = d.request("GET", "/", headers=jar, tls=True)
    assert status == 200 and MAC.encode() in page and b"Signed in as tests" in page
    assert d.request("POST", "/logout", headers=jar, tls=True)[0] == 303
    assert d.request("GET", "/", headers=jar, tls=True)[0] == 401


def test_the_page_is_never_framed(lifeboatd):
    """Clickjacking: the page and the login form say no frame may hold them."""
    d = lifeboatd(keys=KEYS)
    with_host(d)
    for path, admin in (("/", True), ("/login", False)):
        status, headers, _ = d.request("GET", path, admin=admin, headers={"Accept": "text/html"})
        assert status == 200 and headers.get("X-Frame-Options") == "DENY", (path, headers)
        assert headers.get("Content-Security-Policy") == "frame-ancestors 'none'", (path, headers)


def test_https_with_the_ca_and_the_admin_interface_only_there(lifeboatd, tmp_path):
    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    status, _, chain = d.request("GET", "/chain.ipxe", tls=True)
    assert status == 200 and f"chain https://10.0.2.2:{d.tls_port}/boot.ipxe?".encode() in chain
    d.ctl("rescue", "52:54:00:aa:00:01")
    status, _, script = d.request("GET", "/boot.ipxe?mac=52:54:00:aa:00:01&ip=127.0.0.1", tls=True)
    assert f"kernel https://10.0.2.2:{d.tls_port}/payload/bzImage".encode() in script
    assert d.request("HEAD", "/payload/bzImage", tls=True)[0] == 200
    # plain HTTP still serves stock ROMs, but not the admin interface
    assert d.request("GET", "/chain.ipxe")[0] == 200
    status, _, body = d.request("GET", "/api/v1/hosts", admin=True)
    assert status == 403 and b"served over HTTPS" in body and MAC.encode() not in body
    assert d.request("GET", "/api/v1/hosts", admin=True, tls=True)[0] == 200
    # a client that trusts another CA refuses the connection
    other = tmp_path / "other-ca"
    subprocess.run(["sh", os.path.join(os.path.dirname(__file__), "..", "server", "mkca.sh"), str(other),
                    "127.0.0.1"], check=True, capture_output=True)
    ctx = ssl.create_default_context(cafile=str(other / "ca.crt"))
    with pytest.raises(ssl.SSLCertVerificationError):
        with socket.create_connection(("127.0.0.1", d.tls_port)) as raw:
            ctx.wrap_socket(raw, server_hostname="127.0.0.1")


def test_bad_tls_configuration_is_named(out_dir, tmp_path):
    lb = os.path.join(out_dir, "build", "server", "lifeboatd")
    base = [lb, "--state-dir", str(tmp_path / "s"), "--port", "1"]
    r = subprocess.run(base + ["--tls-port", "8443"], capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "tls_port needs tls_cert and tls_key" in r.stderr
    (tmp_path / "x.pem").write_text("not pem\n")
    r = subprocess.run([lb, "--state-dir", str(tmp_path / "s"), "--port", "18999", "--tls-port", "18998",
                        "--tls-cert", str(tmp_path / "x.pem"), "--tls-key", str(tmp_path / "x.pem")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and f"cannot use tls_cert {tmp_path}/x.pem: not a PEM file" in r.stderr
    # a key others can read is refused, with its mode
    ca = tmp_path / "ca"
    subprocess.run(["sh", os.path.join(os.path.dirname(__file__), "..", "server", "mkca.sh"), str(ca), "127.0.0.1"],
                   check=True, capture_output=True)
    os.chmod(ca / "server.key", 0o644)
    r = subprocess.run([lb, "--state-dir", str(tmp_path / "s"), "--port", "18999", "--tls-port", "18998",
                        "--tls-cert", str(ca / "server.crt"), "--tls-key", str(ca / "server.key")],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and (f"cannot use tls_key {ca}/server.key: it is readable by others (mode 0644): "
                                  f"chmod o-rwx {ca}/server.key") in r.stderr, r.stderr


def s_client(d, *args):
    """openssl s_client against the HTTPS listener, with the client's own
    floor lowered (SECLEVEL=0) so that only the server can refuse."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{d.tls_port}", "-CAfile", str(d.ca / "ca.crt"),
                        "-verify_return_error", *args], input="", capture_output=True, text=True, timeout=20)
    # "New, <the cipher's own version>, Cipher is C"; the session block
    # (when printed: not for TLS 1.3 without a ticket yet) has the protocol
    m = re.search(r"^New, (\S+), Cipher is (\S+)", r.stdout, re.M)
    proto = re.search(r"^\s*Protocol\s*:\s*(\S+)", r.stdout, re.M)
    if r.returncode != 0 or not m or m[2] == "(NONE)":
        return None
    return (proto[1] if proto else m[1], m[2])


def test_tls_is_1_2_or_newer_with_forward_secret_aead_suites_only(lifeboatd):
    """TLS 1.0 and 1.1 are refused, and so is TLS 1.2 without forward
    secrecy (RSA key exchange: what Debian's 2019 iPXE offers) or without
    AEAD (CBC); ECDHE with GCM and TLS 1.3 connect. Our ROM and the agent
    (BearSSL) connecting with these settings: test_rom's HTTPS test and
    test_agent_tls."""
    d = lifeboatd(tls=True)
    low = "DEFAULT:@SECLEVEL=0"
    assert s_client(d, "-tls1", "-cipher", low) is None
    assert s_client(d, "-tls1_1", "-cipher", low) is None
    for suite in ("AES128-SHA", "AES256-SHA256", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                  "DHE-RSA-AES128-SHA256"):
        assert s_client(d, "-tls1_2", "-cipher", f"{suite}:@SECLEVEL=0") is None, suite
    assert s_client(d, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256") == ("TLSv1.2",
                                                                                "ECDHE-RSA-AES128-GCM-SHA256")
    assert s_client(d, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305")[1] == "ECDHE-RSA-CHACHA20-POLY1305"
    assert s_client(d, "-tls1_3")[0] == "TLSv1.3"


def test_tls_priority_is_configurable_and_a_bad_one_is_named(lifeboatd, out_dir, tmp_path):
    d = lifeboatd(tls=True, extra=["--tls-priority", "NORMAL:+RSA:+AES-128-CBC:+SHA1:-VERS-ALL:+VERS-TLS1.2"])
    assert s_client(d, "-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0") == ("TLSv1.2", "AES128-SHA")
    assert s_client(d, "-tls1_3") is None
    d.stop()
    bad = lifeboatd(start=False, tls=True, extra=["--tls-priority", "SECURE128:+NO-SUCH-THING"])
    r = subprocess.run(bad.args, capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "cannot use tls_priority: " in r.stderr and "NO-SUCH-THING" in r.stderr, r.stderr


def test_login_in_a_browser(lifeboatd, tmp_path):
    """What a person sees in Chromium: the sign-in form, a wrong token
    refused, the hosts page with the host, signing out. (The browser
    accepts the test CA's certificate; its chain is checked above.)"""
    from selenium.webdriver.common.by import By

    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    driver = chromium(tmp_path)
    def submit(button, expect):
        return click_and_wait(driver, driver.find_element(*button), expect)

    submit_button = (By.CSS_SELECTOR, "button[type=submit]")
    try:
        url = f"https://127.0.0.1:{d.tls_port}/"
        driver.get(url)
        body = driver.find_element(By.TAG_NAME, "body").text
        assert "Admin token" in body and MAC not in body
        driver.find_element(By.ID, "token").send_keys("lba_wrong")
        submit(submit_button, "That is not a valid admin token.")
        driver.find_element(By.ID, "token").send_keys(d.admin_token)
        body = submit(submit_button, "Lifeboat hosts")
        assert "Signed in as tests" in body, body
        row = driver.find_element(By.XPATH, f"//tr[td[text()='{MAC}']]").text
        assert "rescue" in row and "active, bound to 127.0.0.2" in row, row
        cookie = driver.get_cookie("lifeboat_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
        body = submit((By.XPATH, "//button[text()='Log out']"), "Admin token")
        assert MAC not in body
        driver.get(url)
        assert MAC not in driver.find_element(By.TAG_NAME, "body").text
    finally:
        driver.quit()


def test_page_actions_in_a_browser_and_csrf(lifeboatd, tmp_path):
    """The page during an incident: identity, session, phase with its age
    and an overdue mark, the copyable ssh command, recent events; the
    buttons work for a signed-in admin, and a form without the page's token
    (what another site would post) is refused."""
    import json as _json
    import time
    from selenium.webdriver.common.by import By

    d = lifeboatd(keys=KEYS, tls=True)
    token = with_host(d)
    d.ctl("alias", MAC, "db1")
    report = {"format": "lifeboat-status", "version": 1, "seq": 1, "phase": "ssh-ready",
              "interfaces": [{"name": "eth0", "ipv4": ["10.0.2.15/24"]}],
              "inventory": {"dmi": {"vendor": "Acme", "product": "R42", "serial": "SN-4711"}}}
    assert d.request("POST", "/api/v1/status", body=_json.dumps(report), source="127.0.0.2",
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})[0] == 200
    # a Bearer client sees the page without forms, and cannot post one
    status, _, body = d.request("GET", "/", admin=True, tls=True)
    assert status == 200 and b"db1" in body and b"Acme / R42 / SN-4711" in body
    assert b"<code>lifeboatctl ssh db1</code>" in body and b'name="csrf"' not in body
    status, _, body = d.request("POST", f"/hosts/{MAC}/normal", body="csrf=x", admin=True, tls=True,
                                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403 and b"CSRF" in body
    time.sleep(7)  # three heartbeats (--heartbeat 2) without a report
    assert b"heartbeats overdue" in d.request("GET", "/", admin=True, tls=True)[2]

    driver = chromium(tmp_path)

    def submit(element, expect):
        return click_and_wait(driver, element, expect)

    def row():
        return driver.find_element(By.ID, MAC).text

    def button(label):
        return driver.find_element(By.ID, MAC).find_element(By.XPATH, f".//button[text()='{label}']")

    try:
        driver.get(f"https://127.0.0.1:{d.tls_port}/")
        driver.find_element(By.ID, "token").send_keys(d.admin_token)
        submit(driver.find_element(By.CSS_SELECTOR, "button[type=submit]"), "Lifeboat hosts")
        r = row()
        assert "db1" in r and "Acme / R42 / SN-4711" in r and "heartbeats overdue" in r, r
        assert "rescue: session claimed: rescue script with a token for 127.0.0.2" in r, r
        assert "Power cycle" not in r  # no BMC, no power buttons
        submit(button("Normal"), "normal, set by admin tests")
        assert "normal ended (normal)" in row(), row()
        assert d.host(MAC)["policy"] == "normal"
        submit(button("Rescue once"), "rescue-once, session armed for 86400s, set by admin tests")
        assert d.host(MAC)["policy"] == "rescue-once"
        # a form with another token, as a page elsewhere would have to send it
        driver.execute_script("document.querySelectorAll('input[name=csrf]').forEach(i => i.value = 'f'.repeat(64))")
        body = submit(button("Normal"), "CSRF check")
        assert "the form's token is missing or wrong" in body
        assert d.host(MAC)["policy"] == "rescue-once"
    finally:
        driver.quit()


def sign_in(d, token):
    """A browser's login over HTTPS: the cookie header to send with it."""
    status, headers, _ = d.request("POST", "/login", body="token=" + urllib.parse.quote(token), tls=True,
                                   headers={"Content-Type": "application/x-www-form-urlencoded",
                                            "Origin": f"https://127.0.0.1:{d.tls_port}"})
    assert status == 303, status
    return {"Cookie": headers["Set-Cookie"].split(";")[0]}


def test_a_login_ends_when_its_token_is_revoked(lifeboatd):
    """A login made with an admin token that is then revoked stops working
    at the next request: no reading, no arming, no agent token."""
    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    mallory = d.ctl("admin-token", "add", "mallory").stdout.strip()
    jar = sign_in(d, mallory)
    own = {"Origin": f"https://127.0.0.1:{d.tls_port}", "Content-Type": "application/json"}
    status, _, body = d.request("GET", "/api/v1/hosts", headers=jar, tls=True)
    assert status == 200 and MAC.encode() in body
    d.ctl("admin-token", "revoke", "mallory")
    status, _, body = d.request("GET", "/api/v1/hosts", headers=jar, tls=True)
    assert status == 401 and MAC.encode() not in body
    before = d.host(MAC)
    for action in ("normal", "token", "forget"):
        status, _, _ = d.request("POST", f"/api/v1/hosts/{MAC}/{action}", body="{}", headers=dict(jar, **own),
                                 tls=True)
        assert status == 401, action
    after = d.host(MAC)
    assert after["policy"] == before["policy"] == "rescue" and after["session"] == before["session"]
    assert "mallory" not in d.ctl("events", MAC).stdout


def test_csrf_rules_for_a_signed_in_browser(lifeboatd):
    """What a page elsewhere can make a signed-in browser send is refused,
    and changes nothing: an empty form (no JSON type), a type that only
    starts like JSON, Origin: null (a no-referrer or sandboxed page), the
    boot server's own name on another port, a POST with neither Origin nor
    Referer, a Referer from elsewhere. The page's own origin with JSON works."""
    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    jar = sign_in(d, d.admin_token)
    own = f"https://127.0.0.1:{d.tls_port}"
    path = f"/api/v1/hosts/{MAC}/normal"
    cases = [
        ("", {"Origin": own}, 400, "must be application/json"),
        ("", {"Origin": own, "Content-Type": "application/x-www-form-urlencoded"}, 400, "must be application/json"),
        ("{}", {"Origin": own, "Content-Type": "application/jsonx"}, 400, "must be application/json"),
        ("{}", {"Origin": "null", "Content-Type": "application/json"}, 403, "Origin: null"),
        ("{}", {"Origin": f"https://127.0.0.1:{d.tls_port + 1}", "Content-Type": "application/json"}, 403,
         "another site"),
        ("{}", {"Origin": f"http://127.0.0.1:{d.tls_port}", "Content-Type": "application/json"}, 403,
         "another site"),
        ("{}", {"Content-Type": "application/json"}, 403, "without Origin"),
        ("{}", {"Referer": f"https://127.0.0.1:{d.tls_port + 1}/x", "Content-Type": "application/json"}, 403,
         "without Origin"),
        ("", {"Origin": "null"}, 403, "Origin: null"),
    ]
    for body, headers, want, text in cases:
        status, _, out = d.request("POST", path, body=body, headers=dict(jar, **headers), tls=True)
        assert status == want and text.encode() in out, (headers, status, out)
        assert d.host(MAC)["policy"] == "rescue", headers
    r = d.request("POST", "/logout", headers=dict(jar, Origin="null"), tls=True)
    assert r[0] == 403 and d.request("GET", "/", headers=jar, tls=True)[0] == 200  # not signed out by others
    # the page's own origin, or its Referer, with JSON: allowed
    status, _, _ = d.request("POST", path, body="{}", tls=True,
                             headers=dict(jar, Origin=own, **{"Content-Type": "application/json; charset=utf-8"}))
    assert status == 200 and d.host(MAC)["policy"] == "normal"
    status, _, _ = d.request("POST", f"/api/v1/hosts/{MAC}/rescue", body="{}", tls=True,
                             headers=dict(jar, Referer=own + "/", **{"Content-Type": "application/json"}))
    assert status == 200 and d.host(MAC)["policy"] == "rescue"
    # a Bearer client (curl, lifeboatctl) sends neither header and may send no body
    assert d.request("POST", path, admin=True, tls=True)[0] == 200


def test_csrf_pages_in_a_browser(lifeboatd, tmp_path):
    """The attack as a browser performs it: signed in, the admin opens a
    page on another port of the boot server's own name that auto-submits
    an empty form to the control API, once with no-referrer (Origin: null)
    and once without; the host is neither forgotten nor changed."""
    import http.server
    import ssl as _ssl
    import threading
    import time
    from selenium.webdriver.common.by import By

    d = lifeboatd(keys=KEYS, tls=True)
    with_host(d)
    pages = {
        "/noref.html": '<meta name="referrer" content="no-referrer"><form method="POST" '
                       f'action="https://127.0.0.1:{d.tls_port}/api/v1/hosts/{MAC}/forget"></form>'
                       "<script>document.forms[0].submit()</script>",
        "/plain.html": f'<form method="POST" action="https://127.0.0.1:{d.tls_port}/api/v1/hosts/{MAC}/normal">'
                       '<input name="x" value="y"></form><script>document.forms[0].submit()</script>',
    }

    class Attack(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path, "").encode()
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Attack)
    ctx = _ssl.SSLContext(_ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(d.ca / "server.crt"), str(d.ca / "server.key"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    driver = chromium(tmp_path)
    try:
        driver.get(f"https://127.0.0.1:{d.tls_port}/")
        driver.find_element(By.ID, "token").send_keys(d.admin_token)
        click_and_wait(driver, driver.find_element(By.CSS_SELECTOR, "button[type=submit]"), "Lifeboat hosts")
        for page, refused in (("/noref.html", "Origin: null"), ("/plain.html", "another site")):
            driver.get(f"https://127.0.0.1:{server.server_address[1]}{page}")
            deadline = time.monotonic() + 20
            while refused not in driver.find_element(By.TAG_NAME, "body").text:
                assert time.monotonic() < deadline, driver.page_source[:2000]
                time.sleep(0.2)
            h = d.host(MAC)
            assert h is not None and h["policy"] == "rescue", page
    finally:
        driver.quit()
        server.shutdown()
