"""Mail fan-out: one share to N recipients, delivered by our worker to a local
SMTP sink (Postfix's smtp-sink), beside Postfix's smtp-source sending N
messages to the same sink in the same run. Prints emails/s for both and the
ratio (ours / smtp-source).

    python3 bench/mail_fanout.py SERVER_BINARY [--count 1000] [--runs 5]
"""

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

from harness import DEMO_TITLE, Api, Server, free_port, wait_for_port

SESSIONS = 8  # the worker's concurrency, and smtp-source's parallel sessions
MESSAGE_BYTES = 4000  # about the size of our share email (HTML + text)


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


def ours(binary, smtp_port, count):
    """Starts the server, builds a share to `count` recipients, and times Send
    Email(s) until the email queue has sent them all."""
    with tempfile.TemporaryDirectory() as data, \
            Server(binary, data, {"SMTP_URL": f"smtp://127.0.0.1:{smtp_port}"}) as server:
        api = Api(server.port)
        db = sqlite3.connect(f"{data}/share.db")
        recording = api.recording_id(DEMO_TITLE)
        api.wait_processed(recording)
        share = api.call("share/open", {"recording_id": recording, "browser_time_zone": "UTC"})
        for n in range(count):
            api.call("share/recipient/add", {
                "share_id": share["id"], "name": f"Recipient {n}", "email": f"r{n}@example.com"})
        start = time.monotonic()
        queued = api.call("share/send", {"share_id": share["id"]})["queued"]
        assert queued == count, queued
        # Counted on the jobs' partial indexes, so watching costs little.
        while db.execute("SELECT COUNT(*) FROM jobs WHERE queue = 'email' AND status = 'queued'").fetchone()[0] \
                + db.execute("SELECT COUNT(*) FROM jobs WHERE queue = 'email' AND status = 'running'").fetchone()[0]:
            time.sleep(0.005)
        failed = db.execute("SELECT COUNT(*) FROM jobs WHERE queue = 'email' AND status = 'failed'").fetchone()[0]
        elapsed = time.monotonic() - start
        if failed:
            sys.exit(f"{failed} emails failed")
        return count / elapsed


def measure(binary, count=1000, runs=5, log=print):
    """Median emails/s of ours and of smtp-source over `runs` alternating runs."""
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        count_file = f"{tmp}/sink.log"
        sink = start_sink(port, count_file)
        try:
            rates_ours, rates_source = [], []
            for run in range(1, runs + 1):
                rates_ours.append(ours(binary, port, count))
                rates_source.append(smtp_source(port, count))
                log(f"mail fan-out run {run}: ours {rates_ours[-1]:.0f} emails/s, "
                    f"smtp-source {rates_source[-1]:.0f} emails/s")
            expected = 2 * runs * count
            deadline = time.monotonic() + 5
            while sink_messages(count_file) < expected and time.monotonic() < deadline:
                time.sleep(0.1)
            received = sink_messages(count_file)
            if received < expected:
                sys.exit(f"the sink received {received} of {expected} messages")
            return statistics.median(rates_ours), statistics.median(rates_source)
        finally:
            sink.terminate()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    args.server = os.path.abspath(args.server)
    ours_rate, source_rate = measure(args.server, args.count, args.runs)
    print()
    print(f"| Mail fan-out ({args.count} recipients, {SESSIONS} connections, median of {args.runs}) | value |")
    print("| --- | --- |")
    print(f"| ours: Send Email(s) to all delivered | {ours_rate:.0f} emails/s |")
    print(f"| Postfix smtp-source to the same sink | {source_rate:.0f} emails/s |")
    print(f"| ratio (goal >= 0.8) | {ours_rate / source_rate:.2f} |")


if __name__ == "__main__":
    main()
