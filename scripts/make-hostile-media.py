#!/usr/bin/env python3
"""Makes a corpus of hostile and broken video files for the media tests.

    python3 scripts/make-hostile-media.py OUT_DIR

Each file is something a rep (or an attacker with a rep's account) could
upload: boxes and elements that declare sizes they do not have, loops,
zero timescales, truncation, noise behind a valid signature, a tiny file
declaring a huge frame, a valid file far too long. Written to OUT_DIR, one
file each, with `corpus.json` listing them and what each one is. Needs
ffmpeg (Debian's package) for the files that start from a real video.
"""

import json
import os
import random
import struct
import subprocess
import sys
import tempfile


def box(kind: bytes, payload: bytes) -> bytes:
    """An MP4 box: 32-bit size, four-letter type, payload."""
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def ftyp() -> bytes:
    return box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")


def vint(value: int, length: int) -> bytes:
    """An EBML variable-size integer of `length` bytes."""
    marker = 1 << (7 * length)
    return (marker | value).to_bytes(length, "big")


def element(ident: bytes, payload: bytes) -> bytes:
    return ident + vint(len(payload), 8) + payload


EBML_HEADER = element(
    b"\x1a\x45\xdf\xa3",
    element(b"\x42\x86", b"\x01")  # EBMLVersion 1
    + element(b"\x42\xf7", b"\x01")  # EBMLReadVersion 1
    + element(b"\x42\xf2", b"\x04")  # EBMLMaxIDLength 4
    + element(b"\x42\xf3", b"\x08")  # EBMLMaxSizeLength 8
    + element(b"\x42\x82", b"webm")  # DocType
    + element(b"\x42\x87", b"\x04")  # DocTypeVersion
    + element(b"\x42\x85", b"\x02"),  # DocTypeReadVersion
)
SEGMENT = b"\x18\x53\x80\x67"
UNKNOWN_SIZE = b"\x01\xff\xff\xff\xff\xff\xff\xff"


def ffmpeg(*args: str) -> None:
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
    )


def real_videos(work: str) -> dict:
    """Small valid files to break: an MP4 with its index at the end, a WebM,
    a JPEG frame."""
    mp4 = os.path.join(work, "valid.mp4")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=4",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", mp4,
    )
    webm = os.path.join(work, "valid.webm")
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10:duration=4",
        "-c:v", "libvpx-vp9", "-deadline", "realtime", "-pix_fmt", "yuv420p", webm,
    )
    mkv = os.path.join(work, "frame.mkv")
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:size=256x256", "-frames:v", "1",
        "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", mkv,
    )
    with open(mp4, "rb") as f, open(webm, "rb") as g, open(mkv, "rb") as h:
        return {"mp4": f.read(), "webm": g.read(), "mjpeg-mkv": h.read()}


def patch_timescales(mp4: bytes) -> bytes:
    """Every mvhd and mdhd timescale set to 0."""
    data = bytearray(mp4)
    for kind in (b"mvhd", b"mdhd"):
        at = data.find(kind)
        while at != -1:
            version = data[at + 4]
            # After type: version/flags (4), creation and modification times
            # (4 or 8 each), then the timescale.
            offset = at + 4 + 4 + (16 if version == 1 else 8)
            data[offset : offset + 4] = b"\0\0\0\0"
            at = data.find(kind, at + 4)
    return bytes(data)


def huge_frame(mkv: bytes) -> bytes:
    """A Matroska file of one 256 × 256 JPEG frame, patched in place so
    that both the container (PixelWidth, PixelHeight) and the frame (its
    start-of-frame marker) declare 30,000 × 30,000 pixels."""
    data = bytearray(mkv)
    for ident in (b"\xb0", b"\xba"):  # PixelWidth, PixelHeight: 2-byte values
        at = data.find(ident + b"\x82\x01\x00")
        if at == -1:
            raise SystemExit("no 256-pixel PixelWidth/PixelHeight in the file ffmpeg made")
        data[at + 2 : at + 4] = struct.pack(">H", 30000)
    at = data.find(b"\xff\xc0")
    if at == -1:
        raise SystemExit("no start-of-frame marker in the JPEG ffmpeg made")
    # marker, length (2), precision (1), height (2), width (2)
    data[at + 5 : at + 9] = struct.pack(">HH", 30000, 30000)
    return bytes(data)


def seekhead_loop(webm: bytes) -> bytes:
    """A valid WebM whose SeekHead entries (Info, Tracks, Cues, …) all
    point at the SeekHead itself (position 0 of the Segment's data, where
    ffmpeg writes it)."""
    data = bytearray(webm)
    at = data.find(b"\x53\xac", 0, 4096)  # SeekPosition
    patched = 0
    while at != -1:
        size = data[at + 2]
        if size & 0x80:  # a one-byte size: the value follows
            length = size & 0x7F
            data[at + 3 : at + 3 + length] = b"\0" * length
            patched += 1
        at = data.find(b"\x53\xac", at + 2, 4096)
    if not patched:
        raise SystemExit("no SeekHead in the WebM ffmpeg made")
    return bytes(data)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    noise = random.Random(20261202)
    corpus = {}

    def write(name: str, data: bytes, what: str) -> None:
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        corpus[name] = what

    with tempfile.TemporaryDirectory() as work:
        real = real_videos(work)

        # MP4: a box of size 0 ("to the end of the file") inside moov.
        inner = struct.pack(">I", 0) + b"trak" + b"\0" * 24
        write("zero-size-box.mp4", (ftyp() + box(b"moov", inner))[:60],
              "60 bytes: moov holds a box of size 0")
        # MP4: a 64-bit box size of 2^62 in a file of a few hundred bytes.
        huge = struct.pack(">I", 1) + b"moov" + struct.pack(">Q", 1 << 62)
        write("oversize-box.mp4", ftyp() + huge + b"\0" * 200,
              "moov declares 2^62 bytes")
        # MP4: boxes nested a thousand deep, each declaring its parent's size.
        nested = b""
        for _ in range(1000):
            nested = box(b"trak", nested)
        write("deep-boxes.mp4", ftyp() + box(b"moov", nested),
              "a thousand nested boxes")
        write("timescale-zero.mp4", patch_timescales(real["mp4"]),
              "a valid MP4 with every timescale 0")
        write("truncated.mp4", real["mp4"][: len(real["mp4"]) // 2],
              "an MP4 whose index (at the end) is cut off")
        write("noise.mp4", bytes(noise.getrandbits(8) for _ in range(64 * 1024)),
              "random bytes named .mp4")
        write("noise-after-ftyp.mp4",
              ftyp() + bytes(noise.getrandbits(8) for _ in range(256 * 1024)),
              "random bytes behind a valid ftyp")

        # WebM: a title declaring 64 TiB.
        title = b"\x7b\xa9" + vint(64 << 40, 8) + b"x" * 64
        info = b"\x15\x49\xa9\x66" + vint(len(title), 8) + title
        write("huge-title.webm", EBML_HEADER + SEGMENT + UNKNOWN_SIZE + info,
              "Info's Title declares 64 TiB")
        # WebM: every SeekHead entry points at the SeekHead itself.
        write("seekhead-loop.webm", seekhead_loop(real["webm"]),
              "a WebM whose SeekHead points at itself")
        # WebM: a Segment declaring an element of 2^56 - 2 bytes, then noise.
        cluster = b"\x1f\x43\xb6\x75" + vint((1 << 56) - 2, 8)
        write("huge-cluster.webm",
              EBML_HEADER + SEGMENT + UNKNOWN_SIZE + cluster
              + bytes(noise.getrandbits(8) for _ in range(64 * 1024)),
              "a Cluster declaring 2^56 bytes, then noise")
        write("truncated.webm", real["webm"][: len(real["webm"]) // 3],
              "a WebM cut off after a third")
        write("noise-after-ebml.webm",
              EBML_HEADER + bytes(noise.getrandbits(8) for _ in range(256 * 1024)),
              "random bytes behind a valid EBML header")

        # A tiny file declaring a 30,000 × 30,000 frame.
        write("huge-frame.mkv", huge_frame(real["mjpeg-mkv"]),
              "a tiny file declaring a 30000x30000 frame")

        # Valid, but ten hours long at one frame a second.
        long = os.path.join(out, "ten-hours.webm")
        ffmpeg(
            "-f", "lavfi", "-i", "color=c=blue:size=32x32:rate=1:duration=36000",
            "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1k",
            "-g", "600", long,
        )
        corpus["ten-hours.webm"] = "valid, ten hours at one frame a second"

    with open(os.path.join(out, "corpus.json"), "w") as f:
        json.dump(corpus, f, indent=2)
    for name, what in corpus.items():
        size = os.path.getsize(os.path.join(out, name))
        print(f"{name:24} {size:>10} B  {what}")


if __name__ == "__main__":
    main()
