"""Mail fan-out: one share to N recipients, delivered by our worker to a local
SMTP sink (Postfix's smtp-sink), beside Postfix's smtp-source sending N
messages to the same sink in the same run. Prints emails/s for both and the
ratio (ours / smtp-source).

    python3 bench/mail_fanout.py SERVER_BINARY [--count 1000] [--runs 3]
"""

import argparse
import http.client
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

SESSIONS = 8  # the worker's concurrency, and smtp-source's parallel sessions
MESSAGE_BYTES = 4000  # about the size of our share email (HTML + text)


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


def start_sink(port, count_file):
    command = ["smtp-sink", "-c"]
    if os.geteuid() == 0:
        command += ["-u", "nobody"]
    command += [f"127.0.0.1:{port}", "1000"]
    sink = subprocess.Popen(command, stdout=open(count_file, "w"), stderr=subprocess.STDOUT)
    wait_for_port(port)
    return sink


def sink_messages(count_file):
    """smtp-sink -c keeps rewriting one status line: 'sess=N quit=N mesg=N'."""
    found = re.findall(r"mesg=(\d+)", open(count_file).read())
    return int(found[-1]) if found else 0


def smtp_source(port, count):
    start = time.monotonic()
    subprocess.run(
        ["smtp-source", "-s", str(SESSIONS), "-m", str(count), "-l", str(MESSAGE_BYTES),
         "-f", "bench@example.com", "-t", "sink@example.com", f"127.0.0.1:{port}"],
        check=True,
    )
    return count / (time.monotonic() - start)


DEMO_PASSWORD = "bench password 1"


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


def ours(server, smtp_port, count):
    """Starts the server, builds a share to `count` recipients, and times Send
    Email(s) until the outbox has sent them all."""
    with tempfile.TemporaryDirectory() as data:
        port = free_port()
        env = {
            "PATH": os.environ["PATH"],
            "DATABASE_URL": f"sqlite://{data}/share.db",
            "MEDIA_DIR": f"{data}/media",
            "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
            "LEPTOS_SITE_ROOT": f"{data}/site",
            "DEMO_MODE": "true",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "RUST_LOG": "warn",
        }
        process = subprocess.Popen([server], env=env, cwd=data)
        try:
            wait_for_port(port)
            api = Api(port)
            db = sqlite3.connect(f"{data}/share.db")
            recording = db.execute("SELECT id FROM recordings").fetchone()[0]
            share = api.call("share/open", {"recording_id": recording, "browser_time_zone": "UTC"})
            for n in range(count):
                api.call("share/recipient/add", {
                    "share_id": share["id"], "name": f"Recipient {n}", "email": f"r{n}@example.com"})
            start = time.monotonic()
            queued = api.call("share/send", {"share_id": share["id"]})["queued"]
            assert queued == count, queued
            # Counted on the outbox's status index, so watching costs little.
            while db.execute("SELECT COUNT(*) FROM outbox WHERE status IN ('queued', 'sending')").fetchone()[0]:
                time.sleep(0.005)
            failed = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'failed'").fetchone()[0]
            elapsed = time.monotonic() - start
            if failed:
                sys.exit(f"{failed} emails failed")
            return count / elapsed
        finally:
            process.terminate()
            process.wait()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        count_file = f"{tmp}/sink.log"
        sink = start_sink(port, count_file)
        try:
            rates_ours, rates_source = [], []
            for run in range(1, args.runs + 1):
                rates_ours.append(ours(args.server, port, args.count))
                rates_source.append(smtp_source(port, args.count))
                print(f"run {run}: ours {rates_ours[-1]:.0f} emails/s, "
                      f"smtp-source {rates_source[-1]:.0f} emails/s", flush=True)
            expected = 2 * args.runs * args.count
            deadline = time.monotonic() + 5
            while sink_messages(count_file) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            print(f"the sink received {sink_messages(count_file)} of {expected} messages")
            ours_rate, source_rate = statistics.median(rates_ours), statistics.median(rates_source)
            print()
            print(f"| Mail fan-out ({args.count} recipients, {SESSIONS} connections, median of {args.runs}) | value |")
            print("| --- | --- |")
            print(f"| ours: Send Email(s) to all delivered | {ours_rate:.0f} emails/s |")
            print(f"| Postfix smtp-source to the same sink | {source_rate:.0f} emails/s |")
            print(f"| ratio (goal >= 0.5) | {ours_rate / source_rate:.2f} |")
        finally:
            sink.terminate()


if __name__ == "__main__":
    main()
