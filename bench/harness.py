"""What the benchmarks share: starting the release server on a fresh database,
calling its server functions as the signed-in demo rep, reading its memory."""

import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import time
import urllib.parse

DEMO_PASSWORD = "bench password 1"
DEMO_TITLE = "Demo recording: product walkthrough"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def raise_open_files_limit():
    """A thousand connections need more descriptors than the usual 1024, in
    this process and in the servers and load tools it starts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def proc_status(pid):
    """The fields of /proc/PID/status, as text."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            fields[key] = value
    return fields


def kib(fields, *keys):
    return tuple(int(fields[key].split()[0]) for key in keys)


def memory_kib(pid):
    """Resident set size now, and its peak so far (VmRSS, VmHWM), in KiB."""
    return kib(proc_status(pid), "VmRSS", "VmHWM")


def rss_parts_kib(pid):
    """Resident memory now by kind (RssAnon: the heap and stacks; RssFile:
    mapped files such as the binary and media pages), in KiB."""
    return kib(proc_status(pid), "RssAnon", "RssFile")


def server_env(data, port, extra=None):
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite://{data}/share.db",
        "MEDIA_DIR": f"{data}/media",
        "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
        "LEPTOS_SITE_ROOT": os.path.join(ROOT, "target", "site"),
        "LEPTOS_ENV": "PROD",
        "DEMO_MODE": "true",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "RUST_LOG": "warn",
        # The fan-out shares to a thousand people at once.
        "MAX_RECIPIENTS": "100000",
    }
    env.update(extra or {})
    return env


class Server:
    """The release server on a fresh SQLite database in `data`, in demo mode."""

    def __init__(self, binary, data, extra_env=None):
        self.binary = binary
        self.data = data
        self.port = free_port()
        self.env = server_env(data, self.port, extra_env)
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [self.binary], env=self.env, cwd=self.data,
            stdout=subprocess.DEVNULL, stderr=open(f"{self.data}/server.log", "w"))
        wait_for_port(self.port)
        return self

    def __exit__(self, kind, *_):
        self.process.terminate()
        self.process.wait()
        if kind is not None:
            # The data folder goes with the run: say what the server said.
            with open(f"{self.data}/server.log") as log:
                tail = log.readlines()[-20:]
            print("the server's last words:\n" + "".join(tail), file=sys.stderr)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def run_cli(self, *args, stdin=None):
        """Runs `server ARGS…` on the same database and media folder."""
        return subprocess.run([self.binary, *args], env=self.env, cwd=self.data, input=stdin,
                              check=True, capture_output=True, text=True).stdout

    def memory_kib(self):
        return memory_kib(self.process.pid)


class Api:
    """The app's server functions, called as the signed-in demo rep."""

    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        form = urllib.parse.urlencode({"email": "demo@example.com", "password": DEMO_PASSWORD})
        self.conn.request("POST", "/api/auth/signin", form, {
            "content-type": "application/x-www-form-urlencoded", "accept": "text/html"})
        response = self.conn.getresponse()
        response.read()
        cookie = response.getheader("set-cookie") or ""
        if response.status != 302 or not cookie.startswith("session="):
            sys.exit(f"signing in answered {response.status}")
        self.cookie = cookie.split(";")[0]

    def call(self, endpoint, body):
        self.conn.request("POST", f"/api/{endpoint}", json.dumps(body),
                          {"content-type": "application/json", "cookie": self.cookie})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            sys.exit(f"{endpoint} answered {response.status}: {data[:300]!r}")
        return json.loads(data)

    def form(self, endpoint, fields):
        """A server function that takes form encoding (the recordings' ones)."""
        self.conn.request("POST", f"/api/{endpoint}", urllib.parse.urlencode(fields),
                          {"content-type": "application/x-www-form-urlencoded",
                           "cookie": self.cookie})
        response = self.conn.getresponse()
        data = response.read()
        if response.status != 200:
            sys.exit(f"{endpoint} answered {response.status}: {data[:300]!r}")
        return json.loads(data)

    def recordings(self, search=""):
        """The first page of the rep's recordings (with `search`, those with it)."""
        return self.form("recordings/list", {"search": search})["items"]

    def recording_id(self, title):
        return next(r["id"] for r in self.recordings(title) if r["title"] == title)

    def recording(self, recording_id):
        """The recording as the rep's pages get it (a form post: the
        recordings' server functions take URL-encoded input)."""
        return self.form("recordings/get", {"id": recording_id})

    def wait_processed(self, recording_id, timeout=3600, previews=False):
        """Waits until the recording is ready (and has its timeline previews,
        with `previews`); fails the run if processing failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            recording = self.recording(recording_id)
            state = recording["state"]
            if state == "Ready" and (not previews or recording["previews"] is not None):
                return recording
            if isinstance(state, dict) and "Failed" in state:
                sys.exit(f"recording {recording_id} failed: {state['Failed']['reason']}")
            time.sleep(0.1)
        sys.exit(f"recording {recording_id} was not processed in {timeout} s")

    def wait_all_processed(self):
        for recording in self.recordings():
            self.wait_processed(recording["id"], previews=True)

    def share_link(self, recording_id, comments=0):
        """A share of the recording with `comments` timestamped comments and
        one recipient; returns the recipient's link path (`/l/{code}`)."""
        share = self.call("share/open", {"recording_id": recording_id, "browser_time_zone": "UTC"})
        for n in range(comments):
            self.call("share/comment/add", {
                "share_id": share["id"],
                "body": f"Comment {n + 1}: the part about pricing and the rollout plan.",
                "at_ms": n * 1000})
        self.call("share/recipient/add", {
            "share_id": share["id"], "name": "Pat Recipient", "email": "pat@example.com"})
        share = self.call("share/links", {"share_id": share["id"]})
        link = share["recipients"][-1]["link"]
        return "/l/" + link.rsplit("/", 1)[1]
