"""Hostile recordings through POST /v1/calls: audio bombs (too long by header, by packet time, a forged WAV size, an
archive renamed .mp3) fail fast with a reason and leave nothing in data_dir/audio; a full disk is a 507 and reads go
on; admins' server-side paths stay inside VOCSVC_RECORDINGS_DIR. Real files (PyAV encoders), a real tmpfs."""
import io
import os
import struct
import subprocess
import time
import wave
import zipfile
from pathlib import Path

import numpy as np
import pytest

TWO_HOURS = 7200


class _Pipe(io.RawIOBase):
    """A file the muxer cannot seek back in, as when a browser streams WebM: no duration gets written."""

    def __init__(self, f):
        self.f = f

    def writable(self):
        return True

    def seekable(self):
        return False

    def write(self, b):
        return self.f.write(b)


def encode(target, fmt: str, codec: str, rate: int, seconds: float, tone: bool = False, bit_rate: int | None = None):
    """Mono audio (silence, or a 440 Hz tone) encoded with PyAV; ``target`` is a path or a file object."""
    import av

    with av.open(target, "w", format=fmt) as out:
        s = out.add_stream(codec, rate=rate, layout="mono")
        if bit_rate:
            s.bit_rate = bit_rate
        kind = s.codec_context.format.name
        dtype = {"s16": np.int16, "s16p": np.int16, "s32": np.int32, "s32p": np.int32}.get(kind, np.float32)
        n, block, pts = int(rate * seconds), rate * 4, 0
        while pts < n:
            k = min(block, n - pts)
            x = np.zeros(k) if not tone else 0.3 * np.sin(2 * np.pi * 440 * np.arange(pts, pts + k) / rate)
            scale = {np.int16: 2**15 - 1, np.int32: 2**31 - 1}.get(dtype, 1)
            frame = av.AudioFrame.from_ndarray((x * scale).astype(dtype)[None], format=kind, layout="mono")
            frame.sample_rate, frame.pts = rate, pts
            for p in s.encode(frame):
                out.mux(p)
            pts += k
        for p in s.encode(None):
            out.mux(p)


def write_wav(path: Path, seconds: float, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(rate * seconds))
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    d = tmp_path_factory.mktemp("bombs")
    # 2 hours of 8 kHz silence: FLAC keeps it at ~1.3 MB and writes the length in its STREAMINFO header
    encode(str(d / "two-hours.flac"), "flac", "flac", 8000, TWO_HOURS)
    # a WAV whose data chunk claims ~4 GB while the file holds one second
    pcm = b"\0\0" * 16000
    (d / "forged.wav").write_bytes(b"RIFF" + struct.pack("<I", 0xFFFFFFF0) + b"WAVE" + b"fmt "
                                   + struct.pack("<IHHIIHH", 16, 1, 1, 16000, 32000, 2, 16)
                                   + b"data" + struct.pack("<I", 0xFFFFFFD0) + pcm)
    # a ZIP storing a real MP3 uncompressed: ffmpeg's MP3 probe finds the frames inside and opens it as audio
    encode(str(d / "song.mp3"), "mp3", "libmp3lame", 16000, 3, tone=True, bit_rate=32000)
    with zipfile.ZipFile(d / "archive.mp3", "w", compression=zipfile.ZIP_STORED) as z:
        z.write(d / "song.mp3", "song.mp3")
    # 2 minutes of Opus in WebM written as a stream: no duration anywhere in the header
    with open(d / "streamed.webm", "wb") as f, _Pipe(f) as pipe:
        encode(pipe, "webm", "libopus", 48000, 120, bit_rate=6000)
    write_wav(d / "ok.wav", 1.0)
    return d


def upload(api, path: Path, name: str | None = None):
    with open(path, "rb") as f:
        return api.post("/v1/calls", "ingest", files={"file": (name or path.name, f, "application/octet-stream")})


def audio_files(api) -> list[str]:
    d = Path(api.svc.settings.data_dir) / "audio"
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def refused(api, path: Path, status: int, words: str, name: str | None = None) -> float:
    before = audio_files(api)
    t0 = time.perf_counter()
    r = upload(api, path, name)
    elapsed = time.perf_counter() - t0
    assert r.status_code == status, (path.name, r.status_code, r.text)
    assert words in r.json()["detail"], r.json()["detail"]
    assert elapsed < 5, f"{path.name} took {elapsed:.2f} s to refuse"
    assert audio_files(api) == before, "a refused upload left a file behind"
    return elapsed


def test_audio_bombs_fail_fast_with_the_reason(make_api, bombs):
    from vocsvc.service.calls import probe

    api = make_api()
    times = {
        "two-hour FLAC": refused(api, bombs / "two-hours.flac", 413, "2h00m long, over the limit of 1h30m"),
        "WAV claiming 4 GB": refused(api, bombs / "forged.wav", 422, "header declares 4,294,967,248 bytes"),
        "ZIP renamed .mp3": refused(api, bombs / "archive.mp3", 422, "ZIP archive, not a recording"),
    }
    assert api.get("/v1/calls", "qa").json()["total"] == 0  # no call, no job for any of them
    r = upload(api, bombs / "ok.wav")
    assert r.status_code == 202, r.text  # and a real recording still goes through
    assert len(audio_files(api)) == 1
    # the streamed WebM has no duration header: its packets are counted (not decoded) against a 1-minute limit
    assert probe(bombs / "streamed.webm", max_seconds=180) is None
    short = make_api(max_audio_seconds=60)
    times["headerless WebM (2 min > 1 min)"] = refused(short, bombs / "streamed.webm", 413,
                                                         "longer than the limit of 1 min")
    print("refusal times:", {k: f"{v * 1000:.0f} ms" for k, v in times.items()})


@pytest.fixture
def full_disk(tmp_path):
    """A 2 MB tmpfs as data_dir (root only: the real ENOSPC from the kernel, not a simulated one)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / "small"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_during_upload_is_507_and_reads_go_on(make_api, full_disk, tmp_path):
    api = make_api(data_dir=full_disk)
    big = write_wav(tmp_path / "long.wav", 100.0)  # 3.2 MB: more than the 2 MB disk
    r = upload(api, big)
    assert r.status_code == 507, r.text
    assert "no space left" in r.json()["detail"] and "VOCSVC_DATA_DIR" in r.json()["detail"]
    assert audio_files(api) == []  # the partial copy is gone, so its space is free again
    assert api.client.get("/health").status_code == 200
    assert api.get("/v1/calls", "qa").status_code == 200
    assert api.get("/v1/mentions", "marketing").status_code == 200
    r = upload(api, write_wav(tmp_path / "short.wav", 1.0))
    assert r.status_code == 202, r.text  # the disk had room again once the partial file was removed


def test_server_paths_stay_inside_recordings_dir(make_api, tmp_path, bombs):
    rec = tmp_path / "recordings"
    (rec / "2026").mkdir(parents=True)
    good = write_wav(rec / "2026" / "call.wav", 1.0)
    outside = write_wav(tmp_path / "secret.wav", 1.0)
    (rec / "escape.wav").symlink_to(outside)
    (rec / "inner.wav").symlink_to(good)
    (rec / "loop.wav").symlink_to(rec / "loop.wav")

    off = make_api()  # no VOCSVC_RECORDINGS_DIR: server-side paths are refused, with the setting named
    r = off.post("/v1/calls", "admin", data={"path": str(good)})
    assert r.status_code == 403 and "VOCSVC_RECORDINGS_DIR" in r.json()["detail"]

    api = make_api(recordings_dir=rec)
    for path in (str(outside), "../secret.wav", str(rec / ".." / "secret.wav"), "2026/../../secret.wav",
                 "escape.wav", str(rec / "escape.wav"), "/etc/passwd"):
        r = api.post("/v1/calls", "admin", data={"path": path})
        assert r.status_code == 403 and "outside VOCSVC_RECORDINGS_DIR" in r.json()["detail"], (path, r.text)
    for path in ("missing.wav", "loop.wav", "2026", "a\x00b.wav"):
        r = api.post("/v1/calls", "admin", data={"path": path})
        assert r.status_code == 422, (path, r.text)
    r = api.post("/v1/calls", "admin", data={"path": str(bombs.parent)})
    assert r.status_code == 403
    assert api.post("/v1/calls", "admin", data={"path": "2026/call.wav"}).status_code == 202
    assert api.post("/v1/calls", "admin", data={"path": str(rec / "inner.wav")}).status_code == 202
    assert api.post("/v1/calls", "ingest", data={"path": "2026/call.wav"}).status_code == 403
    assert api.get("/v1/calls", "qa").json()["total"] == 1  # the same file twice (by its real path) is one call
