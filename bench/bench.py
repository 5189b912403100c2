"""Measures the release build against its goals, each beside a reference run
on the same machine in the same run, and prints one table (also written to
bench/results.md). Run it through `bench/run`, which builds and installs what
this needs.

    python3 bench/bench.py --server target/release/server [--quick]
"""

import argparse
import gzip
import http.client
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone

import large
import mail_fanout
from harness import (DEMO_TITLE, ROOT, Api, Server, free_port, raise_open_files_limit, rss_parts_kib,
                     wait_for_port)
DEMO_FILE = os.path.join(ROOT, "server", "assets", "demo-recording.webm")
MIB = 1024 * 1024


def log(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


class Row:
    """One line of the table: what, ours, the reference, the ratio or value
    the goal is about, the goal, and whether it is met."""

    def __init__(self, measure, ours, reference, result, goal, met):
        self.cells = [measure, ours, reference, result, goal, "yes" if met else "**no**"]


# ---------------------------------------------------------------------------
# Load generation: Debian's wrk.

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}
SIZES = {"B": 1, "KB": 1024, "MB": MIB, "GB": 1024 * MIB}


def wrk(url, connections, seconds, script=None, script_args=(), timeout="10s"):
    """Runs wrk and returns requests/s, bytes/s, and the p50/p99 latency in ms.
    Any error response or socket error stops the benchmark: a fast failure is
    not a result."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s",
               "--timeout", timeout, "--latency"]
    if script:
        command += ["-s", script]
    command.append(url)
    if script_args:
        command += ["--", *map(str, script_args)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    if "Non-2xx or 3xx responses" in out or "Socket errors" in out:
        sys.exit(f"wrk saw errors:\n{out}")

    def latency(percent):
        value, unit = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    transfer, unit = re.search(r"Transfer/sec:\s+([\d.]+)([KMG]?B)", out).groups()
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "bytes_per_s": float(transfer) * SIZES[unit],
        "p50_ms": latency(50),
        "p99_ms": latency(99),
    }


def padded_recording(path, size):
    """A file the server accepts as a WebM recording (the demo's header and
    its declared duration) padded with random bytes up to `size`."""
    shutil.copyfile(DEMO_FILE, path)
    with open(path, "ab") as f:
        left = size - os.path.getsize(path)
        while left > 0:
            block = os.urandom(min(left, 8 * MIB))
            f.write(block)
            left -= len(block)


# ---------------------------------------------------------------------------
# 1. Link open

def link_open(server, link, seconds):
    log(f"1. link open: wrk, 64 connections, {seconds} s on /healthz, then on the link")
    health = wrk(f"{server.url}/healthz", 64, seconds)
    page = wrk(f"{server.url}{link}", 64, seconds)
    ratio = page["rps"] / health["rps"]
    return Row(
        "1. Link open: `GET /l/{code}` (20 comments) vs `/healthz`, 64 connections, "
        f"{seconds} s each",
        f"{page['rps']:,.0f} req/s (p50 {page['p50_ms']:.2f} ms, p99 {page['p99_ms']:.2f} ms)",
        f"{health['rps']:,.0f} req/s (p50 {health['p50_ms']:.2f} ms, p99 {health['p99_ms']:.2f} ms)",
        f"{ratio:.2f}", ">= 0.5", ratio >= 0.5)


# ---------------------------------------------------------------------------
# 2. Media

NGINX_CONF = """
worker_processes auto;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
{user}
events {{ worker_connections 4096; }}
http {{
    sendfile on;
    tcp_nopush on;
    access_log off;
    types {{ video/webm webm; }}
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def start_nginx(tmp, root):
    """Debian's nginx as it ships (sendfile on), serving `root`."""
    port = free_port()
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    conf = f"{tmp}/nginx.conf"
    with open(conf, "w") as f:
        f.write(NGINX_CONF.format(dir=tmp, port=port, root=root, user=user))
    process = subprocess.Popen(["nginx", "-p", tmp, "-c", conf, "-g", "daemon off;"],
                               stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process, port


def stored_copy(media_dir):
    """The server's own copy of the one large recording in `media_dir` (the
    import wrote it there: another file, with its own pages in the page
    cache, than the one imported)."""
    files = [os.path.join(media_dir, name) for name in os.listdir(media_dir)]
    return max(files, key=os.path.getsize)


def media(server, video_link, stored, tmp, seconds, pairs):
    # nginx serves the very file the link does (a hard link in its root):
    # the same bytes, the same pages of the page cache, the same disk.
    file = os.path.join(tmp, "same.webm")
    os.link(stored, file)
    os.chmod(file, 0o644)
    log(f"2. media: random 1 MiB ranges of a {os.path.getsize(file) / 1e6:.0f} MB file, "
        f"64 connections, {seconds} s each, nginx then ours, {pairs} times")
    size = os.path.getsize(file)
    script = os.path.join(ROOT, "bench", "range.lua")
    # Both rates drift from one run to the next (by a fifth on a shared
    # machine): the ratio is the median of pairs measured back to back.
    results = []
    nginx, port = start_nginx(tmp, os.path.dirname(file))
    try:
        for _ in range(pairs):
            theirs = wrk(f"http://127.0.0.1:{port}/{os.path.basename(file)}", 64, seconds,
                         script, [size])
            ours = wrk(f"{server.url}{video_link}", 64, seconds, script, [size])
            results.append((ours["bytes_per_s"] / theirs["bytes_per_s"], ours, theirs))
    finally:
        nginx.terminate()
        nginx.wait()
    results.sort(key=lambda pair: pair[0])
    ratio, ours, theirs = results[len(results) // 2]

    def rate(r):
        return f"{r['bytes_per_s'] / MIB:,.0f} MiB/s ({r['rps']:,.0f} ranges/s, p99 {r['p99_ms']:.1f} ms)"

    ratios = ", ".join(f"{pair[0]:.2f}" for pair in results)
    return Row(f"2. Media: random 1 MiB ranges of a {size // 1_000_000} MB file via the link, "
               f"vs nginx (same file, same disk), 64 connections, median of {pairs} pairs "
               f"({ratios})",
               rate(ours), rate(theirs), f"{ratio:.2f}", ">= 0.9", ratio >= 0.9)


# ---------------------------------------------------------------------------
# 3. Viewer page weight

def fetch_compressed(port, path):
    """Bytes on the wire (as served, compressed) and the encoding used."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"accept-encoding": "br, gzip"})
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        sys.exit(f"GET {path} answered {response.status}")
    return len(body), response.getheader("content-encoding") or "identity"


def viewer_weight(server, link):
    log("3. viewer page weight")
    parts = {name: fetch_compressed(server.port, path)
             for name, path in [("HTML", link), ("CSS", "/viewer.css"), ("JS", "/viewer.js")]}
    total = sum(size for size, _ in parts.values())
    detail = ", ".join(f"{name} {size:,} B {enc}" for name, (size, enc) in parts.items())
    return Row("3. Viewer page weight: HTML + CSS + JS as served (20 comments, without the video)",
               f"{total:,} B ({detail})", "", f"{total / 1000:.1f} KB", "<= 30 KB",
               total <= 30_000)


# ---------------------------------------------------------------------------
# 4. SPA size

def brotli_size(path):
    return len(subprocess.run(["brotli", "-c", "-q", "11", path], check=True,
                              capture_output=True).stdout)


def bundle(pkg_dir, name):
    files = [os.path.join(pkg_dir, f"{name}.{ext}") for ext in ("wasm", "js")]
    raw = sum(os.path.getsize(f) for f in files)
    gz = sum(len(gzip.compress(open(f, "rb").read(), 9)) for f in files)
    br = sum(brotli_size(f) for f in files)
    return raw, gz, br


# ---------------------------------------------------------------------------
# 5. Memory

def open_sockets(pid):
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                count += 1
        except OSError:
            pass
    return count


class Sampler:
    """Samples a process' RSS every 50 ms on a thread; keeps the peak."""

    def __init__(self, server, also=None):
        self.server, self.also = server, also
        self.peak_kib, self.extra = 0, []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.done.wait(0.05):
            self.peak_kib = max(self.peak_kib, self.server.memory_kib()[0])
            if self.also:
                self.extra.append(self.also())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.done.set()
        self.thread.join()


def memory(binary, file, seconds):
    log(f"5. memory: at rest, then 1,000 connections streaming the video for {seconds} s")
    with tempfile.TemporaryDirectory() as data, Server(binary, data) as server:
        server.run_cli("import", file, "--title", "Big", "--owner", "demo@example.com")
        api = Api(server.port)
        api.wait_processed(api.recording_id("Big"))
        link = api.share_link(api.recording_id("Big"))
        fetch_compressed(server.port, link)
        time.sleep(1)
        rest_kib = server.memory_kib()[0]
        pid = server.process.pid
        with Sampler(server, lambda: (open_sockets(pid), rss_parts_kib(pid))) as sampler:
            result = wrk(f"{server.url}{link}/video", 1000, seconds, timeout="120s")
        peak_kib = sampler.peak_kib
        connected = max(sockets for sockets, _ in sampler.extra)
        anon_kib = max(anon for _, (anon, _) in sampler.extra)
        file_kib = max(mapped for _, (_, mapped) in sampler.extra)
    return Row(f"5. Memory: server RSS at rest, and its peak while 1,000 connections stream "
               f"the video for {seconds} s",
               f"{rest_kib / 1024:.1f} MiB at rest, {peak_kib / 1024:.1f} MiB peak "
               f"(at most {anon_kib / 1024:.1f} MiB heap and stacks, {file_kib / 1024:.1f} MiB "
               f"mapped files; {connected} sockets open, {result['bytes_per_s'] / MIB:,.0f} MiB/s "
               f"served)",
               "", f"{peak_kib / 1024:.1f} MiB", "<= 80 MB", peak_kib * 1024 <= 80_000_000)


# ---------------------------------------------------------------------------
# 6. Upload

def upload(binary, tmp, size):
    log(f"6. upload: RSS while a {size / 1e9:.0f} GB file uploads")
    file = f"{tmp}/upload.webm"
    # Sparse after the demo's bytes: the disk holds only what the server writes.
    shutil.copyfile(DEMO_FILE, file)
    os.truncate(file, size)
    with tempfile.TemporaryDirectory() as data, Server(binary, data) as server:
        api = Api(server.port)
        before_kib = server.memory_kib()[0]
        started = time.monotonic()
        with Sampler(server) as sampler:
            answer = subprocess.run(
                ["curl", "-sS", "-T", file, "-X", "POST", "-H", f"cookie: {api.cookie}",
                 "-H", "content-type: video/webm", "-o", f"{tmp}/upload-answer",
                 "-w", "%{http_code}", f"{server.url}/api/recordings/upload?title=Two%20gigabytes"],
                check=True, capture_output=True, text=True).stdout
        elapsed = time.monotonic() - started
        if not answer.startswith("2"):
            sys.exit(f"the upload answered {answer}: {open(f'{tmp}/upload-answer').read()[:300]}")
        stored = max(os.path.getsize(os.path.join(data, "media", f))
                     for f in os.listdir(f"{data}/media"))
    os.remove(file)
    if stored != size:
        sys.exit(f"the server stored {stored} bytes of {size}")
    growth_kib = sampler.peak_kib - before_kib
    return Row(f"6. Upload: RSS growth while a {size / 1e9:.0f} GB file uploads",
               f"{before_kib / 1024:.1f} MiB before, {sampler.peak_kib / 1024:.1f} MiB peak "
               f"({size / MIB / elapsed:,.0f} MiB/s)", "",
               f"{growth_kib / 1024:.1f} MiB", "<= 50 MB", growth_kib * 1024 <= 50_000_000)


# ---------------------------------------------------------------------------
# 7. Share window

def share_window(server, recording_id, runs, counter_pkg):
    """Rows 4 (the first load's wasm + JS, from Chromium's network log) and 7
    (the Share window), from one run of bench/share_window.cjs."""
    log(f"4 and 7. first load, share window and details page in Chromium, {runs} times each")
    out = subprocess.run(
        ["node", os.path.join(ROOT, "bench", "share_window.cjs"), server.url,
         str(recording_id), str(runs)],
        check=True, capture_output=True, text=True, env={**os.environ}).stdout
    times = json.loads(out.strip().splitlines()[-1])
    share, details = statistics.median(times["share"]), statistics.median(times["details"])
    first = times["firstLoad"]
    files = ", ".join(f"{os.path.basename(f['path'])} {f['bytes']:,} B {f['encoding']}"
                      for f in first["files"])
    counter = bundle(counter_pkg, "counter")
    first_load = Row("4. First load: wasm + JS that opening /recordings transfers (Chromium "
                     "network log, empty cache), vs a minimal Leptos counter app (brotli -q 11)",
                     f"{first['bytes']:,} B ({files})", f"{counter[2]:,} B",
                     f"{first['bytes'] / 1000:.0f} KB", "<= 150 KB", first["bytes"] <= 150_000)
    window = Row(f"7. Share window: click on Share until the dialog is interactive, vs opening "
                 f"the details page until it is hydrated (Chromium, median of {runs})",
                 f"{share:.1f} ms (min {min(times['share']):.1f}, max {max(times['share']):.1f})",
                 f"{details:.1f} ms (min {min(times['details']):.1f}, max {max(times['details']):.1f})",
                 f"{share:.1f} ms", "<= 100 ms", share <= 100)
    return first_load, window


# ---------------------------------------------------------------------------
# 8. Mail fan-out

def fanout(binary, runs):
    log(f"8. mail fan-out: 1,000 recipients, {runs} runs against Postfix's smtp-source")
    ours, theirs = mail_fanout.measure(binary, 1000, runs, log=log)
    ratio = ours / theirs
    return Row(f"8. Mail fan-out: Send Email(s) to 1,000 recipients until all are delivered, vs "
               f"Postfix smtp-source, same sink, 8 connections, median of {runs}",
               f"{ours:,.0f} emails/s", f"{theirs:,.0f} emails/s", f"{ratio:.2f}", ">= 0.8",
               ratio >= 0.8)


# ---------------------------------------------------------------------------
# 9. Transcode

def transcode(binary, tmp, seconds):
    """A recording no browser plays (MPEG-4 Part 2 and MP3, 720p) goes
    through the whole pipeline (upload, probe, poster, transcode with its
    timeline previews, storing); then the pipeline's own ffmpeg command,
    read from the server's log, runs alone on the same file."""
    log(f"9. transcode: a {seconds // 60}-minute 720p recording through the pipeline, "
        "then its ffmpeg command alone")
    source = f"{tmp}/transcode.avi"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate=30:duration={seconds}",
                    "-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}",
                    "-c:v", "mpeg4", "-q:v", "4", "-c:a", "mp3", "-shortest", source], check=True)
    env = {"RUST_LOG": "warn,server::media::ffmpeg=debug"}
    with tempfile.TemporaryDirectory() as data, Server(binary, data, env) as server:
        api = Api(server.port)
        api.wait_all_processed()
        rest_kib = server.memory_kib()[0]
        with Sampler(server) as sampler:
            answer = subprocess.run(
                ["curl", "-sS", "-T", source, "-X", "POST", "-H", f"cookie: {api.cookie}",
                 f"{server.url}/api/recordings/upload?title=Transcoded"],
                check=True, capture_output=True, text=True).stdout
            # From the upload's answer (its job is queued with it) until ready.
            started = time.monotonic()
            recording = json.loads(answer)["id"]
            api.wait_processed(recording, previews=True)
            pipeline = time.monotonic() - started
        stored = [f for f in os.listdir(f"{data}/media") if f.endswith("-play.mp4")]
        if len(stored) != 1:
            sys.exit(f"the pipeline made {stored}")
        with open(f"{data}/server.log") as log_file:
            commands = [json.loads(line.split("args=", 1)[1].strip())
                        for line in log_file if "args=" in line and "libx264" in line]
    if len(commands) != 1:
        sys.exit(f"expected one transcode in the server's log, found {len(commands)}")
    # The same command, on the same file, outside the server.
    args = commands[0]
    args[args.index("-i") + 1] = source
    outputs = [n for n, a in enumerate(args) if a.endswith((".mp4", ".jpg")) and args[n - 1] != "-i"]
    for n in outputs:
        args[n] = f"{tmp}/alone-{os.path.basename(args[n])}"
    started = time.monotonic()
    subprocess.run(["ffmpeg", *args], check=True, stdout=subprocess.DEVNULL)
    alone = time.monotonic() - started
    ratio = pipeline / alone
    return Row(f"9. Transcode: a {seconds // 60}-minute 720p recording (MPEG-4 Part 2/MP3) from "
               "its upload's answer to ready (probe, poster, H.264/AAC, timeline previews), vs "
               "the same transcoding ffmpeg command alone",
               f"{pipeline:.1f} s ({seconds / pipeline:.1f}x real time); server RSS "
               f"{rest_kib / 1024:.1f} MiB before, {sampler.peak_kib / 1024:.1f} MiB peak",
               f"{alone:.1f} s", f"{ratio:.3f}", "<= 1.05", ratio <= 1.05)


# ---------------------------------------------------------------------------

def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                if line.startswith("model name")), platform.processor())
    mem = int(next(line.split()[1] for line in open("/proc/meminfo")
                   if line.startswith("MemTotal"))) / 1024 / 1024
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def commit():
    try:
        return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    except (subprocess.CalledProcessError, FileNotFoundError):
        return "unknown"


class Rows(list):
    """The table so far: each row is shown as soon as it is measured, so a
    later failure does not lose the earlier ones."""

    def append(self, row):
        log("measured: " + " | ".join(row.cells))
        super().append(row)

    def extend(self, rows):
        for row in rows:
            self.append(row)


def table(rows):
    lines = ["| measure | ours | reference | result | goal | met |",
             "| --- | --- | --- | --- | --- | --- |"]
    lines += ["| " + " | ".join(row.cells) + " |" for row in rows]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", required=True, help="the release server binary")
    parser.add_argument("--counter-pkg", required=True, help="the counter app's built pkg folder")
    parser.add_argument("--quick", action="store_true",
                        help="short runs, small files: checks the harness, not the numbers")
    parser.add_argument("--skip", default="", help="comma-separated parts not to run: "
                        "transcode, large (a partial table, for iterating)")
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "results.md"))
    args = parser.parse_args()
    args.server = os.path.abspath(args.server)
    raise_open_files_limit()

    seconds = 3 if args.quick else 20
    media_size = 20 * MIB if args.quick else 200_000_000
    upload_size = 200_000_000 if args.quick else 2_000_000_000
    runs = 3 if args.quick else 20

    rows = Rows()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)  # nginx's workers run as nobody
        big = f"{tmp}/media/big.webm"
        os.makedirs(os.path.dirname(big))
        padded_recording(big, media_size)
        with tempfile.TemporaryDirectory() as data, Server(args.server, data) as server:
            server.run_cli("import", big, "--title", "Big", "--owner", "demo@example.com")
            api = Api(server.port)
            api.wait_processed(api.recording_id("Big"))
            demo = api.recording_id(DEMO_TITLE)
            api.wait_processed(demo)
            link = api.share_link(demo, comments=20)
            big_link = api.share_link(api.recording_id("Big"))
            rows.append(link_open(server, link, seconds))
            rows.append(media(server, f"{big_link}/video", stored_copy(f"{data}/media"),
                              f"{tmp}/media", seconds,
                              1 if args.quick else 3))
            rows.append(viewer_weight(server, link))
            rows.extend(share_window(server, demo, runs, args.counter_pkg))
        rows.append(memory(args.server, big, 5 if args.quick else 30))
        rows.append(upload(args.server, tmp, upload_size))
    rows.append(fanout(args.server, 1 if args.quick else 5))
    if "large" not in args.skip:
        rows.extend(large.rows(args.server, wrk, Row, args.quick, log))
    if "transcode" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            rows.append(transcode(args.server, tmp, 30 if args.quick else 600))

    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    report = (f"# Benchmark results\n\n`bench/run` at commit {commit()}, {when}, on {machine()}."
              f"{' Quick mode: not a measurement.' if args.quick else ''}"
              f"{f' Left out: {args.skip}.' if args.skip else ''}\n"
              "Each ratio compares two runs made one after the other on this machine.\n\n"
              f"{table(rows)}\n")
    print()
    print(report)
    with open(args.out, "w") as f:
        f.write(report)
    log(f"written to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
