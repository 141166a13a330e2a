"""Calls through the service: store an upload (content-addressed, probed before it becomes a job) -> job; fill the
call from the finished transcript (embeddings, themes, labels, metrics); QA reads and reviews.

Filling is idempotent and happens twice on purpose: the worker does it when the job finishes, and any read of a
call whose job is done but whose row is not filled does it again, so a worker killed in between loses nothing."""
from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import numpy as np
import sqlalchemy as sa

from vocsvc.errors import Conflict, Forbidden, InvalidInput, NotFound, StorageFull, TooLarge
from vocsvc.service.themes import current_model
from vocsvc.store import calls as store
from vocsvc.store.db import pack_vector
from vocsvc.store.rows import CallFill, CallRow, NewUtterance, ReviewRow, UtteranceRow

log = logging.getLogger("vocsvc")
AUDIO_SUFFIXES = {".wav", ".mp3", ".flac", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".webm", ".mp4", ".amr", ".gsm"}


@dataclass(slots=True)
class Submitted:
    call_id: str
    job_id: str
    state: str
    created: bool


@dataclass(slots=True)
class CallDetail:
    call: CallRow
    utterances: list[UtteranceRow]
    review: ReviewRow | None
    qa: dict | None = None  # automatic answers with the reviewer's verdicts over them (vocsvc.service.qa.view)


# Magic numbers of files people upload by mistake (or on purpose): refused by name before any demuxer guesses. A
# ZIP that stores an MP3 uncompressed even opens as MP3 (the demuxer finds the frames inside) and fails later.
_NOT_AUDIO = ((b"PK\x03\x04", "a ZIP archive"), (b"PK\x05\x06", "a ZIP archive"), (b"\x1f\x8b", "a gzip archive"),
              (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"), (b"Rar!\x1a\x07", "a RAR archive"),
              (b"BZh", "a bzip2 archive"), (b"\xfd7zXZ\x00", "an xz archive"), (b"(\xb5/\xfd", "a zstd archive"),
              (b"%PDF", "a PDF document"), (b"\x7fELF", "an executable"), (b"MZ", "a Windows executable"))
_HEAD = 1 << 16  # header bytes read for the checks above (a WAV's data chunk comes after a few small chunks)
_MEASURE_BUDGET_S = 3.0  # demuxing time allowed for a container without a duration header


def _wav_data_claim(head: bytes, size: int) -> tuple[int, int] | None:
    """(bytes the RIFF/WAVE ``data`` chunk declares, bytes the file holds after it), if found in ``head``."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= len(head):
        cid, n = head[pos : pos + 4], int.from_bytes(head[pos + 4 : pos + 8], "little")
        if cid == b"data":
            return n, size - pos - 8
        pos += 8 + n + (n & 1)
    return None


def _length(cont, stream, limit: float, size: int) -> tuple[float, bool]:
    """(seconds, whole) without decoding: the header's duration when there is one; else the packets' timestamps,
    read only until they pass ``limit`` (then ``whole`` is False: "longer than the limit" is all that is known).
    A stream too slow to read within the budget is extrapolated from the share of the file read so far."""
    if cont.duration is not None:  # microseconds, from the header (or the bitrate, as ffmpeg estimates it)
        return cont.duration / 1e6, True
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base), True
    end, pos, t0 = 0.0, 0, time.monotonic()  # a streamed container (WebM from a browser) carries no duration
    for pkt in cont.demux(stream):
        if pkt.pts is not None and pkt.time_base:
            end = max(end, float((pkt.pts + (pkt.duration or 0)) * pkt.time_base))
        pos = max(pos, pkt.pos or 0)
        if end > limit:
            return end, False
        if time.monotonic() - t0 > _MEASURE_BUDGET_S:
            return (end * size / pos if pos else end), True
    return end, True


def _hms(seconds: float) -> str:
    m = int(seconds + 0.5) // 60
    return f"{m // 60}h{m % 60:02d}m" if m >= 60 else f"{m} min" if m else f"{seconds:.0f} s"


def probe(path: Path, max_seconds: float) -> None:
    """Refuse what is not decodable audio, or longer than ``max_seconds``, now and with the reason, rather than as
    a failed job later. Only headers and packet timestamps are read: nothing is decoded, so a bomb costs nothing.

    >>> probe(Path("call.wav"), max_seconds=5400)  # returns None, or raises InvalidInput / TooLarge
    """
    import av

    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_HEAD)
    kind = next((what for magic, what in _NOT_AUDIO if head.startswith(magic)), None)
    if kind:
        raise InvalidInput(f"the file is {kind}, not a recording: upload the audio file itself")
    claim = _wav_data_claim(head, size)
    if claim and claim[0] > claim[1] + 1:  # +1: the pad byte of an odd-sized chunk
        raise InvalidInput(f"the WAV header declares {claim[0]:,} bytes of audio but the file holds {claim[1]:,}: "
                           "a forged or cut-off header (re-save the file, e.g. `sox in.wav out.wav`)")
    try:
        with av.open(str(path)) as cont:
            if not cont.streams.audio:
                raise InvalidInput("the file has no audio stream")
            seconds, whole = _length(cont, cont.streams.audio[0], max_seconds, size)
    except InvalidInput:
        raise
    except Exception as e:  # noqa: BLE001 - PyAV raises many types for corrupt input; each is "not audio"
        raise InvalidInput(f"not a readable audio file ({type(e).__name__})") from None
    if seconds > max_seconds:
        length = f"is {_hms(seconds)} long, over" if whole else "is longer than"
        raise TooLarge(f"the recording {length} the limit of {_hms(max_seconds)} (VOCSVC_MAX_AUDIO_SECONDS)")


_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}


def save_upload(stream: BinaryIO, filename: str | None, settings) -> tuple[Path, str]:
    """Copy an upload to ``<data_dir>/audio/<sha256><suffix>`` (the same recording twice is one file). A full disk
    is a 507 (StorageFull) with nothing partial left behind; the service goes on serving reads."""
    audio_dir = Path(settings.data_dir) / "audio"
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        return _copy(stream, filename, settings, audio_dir)
    except OSError as e:
        if e.errno in _DISK_FULL:
            raise StorageFull(f"no space left for the recording under {audio_dir} (disk full or over quota); "
                              "nothing was kept: free space there or move VOCSVC_DATA_DIR") from None
        raise


def _copy(stream: BinaryIO, filename: str | None, settings, audio_dir: Path) -> tuple[Path, str]:
    suffix = Path(filename or "").suffix.lower()
    suffix = suffix if suffix in AUDIO_SUFFIXES else ".audio"
    tmp = audio_dir / f".upload-{os.getpid()}-{id(stream)}.tmp"
    h = hashlib.sha256()
    n = 0
    try:
        with open(tmp, "wb") as f:
            while chunk := stream.read(1 << 20):
                n += len(chunk)
                if n > settings.max_upload_bytes:
                    raise TooLarge(f"recording too large (limit {settings.max_upload_bytes} bytes)")
                h.update(chunk)
                f.write(chunk)
        if n == 0:
            raise InvalidInput("the uploaded file is empty")
        probe(tmp, settings.max_audio_seconds)
        target = audio_dir / f"{h.hexdigest()}{suffix}"
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target, h.hexdigest()


def server_recording(settings, server_path: str) -> Path:
    """An admin's server-side path -> the real file, only inside ``settings.recordings_dir``: no ``..``, no
    symlink leading out, no absolute path elsewhere (a path is resolved before it is judged)."""
    if settings.recordings_dir is None:
        raise Forbidden("server-side recording paths are off: set VOCSVC_RECORDINGS_DIR to the folder admins may "
                        "submit from, or upload the file")
    if "\x00" in server_path:
        raise InvalidInput("path: contains a NUL character")
    root = Path(settings.recordings_dir).resolve()
    given = Path(server_path)
    try:
        inside = (root / given).resolve()  # an absolute `given` replaces `root`, then is judged like any other
    except RuntimeError:  # a symlink loop (Python < 3.13 raises this instead of OSError)
        raise InvalidInput(f"path: a symlink loop: {server_path}") from None
    if ".." in given.parts or not inside.is_relative_to(root):
        raise Forbidden(f"the path is outside VOCSVC_RECORDINGS_DIR ({root}); give a path inside it, without `..`")
    if not inside.is_file():
        raise InvalidInput(f"no such recording in VOCSVC_RECORDINGS_DIR: {server_path}")
    return inside


def submit(svc, *, upload: tuple[BinaryIO, str | None] | None = None, server_path: str | None = None,
           is_admin: bool = False, agent_id: str | None = None, customer_id: str | None = None,
           started_at: datetime | None = None, agent_channel: str = "auto", language: str = "auto") -> Submitted:
    """A recording (an upload, or a file already on the server for admins) -> one job and one call."""
    if (upload is None) == (server_path is None):
        raise InvalidInput("send exactly one of `file` (multipart upload) or `path` (admins)")
    if server_path is not None:
        if not is_admin:
            raise Forbidden("only admin keys may submit a server-side path")
        target, digest = server_recording(svc.settings, server_path), None
        probe(target, svc.settings.max_audio_seconds)
    else:
        target, digest = save_upload(upload[0], upload[1], svc.settings)
    now = svc.clock.now()
    audio_dir = Path(svc.settings.data_dir) / "audio"
    audio_dir.mkdir(parents=True, exist_ok=True)
    redacted = str(audio_dir / f"{digest or hashlib.sha256(str(target).encode()).hexdigest()}.redacted.wav")
    job, _ = svc.queue.submit(target, agent_channel, language, metadata={"agent_id": agent_id,
                                                                          "customer_id": customer_id},
                              redact_audio_to=redacted, digest=digest)
    call_id, created = store.create(svc.engine, job.id, str(target), started_at or now, now, agent_id, customer_id)
    return Submitted(call_id, job.id, job.state.value, created)


def materialize(engine: sa.Engine, job_id: str, result: dict | None, error: str | None = None,
                analyzer=None) -> bool:
    """Fill the call of ``job_id`` from its transcript (or mark it failed). True if this call filled it."""
    call = store.by_job(engine, job_id)
    if call is None or call.state != "processing":
        return False
    if result is None:
        return store.mark_failed(engine, call.id, error)
    utts = result.get("utterances", [])
    texts = [u.get("text_redacted") or "" for u in utts]
    X = analyzer.encoder([t or " " for t in texts]) if analyzer is not None and texts else None  # already redacted
    model = current_model(engine)
    theme_ids = model.assign_ids(X) if X is not None and model.themes else [None] * len(utts)
    m, r = result.get("metrics", {}), result.get("rollups", {})
    sentiment, labels = _customer_view([(u.get("role", "unknown"), u.get("tags")) for u in utts])
    duration = float(result.get("duration") or 0.0)
    return store.fill(engine, call, CallFill(
        duration=duration, language=result.get("language"), channels=result.get("channels"),
        silence_share=round(m.get("silence_total", 0.0) / duration, 4) if duration else None,
        overtalk_seconds=m.get("overtalk_seconds"),
        customer_sentiment=sentiment, has_pii=bool(r.get("pii_found")),
        metrics=m, rollups=r, redacted_audio_path=result.get("redacted_audio"),
        utterances=[NewUtterance(
            role=u.get("role", "unknown"), start=u.get("start", 0.0), end=u.get("end", 0.0),
            text_redacted=u.get("text_redacted") or "",
            sentiment=((u.get("tags") or {}).get("sentiment") or {}).get("label"), tags=u.get("tags"),
            embedding=pack_vector(X[k]) if X is not None else None, theme_id=theme_ids[k])
            for k, u in enumerate(utts)],
        labels=labels, qa=result.get("qa")))


def _customer_view(turns: list[tuple[str, dict | None]]) -> tuple[float | None, set[tuple[str, str]]]:
    """The customer's mean sentiment and the call's filter labels (customer intents and emotions, any category)."""
    cust = [t for role, t in turns if role in ("customer", "unknown") and t]
    scores = [t["sentiment"]["score"] for t in cust if t.get("sentiment")]
    labels: set[tuple[str, str]] = set()
    for t in cust:
        labels |= {("intent", i["label"]) for i in t.get("intents", [])}  # every calibrated intent, multi-label
        if t.get("emotion"):
            labels.add(("emotion", t["emotion"]))
    for _, t in turns:
        labels |= {("category", cat) for cat in (t or {}).get("categories", [])}
    return (round(float(np.mean(scores)), 3) if scores else None), labels


SWAP = {"agent": "customer", "customer": "agent"}


def swap_roles(svc, call_id: str, actor: str) -> CallDetail:
    """Agent and customer were detected the wrong way round: swap every turn's role and recompute what depends on
    it (talk time, interruptions, the customer's sentiment, filter labels, rollups, automatic QA, theme counts)."""
    from dataclasses import asdict

    from vocsvc.audio.call import rollups_of
    from vocsvc.audio.metrics import call_metrics
    from vocsvc.audio.types import Utterance

    d = detail(svc, call_id)
    if d.call.state != "ready":
        raise Conflict(f"the call is {d.call.state}; roles can be swapped once it is ready")
    old = [u.role for u in d.utterances]
    new = [SWAP.get(r, r) for r in old]
    turns = [(r, u.tags) for r, u in zip(new, d.utterances)]
    sentiment, labels = _customer_view(turns)
    metrics = {**(d.call.metrics or {}), **asdict(call_metrics(
        [Utterance(r, 0, u.start, u.end, u.text_redacted) for r, u in zip(new, d.utterances)],
        d.call.duration or 0.0))}
    metrics["roles_swapped"] = not (d.call.metrics or {}).get("roles_swapped", False)
    qa = None
    if d.call.qa is not None and d.utterances:
        from vocsvc.qa.score import scorer_for

        utts = [{"role": r, "start": u.start, "end": u.end, "text_redacted": u.text_redacted, "tags": u.tags,
                 "channel": 0, "flags": []} for r, u in zip(new, d.utterances)]
        X = svc.analyzer.encoder([u["text_redacted"] or " " for u in utts])
        qa = scorer_for(svc.settings, svc.analyzer).score(utts, d.call.language, X).to_dict()
    rollups = {**(d.call.rollups or {}), **rollups_of(turns)}
    fill = CallFill(duration=d.call.duration or 0.0, language=d.call.language, channels=d.call.channels,
                    silence_share=d.call.silence_share, overtalk_seconds=d.call.overtalk_seconds,
                    customer_sentiment=sentiment, has_pii=bool(d.call.has_pii), metrics=metrics, rollups=rollups,
                    redacted_audio_path=d.call.redacted_audio_path, utterances=[], labels=labels, qa=qa)
    store.swap_roles(svc.engine, d.call, new, fill, old, d.utterances, actor, svc.clock.now())
    return detail(svc, call_id)


def sentiment_by_quarter(utterances: list[UtteranceRow], duration: float | None) -> dict[str, list[float | None]]:
    """Mean sentiment score per quarter of the call, for the customer and the agent (a turn counts in the quarter
    its midpoint falls in); None where that side said nothing tagged in a quarter."""
    end = duration or max((u.end for u in utterances), default=0.0)
    sums = {"customer": [[] for _ in range(4)], "agent": [[] for _ in range(4)]}
    for u in utterances:
        s = ((u.tags or {}).get("sentiment") or {}).get("score")
        side = "agent" if u.role == "agent" else "customer"
        if s is None or end <= 0:
            continue
        q = min(3, int(4 * ((u.start + u.end) / 2) / end))
        sums[side][q].append(float(s))
    return {k: [round(sum(v) / len(v), 3) if v else None for v in qs] for k, qs in sums.items()}


def longest_silence(utterances: list[UtteranceRow], duration: float | None) -> tuple[float, float] | None:
    """(start, seconds) of the longest stretch with nobody speaking, leading and trailing silence included."""
    cursor, best = 0.0, None
    for u in sorted(utterances, key=lambda u: u.start):
        if u.start - cursor > 0 and (best is None or u.start - cursor > best[1]):
            best = (cursor, u.start - cursor)
        cursor = max(cursor, u.end)
    if duration and duration - cursor > 0 and (best is None or duration - cursor > best[1]):
        best = (cursor, duration - cursor)
    return (round(best[0], 2), round(best[1], 2)) if best else None


def export_rows(svc, **filters) -> Iterator[CallRow]:
    """Every call the filters select, in pages (an export never holds the whole list)."""
    off = 0
    while True:
        rows, _ = page(svc, 500, off, **filters)
        yield from rows
        if len(rows) < 500:
            return
        off += 500


def call_of_job(engine: sa.Engine, job_id: str) -> str | None:
    return store.id_of_job(engine, job_id)


def catch_up(engine: sa.Engine, analyzer) -> None:
    """Fill calls whose job finished but whose rows were not written (a worker killed in between)."""
    for job_id, state, result, error in store.finished_unfilled(engine):
        res = json.loads(result) if state == "done" and result else None
        materialize(engine, job_id, res, error, analyzer if res else None)


SORTS = ("started_at", "duration", "agent_id", "language", "customer_sentiment", "silence_share", "overtalk_seconds",
         "qa_score")


def page(svc, limit: int, offset: int, customer_sentiment: str | None = None, intent: str | None = None,
         emotion: str | None = None, category: str | None = None, sort: str = "-started_at",
         **filters) -> tuple[list[CallRow], int]:
    """A page of calls; ``sort`` is a column of SORTS, descending with a leading '-'."""
    if sort.lstrip("-") not in SORTS:
        raise InvalidInput(f"sort: one of {', '.join(SORTS)} (prefix '-' for descending)")
    catch_up(svc.engine, svc.analyzer)
    rng = {"negative": (None, -0.1 + 1e-9), "positive": (0.1 - 1e-9, None), "neutral": (-0.1, 0.1)}
    labels = {k: v for k, v in (("intent", intent), ("emotion", emotion), ("category", category)) if v}
    return store.query(svc.engine, limit, offset, labels=labels, sort=sort,
                       sentiment_range=rng.get(customer_sentiment) if customer_sentiment else None, **filters)


def detail(svc, call_id: str) -> CallDetail:
    catch_up(svc.engine, svc.analyzer)
    from vocsvc.service.qa import view

    found = store.get(svc.engine, call_id)
    if found is None:
        raise NotFound(f"no call {call_id}")
    return CallDetail(*found, qa=view(svc.settings, found[0], found[2]))


def redacted_audio(svc, call_id: str) -> Path:
    detail(svc, call_id)
    p = store.redacted_audio_path(svc.engine, call_id)
    if not p or not Path(p).exists():
        raise NotFound("no redacted audio for this call (not transcribed yet, or it failed)")
    return Path(p)


def review(svc, call_id: str, reviewer: str, score: float | None, checklist: dict, comment: str | None,
           corrections: list[dict]) -> ReviewRow:
    d = detail(svc, call_id)
    if d.call.state != "ready":
        raise Conflict(f"the call is {d.call.state}; review it once it is ready")
    if d.review is not None:
        from vocsvc.qa.workflow import check_editable

        check_editable(d.review.status)
    from vocsvc.service.qa import check_verdicts

    check_verdicts(svc.settings, checklist)
    n = len(d.utterances)
    for corr in corrections:
        if corr["utterance_index"] >= n:
            raise InvalidInput(f"corrections: utterance_index {corr['utterance_index']} out of range "
                               f"(the call has {n})")
    store.save_review(svc.engine, call_id, reviewer, score, checklist, comment, corrections, svc.clock.now())
    return detail(svc, call_id).review


def feedback_rows(engine: sa.Engine) -> Iterator[dict]:
    """One row per corrected tag: what the model said, what QA says, and the text, for retraining heads."""
    from vocsvc.clock import iso_z

    for call_id, rv, utts in store.reviews_with_utterances(engine):
        for corr in rv.corrections:
            u = utts.get(corr["utterance_index"])
            tags = (u.tags if u is not None else None) or {}
            field = corr["field"]
            model = tags.get(field)
            if field == "sentiment" and isinstance(model, dict):
                model = model.get("label")
            if field == "intents" and isinstance(model, list):
                model = [x["label"] for x in model]
            yield {"call_id": call_id, "utterance_index": corr["utterance_index"],
                   "text_redacted": u.text_redacted if u is not None else None, "role": u.role if u else None,
                   "field": field, "model_value": model, "corrected_value": corr["value"],
                   "reviewer": rv.reviewer, "reviewed_at": iso_z(rv.updated_at)}
