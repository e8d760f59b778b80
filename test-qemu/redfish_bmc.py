"""A Redfish BMC emulator for the tests, written for this project: Debian
has Redfish clients (redfishtool, python3-sushy) but no BMC emulator, and
no real BMC is at hand. It serves the standard resources of one
ComputerSystem and one Manager over self-signed HTTPS and drives a QEMU VM:

  ServiceRoot, Systems/1 (PowerState from the VM, Boot with its override,
  Actions #ComputerSystem.Reset with AllowableValues), Managers/1 with
  VirtualMedia/Cd (InsertMedia, EjectMedia), SessionService/Sessions
  (X-Auth-Token, DELETE), Basic auth, ETags with 412 on a stale If-Match,
  202 task monitors for resets, @Message.ExtendedInfo errors.

Virtual media as a BMC has it: InsertMedia fetches the Image URL the way
iDRAC and iLO read it (HEAD, then 1 MiB Range requests, the certificate
not checked), refused when the URL does not answer; the VM's CD is that
file until EjectMedia (QMP eject when it runs).

The VM: power on starts QEMU from its command line (with `-boot once=n`
when a Pxe override is pending, `-boot once=c` for Hdd, `once=d` for Cd,
and the virtual CD as its IDE CD-ROM while one is inserted), off kills it
(ForceOff) or asks QMP for system_powerdown (GracefulShutdown), a restart
is QMP's system_reset; without a command line the power is simulated.

Quirk modes (mode=...), matching the driver's quirk table and the
behaviours it has for every BMC (server/power/redfish.c):
  generic      none
  hpe          Vendor "HPE": a boot override within 5 s of power on is
               refused with UnableToModifyDuringSystemPOST (iLO)
  supermicro   Vendor "Supermicro": a boot override without
               BootSourceOverrideEnabled is refused; InsertMedia with
               Inserted or WriteProtected is refused; the virtual CD is
               the override target UsbCd (Cd is the physical drive)
  dell         Vendor "Dell": the override only on the system's
               @Redfish.Settings object (iDRAC 10)
  weaketag     every If-Match is refused with 412, even the BMC's own
               (newer Lenovo XCC, some AMI)
  nosessions   no SessionService: Basic auth only
and failure modes for the error tests: `fail500` (every system request
500), `slowtask` (a reset's task never finishes); and hostile answers a
client must survive: `badtypes` (AllowableValues a string, not an
array), `nulltypes` (an array with null and a number among the names),
`badpath` (the Systems member points at another host: "@host:port/..."),
`badetag` (@odata.etag with CR/LF in it, no ETag header); `nomedia` (no
virtual CD in the manager's VirtualMedia); `multi` (two systems: the
host's, by the MAC of one of its EthernetInterfaces, and another);
`offon` (resets On and ForceOff only: a cycle is both)."""

import base64
import hashlib
import http.server
import json
import os
import secrets
import shlex
import signal
import socket
import ssl
import subprocess
import threading
import time

SYSTEM = "/redfish/v1/Systems/1"
MANAGER = "/redfish/v1/Managers/1"
CD = MANAGER + "/VirtualMedia/Cd"
RESET_TYPES = ["On", "ForceOff", "GracefulShutdown", "ForceRestart", "PowerCycle", "Nmi"]
VENDORS = {"dell": "Dell", "hpe": "HPE", "supermicro": "Supermicro"}
SETTINGS = SYSTEM + "/Settings"
OTHER = "/redfish/v1/Systems/2"  # multi: a second system, not the host
NICS = SYSTEM + "/EthernetInterfaces"
HOST_MAC = "52:54:00:12:34:56"


def message(msg_id, text):
    return {"error": {"code": "Base.1.8.GeneralError", "message": text,
                      "@Message.ExtendedInfo": [{"MessageId": msg_id, "Message": text, "Severity": "Critical"}]}}


class VM:
    """The machine behind the BMC: a QEMU process, or a simulated power."""

    def __init__(self, qemu_cmd=None, log=None):
        self.cmd, self.log = qemu_cmd, log
        self.proc, self.sim_on, self.started = None, False, 0.0
        self.qmp_path = None
        self.lock = threading.Lock()
        self.boot_once = None  # "n", "c" or "d" at the next start
        self.cdrom = None  # the virtual CD's file while inserted

    def on(self):
        if self.cmd is None:
            return self.sim_on
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        if self.on():
            return
        self.started = time.monotonic()
        if self.cmd is None:
            self.sim_on = True
            return
        self.qmp_path = f"/tmp/lifeboat-rf-qmp.{os.getpid()}.{secrets.token_hex(4)}"
        args = list(self.cmd) + ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        if self.boot_once:
            args += ["-boot", f"once={self.boot_once}"]
        if self.cdrom:
            args += ["-drive", f"file={self.cdrom},format=raw,media=cdrom,if=ide,index=2,readonly=on"]
        self.boot_once = None
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)

    def stop(self):
        if self.cmd is None:
            self.sim_on = False
            return
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def qmp(self, command, arguments=None):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(self.qmp_path)
        f = s.makefile("rw")
        f.readline()  # greeting
        for c, a in (("qmp_capabilities", None), (command, arguments)):
            f.write(json.dumps({"execute": c, **({"arguments": a} if a else {})}) + "\n")
            f.flush()
            while "return" not in (line := json.loads(f.readline())) and "error" not in line:
                pass
        s.close()

    def eject(self):
        with self.lock:
            if self.cdrom and self.cmd is not None and self.on():
                self.qmp("eject", {"device": "ide1-cd0", "force": True})
            self.cdrom = None

    def reset(self, kind):
        with self.lock:
            if kind in ("On", "ForceOn"):
                self.start()
            elif kind == "ForceOff":
                self.stop()
            elif kind == "GracefulShutdown":
                if self.cmd is None:
                    self.stop()
                elif self.on():
                    self.qmp("system_powerdown")
            elif kind in ("ForceRestart", "GracefulRestart"):
                if self.cmd is None or not self.on():
                    self.stop()
                    self.start()
                else:
                    self.qmp("system_reset")
            elif kind == "PowerCycle":
                self.stop()
                self.start()


class Emulator:
    """The BMC on 127.0.0.1:port (HTTPS with cert/key), user and password
    as given, one VM."""

    def __init__(self, cert, key, user, password, vm, mode="generic", port=0):
        self.user, self.password, self.vm, self.mode = user, password, vm, mode
        self.sessions = {}
        self.tasks = {}
        self.elsewhere = "127.0.0.2:9"  # badpath: where the Systems member points
        self.log = []  # (method, path, headers that matter)
        self.boot = {"BootSourceOverrideEnabled": "Disabled", "BootSourceOverrideTarget": "None",
                     "BootSourceOverrideMode": "Legacy"}
        self.media = {"Image": None, "Inserted": False, "WriteProtected": True, "ConnectedVia": "NotConnected"}
        self.fetches = []  # (method, Range, status) of each request for an Image
        self.media_dir = None
        self.lock = threading.Lock()
        emu = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                pass

            def do_GET(self):
                emu.handle(self, "GET")

            def do_POST(self):
                emu.handle(self, "POST")

            def do_PATCH(self):
                emu.handle(self, "PATCH")

            def do_DELETE(self):
                emu.handle(self, "DELETE")

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        import shutil
        self.httpd.shutdown()
        self.httpd.server_close()
        self.vm.stop()
        if self.media_dir:
            shutil.rmtree(self.media_dir, ignore_errors=True)

    # ---- resources -------------------------------------------------------------------------
    def system(self):
        return {
            "@odata.id": SYSTEM, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem", "Id": "1",
            "Name": "Lifeboat test VM", "Manufacturer": "QEMU", "Model": "Standard PC",
            "SerialNumber": "LB-TEST-1", "UUID": "a1234567-89ab-cdef-a123-456789abcdef",
            "PowerState": "On" if self.vm.on() else "Off",
            "Status": {"State": "Enabled", "Health": "OK"},
            "Boot": dict(self.boot, **{"BootSourceOverrideTarget@Redfish.AllowableValues":
                                       ["None", "Pxe", "Cd", "Hdd", "UefiHttp"] +
                                       (["UsbCd"] if self.mode == "supermicro" else [])}),
            "Actions": {"#ComputerSystem.Reset": {
                "target": SYSTEM + "/Actions/ComputerSystem.Reset",
                "ResetType@Redfish.AllowableValues": {"badtypes": "On", "nulltypes": [None, 5, *RESET_TYPES],
                                                      "offon": ["On", "ForceOff"]}.get(
                    self.mode, RESET_TYPES)}},
            **({"@odata.etag": 'W/"x"\r\nX-Injected: 1'} if self.mode == "badetag" else {}),
            "Links": {"ManagedBy": [{"@odata.id": MANAGER}]},
            "EthernetInterfaces": {"@odata.id": NICS},
            **({"@Redfish.Settings": {"SettingsObject": {"@odata.id": SETTINGS}}} if self.mode == "dell" else {}),
        }

    def etag(self, path=SYSTEM):
        """Each resource its own (the settings object's is not the system's)."""
        state = json.dumps([path, self.boot], sort_keys=True).encode()
        return 'W/"%s"' % hashlib.sha256(state).hexdigest()[:16]

    def root(self):
        r = {"@odata.id": "/redfish/v1/", "@odata.type": "#ServiceRoot.v1_11_0.ServiceRoot", "Id": "RootService",
             "Name": "Root Service", "RedfishVersion": "1.11.0", "UUID": "b1234567-89ab-cdef-a123-456789abcdef",
             "Vendor": VENDORS.get(self.mode, "Lifeboat emulator"),
             "Systems": {"@odata.id": "/redfish/v1/Systems"}, "Managers": {"@odata.id": "/redfish/v1/Managers"},
             "Links": {}}
        if self.mode != "nosessions":
            r["SessionService"] = {"@odata.id": "/redfish/v1/SessionService"}
            r["Links"]["Sessions"] = {"@odata.id": "/redfish/v1/SessionService/Sessions"}
        return r

    def collection(self, path, members, kind):
        return {"@odata.id": path, "@odata.type": f"#{kind}Collection.{kind}Collection", "Name": kind,
                "Members@odata.count": len(members), "Members": [{"@odata.id": m} for m in members]}

    def resource(self, path):
        p = path.rstrip("/") or "/"
        table = {
            "/redfish": lambda: {"v1": "/redfish/v1/"},
            "/redfish/v1": self.root,
            "/redfish/v1/Systems": lambda: self.collection(
                "/redfish/v1/Systems", [OTHER, SYSTEM] if self.mode == "multi" else
                [f"@{self.elsewhere}{SYSTEM}" if self.mode == "badpath" else SYSTEM], "ComputerSystem"),
            OTHER: lambda: {"@odata.id": OTHER, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem", "Id": "2",
                            "SerialNumber": "LB-OTHER", "PowerState": "Off"} if self.mode == "multi" else None,
            NICS: lambda: self.collection(NICS, [NICS + "/nic0"], "EthernetInterface"),
            NICS + "/nic0": lambda: {"@odata.id": NICS + "/nic0", "@odata.type": "#EthernetInterface.v1_6_0.EthernetInterface",
                                     "Id": "nic0", "MACAddress": HOST_MAC.upper()},
            SYSTEM: self.system,
            SETTINGS: lambda: {"@odata.id": SETTINGS, "Boot": dict(self.boot)} if self.mode == "dell" else None,
            "/redfish/v1/Managers": lambda: self.collection("/redfish/v1/Managers", [MANAGER], "Manager"),
            MANAGER: lambda: {"@odata.id": MANAGER, "@odata.type": "#Manager.v1_10_0.Manager", "Id": "1",
                              "Name": "Manager", "ManagerType": "BMC",
                              "VirtualMedia": {"@odata.id": MANAGER + "/VirtualMedia"},
                              "Links": {"ManagerForServers": [{"@odata.id": SYSTEM}]}},
            MANAGER + "/VirtualMedia": lambda: self.collection(
                MANAGER + "/VirtualMedia", [] if self.mode == "nomedia" else [CD], "VirtualMedia"),
            CD: lambda: dict(self.media, **{
                "@odata.id": CD, "@odata.type": "#VirtualMedia.v1_3_0.VirtualMedia", "Id": "Cd", "Name": "Cd",
                "MediaTypes": ["CD", "DVD"],
                "Actions": {"#VirtualMedia.InsertMedia": {"target": CD + "/Actions/VirtualMedia.InsertMedia"},
                            "#VirtualMedia.EjectMedia": {"target": CD + "/Actions/VirtualMedia.EjectMedia"}}}),
            "/redfish/v1/SessionService": lambda: {
                "@odata.id": "/redfish/v1/SessionService", "@odata.type": "#SessionService.v1_1_8.SessionService",
                "Id": "SessionService", "Name": "Session Service", "ServiceEnabled": True, "SessionTimeout": 600,
                "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
            "/redfish/v1/SessionService/Sessions": lambda: self.collection(
                "/redfish/v1/SessionService/Sessions",
                [f"/redfish/v1/SessionService/Sessions/{i}" for i in self.sessions.values()], "Session"),
        }
        f = table.get(p)
        return f() if f is not None else None

    # ---- requests ----------------------------------------------------------------------------
    def reply(self, h, status, body=None, headers=None):
        data = json.dumps(body).encode() if body is not None else b""
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if body is not None:
            h.send_header("Content-Type", "application/json")
        h.send_header("OData-Version", "4.0")
        h.send_header("Content-Length", str(len(data)))
        h.send_header("Connection", "close")  # one request per connection: no keep-alive races
        h.close_connection = True
        h.end_headers()
        h.wfile.write(data)

    def authorized(self, h):
        token = h.headers.get("X-Auth-Token")
        if token and token in self.sessions:
            return True
        auth = h.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            except ValueError:
                return False
            return secrets.compare_digest(user, self.user) and secrets.compare_digest(pw, self.password)
        return False

    def handle(self, h, method):
        path = h.path.split("?")[0]
        n = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(n) if n else b""
        auth = "token" if h.headers.get("X-Auth-Token") else "basic" if h.headers.get("Authorization") else None
        with self.lock:
            self.log.append((method, path, {"If-Match": h.headers.get("If-Match"), "auth": auth,
                                            "Accept-Encoding": h.headers.get("Accept-Encoding"),
                                            "Content-Type": h.headers.get("Content-Type"),
                                            "X-Injected": h.headers.get("X-Injected")}))
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return self.reply(h, 400, message("Base.1.8.MalformedJSON", "The request body is not JSON."))
        if self.mode == "nosessions" and path.startswith("/redfish/v1/SessionService"):
            return self.reply(h, 404, message("Base.1.8.ResourceMissingAtURI", f"{path} does not exist."))
        if method == "POST" and path.rstrip("/") == "/redfish/v1/SessionService/Sessions":
            return self.login(h, body)
        if path.rstrip("/") in ("/redfish", "/redfish/v1"):
            return self.reply(h, 200, self.resource(path))  # the service root needs no login
        if not self.authorized(h):
            return self.reply(h, 401, message("Base.1.8.InsufficientPrivilege", "Authentication required."),
                              {"WWW-Authenticate": 'Basic realm="BMC"'})
        if self.mode == "fail500" and path.startswith(SYSTEM):
            return self.reply(h, 500, message("Base.1.8.InternalError", "The BMC had an internal error."))
        if method == "DELETE" and path.startswith("/redfish/v1/SessionService/Sessions/"):
            sid = path.rsplit("/", 1)[1]
            for t, i in list(self.sessions.items()):
                if i == sid:
                    del self.sessions[t]
                    return self.reply(h, 204)
            return self.reply(h, 404, message("Base.1.8.ResourceMissingAtURI", "No such session."))
        if method == "GET" and path.startswith("/redfish/v1/TaskService/TaskMonitors/"):
            return self.task(h, path.rsplit("/", 1)[1])
        if method == "GET":
            r = self.resource(path)
            if r is None:
                return self.reply(h, 404, message("Base.1.8.ResourceMissingAtURI", f"{path} does not exist."))
            etag = path.rstrip("/") in (SYSTEM, SETTINGS) and self.mode != "badetag"
            return self.reply(h, 200, r, {"ETag": self.etag(path.rstrip("/"))} if etag else None)
        if method == "PATCH" and path.rstrip("/") == (SETTINGS if self.mode == "dell" else SYSTEM):
            return self.patch_system(h, body, path.rstrip("/"))
        if method == "POST" and path == SYSTEM + "/Actions/ComputerSystem.Reset":
            return self.reset(h, body)
        if method == "POST" and path == CD + "/Actions/VirtualMedia.InsertMedia":
            return self.insert_media(h, body)
        if method == "POST" and path == CD + "/Actions/VirtualMedia.EjectMedia":
            self.vm.eject()
            self.media.update(Image=None, Inserted=False, ConnectedVia="NotConnected")
            return self.reply(h, 204)
        return self.reply(h, 405, message("Base.1.8.OperationNotAllowed", f"{method} {path} is not allowed."))

    def insert_media(self, h, body):
        image = body.get("Image")
        if not isinstance(image, str) or not image.startswith(("http://", "https://")):
            return self.reply(h, 400, message("Base.1.8.PropertyValueFormatError", "Image is not an HTTP(S) URL."))
        if self.mode == "supermicro" and ("Inserted" in body or "WriteProtected" in body):
            return self.reply(h, 400, message("Base.1.8.ActionParameterUnknown",
                                              "Inserted/WriteProtected are not parameters of InsertMedia."))
        if self.media["Inserted"]:
            return self.reply(h, 409, message("Base.1.8.ResourceInUse", "Eject the inserted media first."))
        try:
            path = self.fetch_image(image)
        except (OSError, ValueError) as e:
            return self.reply(h, 400, message("Base.1.8.ResourceAtUriUnauthorized" if "403" in str(e) else
                                              "Base.1.8.CouldNotEstablishConnection", f"Cannot read {image}: {e}"))
        self.vm.cdrom = path
        self.media.update(Image=image, Inserted=True, WriteProtected=True, ConnectedVia="URI")
        return self.reply(h, 204)

    def fetch_image(self, url):
        """As a BMC reads it: HEAD for the size, then 1 MiB ranges."""
        import tempfile
        import urllib.request
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                             urllib.request.ProxyHandler({}))
        with opener.open(urllib.request.Request(url, method="HEAD"), timeout=10) as r:
            self.fetches.append(("HEAD", None, r.status))
            size = int(r.headers["Content-Length"])
        if self.media_dir is None:
            self.media_dir = tempfile.mkdtemp(prefix="lifeboat-rf-media.")
        path = os.path.join(self.media_dir, "cd.iso")
        with open(path + ".tmp", "wb") as out:
            for start in range(0, size, 1 << 20):
                want = f"bytes={start}-{min(start + (1 << 20), size) - 1}"
                with opener.open(urllib.request.Request(url, headers={"Range": want}), timeout=10) as r:
                    self.fetches.append(("GET", want, r.status))
                    if r.status != 206:
                        raise ValueError(f"{want}: HTTP {r.status}, not 206")
                    out.write(r.read())
        os.replace(path + ".tmp", path)
        return path

    def login(self, h, body):
        if not (secrets.compare_digest(str(body.get("UserName", "")), self.user) and
                secrets.compare_digest(str(body.get("Password", "")), self.password)):
            return self.reply(h, 401, message("Base.1.8.NoValidSession", "Invalid username or password."))
        token, sid = secrets.token_hex(16), str(len(self.sessions) + 1 + secrets.randbelow(1000))
        self.sessions[token] = sid
        path = f"/redfish/v1/SessionService/Sessions/{sid}"
        return self.reply(h, 201, {"@odata.id": path, "Id": sid, "UserName": self.user},
                          {"X-Auth-Token": token, "Location": path})

    def patch_system(self, h, body, path):
        want = h.headers.get("If-Match")
        if want and (self.mode == "weaketag" or want != self.etag(path)):
            return self.reply(h, 412, message("Base.1.8.PreconditionFailed", "The ETag does not match."))
        boot = body.get("Boot")
        if not isinstance(boot, dict):
            return self.reply(h, 400, message("Base.1.8.PropertyMissing", "Boot is required."))
        if boot.get("BootSourceOverrideTarget") not in (None, "None", "Pxe", "Cd", "Hdd", "UefiHttp") and not (
                self.mode == "supermicro" and boot.get("BootSourceOverrideTarget") == "UsbCd"):
            return self.reply(h, 400, message("Base.1.8.PropertyValueNotInList", "Not a boot source."))
        if self.mode == "supermicro" and "BootSourceOverrideEnabled" not in boot:
            return self.reply(h, 400, message("Base.1.8.PropertyMissing",
                                              "BootSourceOverrideEnabled is required with the target."))
        if self.mode == "hpe" and self.vm.on() and time.monotonic() - self.vm.started < 5:
            return self.reply(h, 400, message("iLO.2.14.UnableToModifyDuringSystemPOST",
                                              "The value cannot be changed while the system is in POST."))
        self.boot.update({k: v for k, v in boot.items() if k in self.boot})
        if self.boot["BootSourceOverrideEnabled"] in ("Once", "Continuous"):
            # a Supermicro's Cd is its physical drive (none here): only UsbCd is the virtual one
            self.vm.boot_once = {"Pxe": "n", "Hdd": "c", "Cd": None if self.mode == "supermicro" else "d",
                                 "UsbCd": "d"}.get(self.boot["BootSourceOverrideTarget"])
        return self.reply(h, 204)

    def reset(self, h, body):
        kind = body.get("ResetType")
        if kind not in RESET_TYPES or (self.mode == "offon" and kind not in ("On", "ForceOff")):
            return self.reply(h, 400, message("Base.1.8.ActionParameterValueNotInList",
                                              f"ResetType {kind} is not allowed."))
        tid = str(len(self.tasks) + 1)
        self.tasks[tid] = {"kind": kind, "polls": 0}
        if self.mode == "slowtask":
            return self.reply(h, 202, None, {"Location": f"/redfish/v1/TaskService/TaskMonitors/{tid}"})
        self.vm.reset(kind)
        if self.boot["BootSourceOverrideEnabled"] == "Once" and kind in ("On", "ForceOn", "PowerCycle",
                                                                           "ForceRestart"):
            self.boot["BootSourceOverrideEnabled"] = "Disabled"
        # the task is done after two polls: the client must follow it
        return self.reply(h, 202, None, {"Location": f"/redfish/v1/TaskService/TaskMonitors/{tid}"})

    def task(self, h, tid):
        t = self.tasks.get(tid)
        if t is None:
            return self.reply(h, 404, message("Base.1.8.ResourceMissingAtURI", "No such task."))
        t["polls"] += 1
        if self.mode == "slowtask" or t["polls"] < 2:
            return self.reply(h, 202, None, {"Location": f"/redfish/v1/TaskService/TaskMonitors/{tid}"})
        return self.reply(h, 200, {"@odata.type": "#Task.v1_4_3.Task", "Id": tid, "TaskState": "Completed",
                                   "TaskStatus": "OK"})


def vm_command(vm):
    """A lifeboat_vm.VM's QEMU command line with its console appended to
    its log (the emulator starts it again at each power on)."""
    cmd = list(vm.cmd)
    i = cmd.index("-serial")
    cmd[i:i + 2] = ["-chardev", f"file,id=con,path={vm.log_path},append=on", "-serial", "chardev:con"]
    return cmd, " ".join(shlex.quote(a) for a in cmd)


def stop_all(emulators):
    for e in emulators:
        try:
            e.stop()
        except OSError:
            pass
    signal.getsignal(signal.SIGTERM)
