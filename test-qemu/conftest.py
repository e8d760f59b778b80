import functools
import http.server
import os
import subprocess
import sys
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


class Postgres:
    """A real PostgreSQL server from Debian's postgresql package, in a
    temporary directory (initdb), on a free port of 127.0.0.1, run as the
    package's postgres user (initdb refuses root); stopped and removed at
    the end. One database per lifeboatd (or per shared group of them)."""

    def __init__(self, fsync=False):
        import glob
        import shutil
        import tempfile
        from lifeboat_vm import free_port
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            pytest.skip("the PostgreSQL tests need Debian's postgresql package (no "
                        "/usr/lib/postgresql/*/bin/initdb)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="lifeboat-pg.")
        self.port = free_port()
        self.user = []
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
            self.user = ["runuser", "-u", "postgres", "--"]
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.fsync = fsync
        self.run("initdb", "-D", self.data, "-U", "lifeboat", "--auth=trust", "-E", "UTF8", "--locale=C")
        self.start_server()
        import re
        self.version = re.search(r"\d+\.\d+", self.run("pg_ctl", "--version").stdout)[0]
        self.n = 0

    def run(self, prog, *args):
        r = subprocess.run([*self.user, os.path.join(self.bin, prog), *args], capture_output=True, text=True,
                           timeout=120)
        if r.returncode != 0:
            log = open(self.log).read() if os.path.exists(self.log) else ""
            raise AssertionError(f"{prog} {args}: {r.returncode} {r.stderr} {log[-2000:]}")
        return r

    def start_server(self):
        self.run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                 f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                 f"-c fsync={'on' if self.fsync else 'off'} -c max_connections=400", "start")

    def stop_server(self, mode="immediate"):
        self.run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def pids(self):
        """The postmaster and every process it started."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            main = int(f.readline())
        pids = [main]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as f:
                        if int(f.read().rsplit(")", 1)[1].split()[1]) == main:
                            pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    pass
        return pids

    def freeze(self):
        """Every PostgreSQL process stopped: its sockets stay open and the
        kernel still takes the bytes, nothing answers (what a partition that
        drops packets looks like to a client)."""
        import signal
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        import signal
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)

    def url(self, name):
        return f"postgresql://lifeboat@127.0.0.1:{self.port}/{name}"

    def new_database(self):
        import psycopg2
        self.n += 1
        name = f"lb{self.n}"
        c = psycopg2.connect(self.url("postgres"))
        c.autocommit = True
        c.cursor().execute(f"CREATE DATABASE {name}")
        c.close()
        return self.url(name)

    def stop(self):
        import shutil
        try:
            self.thaw()  # a test that failed while it was frozen
        except OSError:
            pass
        subprocess.run([*self.user, os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    pg = Postgres()
    yield pg
    pg.stop()


class StoreDB:
    """What a lifeboatd stored, read and written from the test (the database
    behind it: its SQLite file, or its PostgreSQL database)."""

    def __init__(self, url):
        self.url = url[len("sqlite:"):] if url.startswith("sqlite:") else url

    def connect(self):
        if self.url.startswith("postgresql://"):
            import psycopg2
            return psycopg2.connect(self.url)
        import sqlite3
        return sqlite3.connect(self.url, timeout=10, isolation_level=None)

    def _sql(self, sql):
        return sql if not self.url.startswith("postgresql://") else sql.replace("?", "%s")

    def rows(self, sql, *params):
        c = self.connect()
        try:
            cur = c.cursor()
            cur.execute(self._sql(sql), params)
            out = cur.fetchall() if cur.description else []
            c.commit()
            return out
        finally:
            c.close()

    def doc(self, mac):
        r = self.rows("SELECT doc FROM hosts WHERE mac = ?", mac)
        return r[0][0] if r else None

    def put_doc(self, mac, text):
        """A document as an older lifeboatd or a hand edit left it (with a new
        version from the counter, as every writer takes one)."""
        c = self.connect()
        try:
            cur = c.cursor()
            if not self.url.startswith("postgresql://"):
                cur.execute("BEGIN IMMEDIATE")
            cur.execute("UPDATE counters SET value = value + 1 WHERE name = 'host_version'")
            cur.execute(self._sql("INSERT INTO hosts (mac, doc, version, updated) VALUES (?, ?, "
                                  "(SELECT value FROM counters WHERE name = 'host_version'), 0) "
                                  "ON CONFLICT (mac) DO UPDATE SET doc = excluded.doc, version = excluded.version"),
                        (mac, text))
            cur.execute("COMMIT") if not self.url.startswith("postgresql://") else c.commit()
        finally:
            c.close()

    def dump(self):
        """Every row of every table, as text (what a database dump shows)."""
        tables = ("hosts", "tokens", "pending", "events", "seen", "bmc", "admin_tokens", "meta")
        return "\n".join(repr(row) for t in tables for row in self.rows(f"SELECT * FROM {t}"))

    def refuse_writes(self, why="writes refused by the test"):
        """The database fails every change of a host from now on."""
        if self.url.startswith("postgresql://"):
            self.rows("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                      f"$$BEGIN RAISE EXCEPTION '{why}'; END$$")
            self.rows("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE OR DELETE ON hosts "
                      "FOR EACH ROW EXECUTE FUNCTION refuse()")
        else:
            for op in ("INSERT", "UPDATE", "DELETE"):
                self.rows(f"CREATE TRIGGER refuse_{op.lower()} BEFORE {op} ON hosts "
                          f"BEGIN SELECT RAISE(ABORT, '{why}'); END")

    def hold_write_lock(self):
        """Another writer's transaction, held until the returned connection
        is closed (or rolled back)."""
        c = self.connect()
        if self.url.startswith("postgresql://"):
            c.cursor().execute("SELECT pg_advisory_xact_lock(19522)")
        else:
            c.execute("BEGIN IMMEDIATE")
        return c


# common/wire.h LB_PHASES_SSH_UP
SSH_UP = ("ssh-ready", "tools-ready", "tools-failed")


class Lifeboatd:
    """A real lifeboatd on 127.0.0.1 with its own state directory."""

    def __init__(self, out_dir, tmp_path, keys="", nat=False, default_policy="normal", payload_dir=None,
                 extra=(), binary=None, port=None, tls=False, database=None):
        from lifeboat_vm import free_port
        self.port = port or free_port()
        self.netconsole_port = free_port()  # UDP; the default (6666) would be shared by every lifeboatd here
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
                     "--kernel-args", "console=ttyS0,115200n8 panic=-1 random.trust_cpu=on",
                     "--netconsole-port", str(self.netconsole_port), *extra]
        # "" (the default): SQLite in the state directory
        self.database = database or ""
        if self.database:
            self.args += ["--database", self.database]
        self.db = StoreDB(self.database or str(self.state / "lifeboat.db"))
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
            # an argument may name the HTTPS port, chosen only now
            self.args = [a.replace("@TLSPORT@", str(self.tls_port)) for a in self.args]
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
                    r = self.ctl("admin-token", "add", "tests", check=False)
                    if "has an admin token already" in r.stderr:  # a second lifeboatd on one database
                        r = self.ctl("admin-token", "add", f"tests-{self.port}")
                    assert r.returncode == 0, r.stderr
                    self.admin_token = r.stdout.strip()
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
        r = subprocess.run([self.ctl_bin, "--state-dir", str(self.state), *self.ctl_database(), *args],
                           capture_output=True, text=True, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"lifeboatctl {args}: {r.returncode} {r.stderr}")
        return r

    def ctl_database(self):
        return ["--database", self.database] if self.database else []

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
def db_backend(request):
    """The store's back end for this test's lifeboatd: sqlite, or both for
    the modules marked `backends` (pytest_generate_tests)."""
    return getattr(request, "param", "sqlite")


def pytest_generate_tests(metafunc):
    if "db_backend" not in metafunc.fixturenames:
        return
    if metafunc.definition.get_closest_marker("postgresql_only"):
        metafunc.parametrize("db_backend", ["postgresql"], indirect=True)
    elif metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("db_backend", ["sqlite", "postgresql"], indirect=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run with every store back end (SQLite and PostgreSQL)")
    config.addinivalue_line("markers", "postgresql_only: run with the PostgreSQL back end only")


@pytest.fixture
def lifeboatd(out_dir, tmp_path, db_backend, request):
    made = []

    def make(start=True, **kw):
        if db_backend == "postgresql" and "database" not in kw:
            kw["database"] = request.getfixturevalue("postgres").new_database()
        d = Lifeboatd(out_dir, tmp_path / f"lifeboatd{len(made)}", **kw)
        made.append(d)
        return d.start() if start else d

    yield make
    for d in made:
        d.stop()


# ---- no process outlives the run -------------------------------------------------------------
# What the tests start (lifeboatd, lifeboatctl, dnsmasq, QEMU, ipmi_sim,
# ipmitool, PostgreSQL, Chromium, the fake serial port) must
# be gone when the run ends: a leftover is named, killed, and fails the run,
# so a test that forgets one is found the day it is written, not on a CI
# machine an hour later.
GUARDED = ("lifeboatd", "lifeboatctl", "dnsmasq", "qemu-system-x86_64", "qemu-system-aarch64", "ipmi_sim",
           "ipmitool", "postgres", "chromedriver", "chromium", "chrome")
# the tests' own servers, run by python3: known by their script
GUARDED_SCRIPTS = ("fake_serial.py", "redfish_bmc.py")
# Every process this run starts inherits this mark in its environment; a
# guarded process without it is someone else's (another run of the tests on
# the same machine, a system PostgreSQL) and is never touched.
RUN_MARK = "LIFEBOAT_TEST_RUN"


def _ours(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            env = f.read().split(b"\0")
    except OSError:
        return False
    return f"{RUN_MARK}={os.environ.get(RUN_MARK, '')}".encode() in env


def _guarded_processes():
    """{pid: name} of the guarded programs this run started, running now."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        if name.startswith("python"):
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
            except OSError:
                continue
            script = next((a.decode() for a in argv[1:3] if os.path.basename(a.decode(errors="replace"))
                           in GUARDED_SCRIPTS), None)
            if script and _ours(int(entry)):
                found[int(entry)] = os.path.basename(script)
        elif (name in GUARDED or name.startswith("lifeboatd")) and _ours(int(entry)):
            found[int(entry)] = name
    return found


def pytest_sessionstart(session):
    import secrets
    os.environ[RUN_MARK] = f"{os.getpid()}-{secrets.token_hex(8)}"


def pytest_sessionfinish(session, exitstatus):
    import signal
    import time
    deadline = time.monotonic() + 10  # what a finalizer stopped may still be exiting
    left = {}
    while time.monotonic() < deadline:
        left = _guarded_processes()
        if not left:
            return
        time.sleep(0.5)
    for pid, name in sorted(left.items()):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            cmd = name
        print(f"\nlifeboat: the tests left {name} (pid {pid}) running: {cmd[:300]}", file=sys.stderr)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    session.exitstatus = 1
