"""A load run against a real `vocsvc serve`: many clients for minutes, mixed work, no errors, flat memory.

    python bench/load.py [--clients 50] [--seconds 300] [--procs 4] [--db postgresql+psycopg://...] [--steady N]

With --steady N every ingest names one of N external ids per source, all of which exist before the clock starts
(a warm-up ingests each once and waits until the server has tagged them all, timed and printed on its own), so
during the measured run every ingest is a repeat and the data the server holds (rows, the semantic index's
embeddings) does not grow: a rising RSS is then the server's own.

A fresh work folder (~/.cache/vocsvc/bench-load) holds the SQLite database (unless --db names another one, which
is migrated and written to), the queue and the uploads. `vocsvc serve` runs as its own process with its in-process
worker and maintenance loop (rate limit off: VOCSVC_RATE_LIMIT_PER_MINUTE=0). --clients threads, spread over
--procs client processes so the client's GIL does not queue requests, each loop over a weighted mix:

* ingest: one mention (new external id), or an array of --bulk mentions, a tenth of them repeats (idempotent);
* reads: /v1/mentions (plain, filtered, full-text), /v1/metrics, /v1/themes, /v1/alerts, /v1/search (full-text,
  semantic);
* uploads: POST /v1/calls with one of a few short WAV recordings (espeak-ng speech when installed, else tones);
  the same bytes are the same job, so the uploads load the upload path while only a few calls are transcribed.

Any answer other than the expected status, or a failed connection, counts as an error (there must be none).
Before the clock starts, each recording is transcribed once and one array tagged, so that every lazily loaded
model is in memory. Printed: per kind, requests, errors, p50 / p95 / p99 in ms; the server's RSS sampled each
second, its mean over the first and last 10% of the run, its value at each tenth, and the least-squares slope in
MiB per 10,000 requests; the work left queued (tagging lags when ingest outruns the CPU: that is a backlog, kept
in the database, not memory).
"""
from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
# kind -> weight in the mix
MIX = {"ingest_single": 20, "ingest_bulk": 6, "get_mentions": 12, "get_mentions_filtered": 6, "get_mentions_q": 4,
       "get_metrics": 10, "get_themes": 8, "get_alerts": 10, "search_fulltext": 8, "search_semantic": 4,
       "upload_call": 3}
TEXTS = ["The courier was late again and the parcel was damaged", "Great app, the new update is fast",
         "I want a refund for the double charge on my card", "Доставка опять опоздала, коробка мятая",
         "Спасибо поддержке, быстро решили вопрос", "This is the worst bank ever, I am furious and will cancel",
         "Login fails after the update, please fix it", "Where is my order? Three weeks of waiting"]
PHRASES = ["Hello, thank you for calling, how can I help you today?",
           "I was charged twice for my card and I want a refund please.",
           "My parcel is three weeks late, where is my order?",
           "The app crashes every time I try to log in after the update."]


def wav_fixtures(n: int = 4) -> list[bytes]:
    """Short recordings: espeak-ng speech when it is installed (the transcription does real work), else tones."""
    out = []
    for k in range(n):
        if shutil.which("espeak-ng"):  # to a file: on stdout its WAV header has no real length
            with tempfile.TemporaryDirectory() as d:
                f = Path(d) / "say.wav"
                subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(f), PHRASES[k % len(PHRASES)]],
                               capture_output=True, check=True)
                out.append(f.read_bytes())
            continue
        t = np.arange(4 * 16000) / 16000
        pcm = (0.3 * np.sin(2 * np.pi * (300 + 40 * k) * t) * 32767).astype("<i2")
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(16000)
            w.writeframes(pcm.tobytes())
        out.append(buf.getvalue())
    return out


SOURCES = ["appstore", "twitter", "survey"]


def _mention(ext: str, rng: random.Random, source: str | None = None) -> dict:
    return {"channel": rng.choice(["review", "social", "survey", "chat", "email"]),
            "source": source or rng.choice(SOURCES), "external_id": ext,
            "text": f"{rng.choice(TEXTS)} #{rng.randrange(10**6)}", "created_at": "2026-03-02T09:00:00Z",
            "author": {"handle": f"@user{rng.randrange(500)}"}, "rating": rng.choice([None, 1, 3, 5])}


STEADY = 0  # --steady N: every ingest names one of N external ids (per source), all stored before the clock starts


def request(cl, kind: str, k: str, rng: random.Random, bulk: int, wavs: list[bytes]) -> bool:
    """One request of ``kind``; True if the answer is the expected one."""
    if kind == "ingest_single":
        if STEADY:
            return cl.post("/v1/mentions", json=_mention(f"st{rng.randrange(STEADY)}", rng)).status_code in (200, 201)
        return cl.post("/v1/mentions", json=_mention(f"s{k}", rng)).status_code == 201
    if kind == "ingest_bulk":
        if STEADY:
            body = [_mention(f"st{x}", rng) for x in rng.sample(range(STEADY), bulk)]
            return cl.post("/v1/mentions", json=body).status_code in (200, 201)
        body = [_mention(f"b{k}-{i}", rng) for i in range(bulk)]
        body[: bulk // 10] = [_mention(f"s{k}-dup{i}", rng) for i in range(bulk // 10)]  # some repeats
        return cl.post("/v1/mentions", json=body).status_code in (200, 201)
    if kind == "upload_call":
        j = rng.randrange(len(wavs))
        r = cl.post("/v1/calls", files={"file": (f"call{j}.wav", wavs[j], "audio/wav")})
        return r.status_code == 202
    path = {"get_mentions": "/v1/mentions?limit=50",
            "get_mentions_filtered": "/v1/mentions?channel=social&sentiment=negative&limit=50",
            "get_mentions_q": "/v1/mentions?q=refund&limit=50", "get_metrics": "/v1/metrics?group_by=channel",
            "get_themes": "/v1/themes", "get_alerts": "/v1/alerts?status=open",
            "search_fulltext": "/v1/search?q=delivery", "search_semantic": "/v1/search?q=late+parcel&mode=semantic",
            }[kind]
    return cl.get(path).status_code == 200


def client_proc(base: str, hdr: dict, threads: int, seconds: float, bulk: int, tag: int, wavs: list[bytes],
                done, out, only: list[str]) -> None:
    import httpx

    kinds = only or list(MIX)
    weights = [MIX[k] for k in kinds]
    results: dict[str, list] = {k: [[], 0] for k in MIX}
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(w: int) -> None:
        rng = random.Random(tag * 1000 + w)
        n = 0
        with httpx.Client(base_url=base, headers=hdr, timeout=120) as cl:
            while time.perf_counter() < stop:
                kind = rng.choices(kinds, weights)[0]
                n += 1
                t = time.perf_counter()
                try:
                    ok = request(cl, kind, f"{tag}-{w}-{n}", rng, bulk, wavs)
                except Exception:  # noqa: BLE001 - a refused or cut connection is an error like any other
                    ok = False
                dt = time.perf_counter() - t
                with lock:
                    results[kind][0].append(dt)
                    results[kind][1] += not ok
                with done.get_lock():
                    done.value += 1

    ths = [threading.Thread(target=worker, args=(w,)) for w in range(threads)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    out.put(results)


def rss_mib(pid: int) -> float:
    """Resident memory of the server process (VmRSS), MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(url: str, work: Path) -> tuple[subprocess.Popen, str, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOCSVC_")} | {
        "VOCSVC_DATABASE_URL": url, "VOCSVC_QUEUE_PATH": str(work / "queue.db"), "VOCSVC_DATA_DIR": str(work / "data"),
        "VOCSVC_RATE_LIMIT_PER_MINUTE": "0", "VOCSVC_THEMES_EVERY_HOURS": "0"}
    if os.environ.get("VOCSVC_CACHE_DIR"):
        env["VOCSVC_CACHE_DIR"] = os.environ["VOCSVC_CACHE_DIR"]
    cli = [sys.executable, "-m", "vocsvc.cli"]
    subprocess.run(cli + ["db", "upgrade"], env=env, check=True, capture_output=True)
    key = subprocess.run(cli + ["keys", "create", "--role", "admin"], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(work / "server.log", "w")  # noqa: SIM115 - the server's, closed with the process
    srv = subprocess.Popen(cli + ["serve", "--port", str(port)], env=env, stdout=log, stderr=log, cwd=work)
    base = f"http://127.0.0.1:{port}"
    import httpx

    for _ in range(600):
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return srv, base, {"Authorization": f"Bearer {key}"}
        except httpx.HTTPError:
            pass
        if srv.poll() is not None:
            break
        time.sleep(0.5)
    srv.kill()
    raise SystemExit(f"the server did not start; see {work / 'server.log'}")


def prime(base: str, hdr: dict, wavs: list[bytes], bulk: int) -> None:
    """Load every lazily loaded model (Whisper, diarization, the tagging batch sizes) before memory is measured:
    each recording transcribed once, one array tagged."""
    import httpx

    rng = random.Random(-1)
    with httpx.Client(base_url=base, headers=hdr, timeout=120) as cl:
        jobs = [cl.post("/v1/calls", files={"file": (f"call{j}.wav", w, "audio/wav")}).json()["job_id"]
                for j, w in enumerate(wavs)]
        cl.post("/v1/mentions", json=[_mention(f"prime{i}", rng) for i in range(bulk)]).raise_for_status()
        for _ in range(600):
            states = {cl.get(f"/v1/jobs/{j}").json()["state"] for j in jobs}
            pending = cl.get("/v1/mentions?state=pending&limit=1").json()["items"]
            if states <= {"done", "failed"} and not pending:
                return
            time.sleep(0.5)
    raise SystemExit("priming did not finish in 5 minutes")


def pending_mentions(base: str, hdr: dict) -> int:
    """Mentions the server has stored but not tagged yet (the vocsvc_queue_depth gauge, a count in the database)."""
    import httpx

    text = httpx.get(base + "/metrics/prometheus", headers=hdr, timeout=60).text
    for ln in text.splitlines():
        if ln.startswith('vocsvc_queue_depth{kind="mentions_pending"}'):
            return int(float(ln.split()[-1]))
    raise SystemExit("no vocsvc_queue_depth{kind=\"mentions_pending\"} in /metrics/prometheus")


def fill_pool(base: str, hdr: dict, n: int, stall_s: float = 600) -> int:
    """--steady N: ingest each of the N external ids of every source once (arrays of 1,000), then wait until the
    server has tagged every one, so the measured run starts with the stored data at its final size (tagging runs
    at ~15-50/s, so this can take many minutes). Gives up when the pending count has not moved for ``stall_s``."""
    import httpx

    rng = random.Random(-2)
    sent = 0
    with httpx.Client(base_url=base, headers=hdr, timeout=300) as cl:
        for src in SOURCES:
            for s in range(0, n, 1000):
                body = [_mention(f"st{x}", rng, src) for x in range(s, min(n, s + 1000))]
                cl.post("/v1/mentions", json=body).raise_for_status()
                sent += len(body)
    t, last, moved = time.perf_counter(), None, time.perf_counter()
    while (left := pending_mentions(base, hdr)) > 0:
        now = time.perf_counter()
        if left != last:
            last, moved = left, now
        elif now - moved > stall_s:
            raise SystemExit(f"warm-up: {left} mentions still pending, none tagged for {stall_s:.0f} s")
        if now - t >= 60:
            print(f"  warm-up: {left:,} of {sent:,} mentions still to tag", flush=True)
            t = now
        time.sleep(2.0)
    return sent


def slope_per_10k(xs: list[float], ys: list[float]) -> float:
    if len(xs) < 2 or max(xs) == min(xs):
        return float("nan")
    return float(np.polyfit(np.array(xs), np.array(ys), 1)[0] * 10_000)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--procs", type=int, default=4, help="client processes the clients are spread over")
    ap.add_argument("--bulk", type=int, default=50, help="mentions per bulk array")
    ap.add_argument("--db", default=None, help="a database URL (default: SQLite in the work folder)")
    ap.add_argument("--only", default="", help=f"comma-separated kinds of the mix to run (of {', '.join(MIX)})")
    ap.add_argument("--steady", type=int, default=0, help="ingest only these many external ids (the stored data "
                    "stops growing once they exist: memory growth is then the server's, not the data's)")
    args = ap.parse_args()
    only = [k for k in args.only.split(",") if k]
    if set(only) - set(MIX):
        ap.error(f"unknown kinds: {set(only) - set(MIX)}")

    work = Path.home() / ".cache" / "vocsvc" / "bench-load"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    global STEADY
    STEADY = args.steady  # the forked client processes inherit it
    url = args.db or f"sqlite:///{work / 'load.db'}"
    wavs = wav_fixtures()
    srv, base, hdr = start_server(url, work)
    prime(base, hdr, wavs, args.bulk)
    if STEADY:
        t = time.perf_counter()
        n = fill_pool(base, hdr, STEADY)
        warm = time.perf_counter() - t
        print(f"warm-up (not measured): {n:,} mentions ({STEADY:,} ids x {len(SOURCES)} sources) ingested and "
              f"tagged in {warm:.0f} s ({n / warm:.0f}/s); server RSS {rss_mib(srv.pid):.0f} MiB", flush=True)
    print(f"server pid {srv.pid} on {base}, {url.split('@')[-1]}; {args.clients} clients for {args.seconds:.0f} s",
          flush=True)
    try:
        ctx = mp.get_context("fork")
        done, out = ctx.Value("q", 0), ctx.Queue()
        procs = max(1, min(args.procs, args.clients))
        ps = [ctx.Process(target=client_proc, args=(base, hdr, args.clients // procs + (j < args.clients % procs),
                                                    args.seconds, args.bulk, j, wavs, done, out, only))
              for j in range(procs)]
        t0 = time.perf_counter()
        for p in ps:
            p.start()
        samples = []  # (seconds, requests done, RSS MiB)
        while any(p.is_alive() for p in ps) and out.qsize() < procs:
            samples.append((time.perf_counter() - t0, done.value, rss_mib(srv.pid)))
            time.sleep(1.0)
        results: dict[str, list] = {k: [[], 0] for k in MIX}
        for _ in ps:
            for k, (lat, err) in out.get().items():
                results[k][0] += lat
                results[k][1] += err
        for p in ps:
            p.join()
        elapsed = time.perf_counter() - t0
        import httpx

        depths = httpx.get(base + "/metrics/prometheus", headers=hdr, timeout=30).text
    finally:
        srv.terminate()
        srv.wait(timeout=60)

    total = sum(len(v[0]) for v in results.values())
    errors = sum(v[1] for v in results.values())
    print(f"\n{total:,} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s), errors {errors}")
    print("| kind | requests | errors | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|")
    for k, (lat, err) in results.items():
        ms = np.array(lat) * 1000 if lat else np.array([np.nan])
        print(f"| {k} | {len(lat)} | {err} | {np.percentile(ms, 50):.0f} | {np.percentile(ms, 95):.0f} | "
              f"{np.percentile(ms, 99):.0f} |")
    run = [s for s in samples if s[1] > 0]
    tenth = max(1, len(run) // 10)
    first, last = np.mean([s[2] for s in run[:tenth]]), np.mean([s[2] for s in run[-tenth:]])
    print(f"server RSS: first 10% {first:.0f} MiB, last 10% {last:.0f} MiB, max {max(s[2] for s in run):.0f} MiB, "
          f"slope {slope_per_10k([s[1] for s in run], [s[2] for s in run]):+.1f} MiB per 10k requests "
          f"({len(run)} samples)")
    print("RSS MiB at each tenth of the run:", " ".join(f"{run[min(len(run) - 1, i * len(run) // 10)][2]:.0f}"
                                                    for i in range(11)))
    print("queued at the end:", ", ".join(ln for ln in depths.splitlines() if ln.startswith("vocsvc_queue_depth")))
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
