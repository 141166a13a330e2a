"""The demo data set (``examples/demo``): synthetic mentions and call recordings of a fictional operator, loaded
through the service exactly like a client's data, and safe to load again.

* mentions: ``mentions.jsonl``, one ``MentionIn`` a line with ``days_ago`` instead of ``created_at`` (the demo is
  dated relative to the load, so it always looks recent); ingested with their own source (``demo``) and ids, so a
  second load finds them all (``source`` + ``external_id`` is the key), then enqueued for tagging like
  ``POST /v1/mentions`` does.
* calls: ``calls.yaml`` lists the recordings with agent, customer, language and channel layout; each is submitted
  like an upload. The same recording with the same options is the same job and the same call, so a second load
  creates nothing.
* :func:`settle` (``vocsvc demo load --wait``) tags what is pending here instead of waiting for a worker and
  discovers themes once there is something new to fit on; :func:`admin_key` keeps one admin key in a 0600 file.

>>> counts = load(svc, default_dir(), svc.clock.now())   # {'mentions_created': 357, 'mentions_existing': 0, ...}
"""
from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from vocsvc.errors import InvalidInput

log = logging.getLogger("vocsvc")
SOURCE = "demo"
_REPO_DEMO_DIR = Path(__file__).resolve().parents[2] / "examples" / "demo"
THEMES_MIN_DOCUMENTS = 50  # the housekeeping loop's own threshold: fewer documents make no useful themes


@dataclass(frozen=True, slots=True)
class DemoCall:
    path: Path
    language: str
    agent_channel: str
    agent_id: str | None
    customer_id: str | None
    days_ago: float


def default_dir() -> Path:
    """``examples/demo`` of the source checkout this package runs from (an installed wheel has none: pass a dir)."""
    if not (_REPO_DEMO_DIR / "mentions.jsonl").is_file():
        raise InvalidInput(f"no demo data at {_REPO_DEMO_DIR} (it ships with the source checkout, not the wheel): "
                           "give the folder with mentions.jsonl and calls.yaml, e.g. `vocsvc demo load --dir PATH`")
    return _REPO_DEMO_DIR


def read_mentions(demo_dir: Path, now: datetime):
    """``mentions.jsonl`` as validated ``MentionIn`` items dated ``now - days_ago`` (a bad line names itself)."""
    from pydantic import ValidationError

    from vocsvc.service.mentions import MentionIn

    path = Path(demo_dir) / "mentions.jsonl"
    if not path.is_file():
        raise InvalidInput(f"no demo mentions at {path}: give the folder holding mentions.jsonl and calls.yaml "
                           "(examples/demo in the source checkout)")
    items = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                row.pop("demo", None)  # the intended theme and sentiment, for people reading the file
                days = float(row.pop("days_ago", 0.0))
                row.setdefault("source", SOURCE)
                items.append(MentionIn(**row, created_at=now - timedelta(days=days)))
            except (ValueError, TypeError, ValidationError) as e:
                raise InvalidInput(f"{path}:{n}: not a demo mention ({e})") from None
    return items


def read_calls(demo_dir: Path) -> list[DemoCall]:
    """``calls.yaml`` (absent: no calls) as recordings that exist, with their submit options."""
    import yaml

    path = Path(demo_dir) / "calls.yaml"
    if not path.is_file():
        return []
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for i, c in enumerate(doc.get("calls") or []):
        audio = Path(demo_dir) / str(c.get("file", ""))
        if not audio.is_file():
            raise InvalidInput(f"{path}: calls[{i}]: no recording at {audio} (re-render it with "
                               "examples/demo/render_calls.py)")
        channel = str(c.get("agent_channel", "auto"))
        language = str(c.get("language", "auto"))
        if channel not in ("left", "right", "auto") or language not in ("auto", "ru", "en"):
            raise InvalidInput(f"{path}: calls[{i}]: agent_channel is left/right/auto and language auto/ru/en")
        out.append(DemoCall(audio, language, channel, c.get("agent_id"), c.get("customer_id"),
                            float(c.get("days_ago", 0.0))))
    return out


def load(svc, demo_dir: Path, now: datetime) -> dict:
    """Ingest the demo mentions (queued for tagging) and submit the demo calls (queued for transcription).

    Idempotent: a second load returns the same totals as ``*_existing`` and changes nothing. A mention keeps the
    date of its first load.
    """
    from vocsvc.service import calls, mentions

    items = read_mentions(demo_dir, now)
    result = mentions.ingest(svc.engine, items, now)
    new = [r.id for r in result if r.created]
    for k in range(0, len(new), 256):  # as POST /v1/mentions does; a queue that is down leaves them to the sweep
        try:
            svc.queue.tag_task(new[k : k + 256])
        except Exception:  # noqa: BLE001 - pending mentions are re-enqueued by the housekeeping loop
            log.warning("demo: %d mentions not enqueued (queue down); the housekeeping loop will", len(new[k:k+256]))
    submitted = existing = 0
    for c in read_calls(demo_dir):
        with open(c.path, "rb") as f:
            s = calls.submit(svc, upload=(f, c.path.name), agent_id=c.agent_id, customer_id=c.customer_id,
                             started_at=now - timedelta(days=c.days_ago), agent_channel=c.agent_channel,
                             language=c.language)
        submitted += s.created
        existing += not s.created
    return {"mentions_created": len(new), "mentions_existing": len(result) - len(new),
            "calls_submitted": submitted, "calls_existing": existing}


def settle(svc, progress: Callable[[str], None] | None = None) -> dict:
    """Tag every pending mention in this process (not waiting for a worker), then re-discover themes when this
    tagged anything or there are no themes yet (and there are enough documents to fit them on).

    Returns ``{"tagged": n, "pending_left": n, "themes": <rediscover's summary, or None>}``."""
    from vocsvc.service.mentions import tag
    from vocsvc.service.themes import current_model, rediscover
    from vocsvc.store.mentions import count_by_state
    from vocsvc.store.themes import document_count

    say = progress or (lambda _msg: None)
    pending = count_by_state(svc.engine, "pending")
    tagged = 0
    if pending:
        say(f"tagging {pending} mentions (loading the models first)")
    while pending:
        tagged += tag(svc.engine, svc.analyzer, svc.settings, svc.clock.now())
        left = count_by_state(svc.engine, "pending")
        if left >= pending:  # nothing moved (all failed, or another process holds them): do not spin
            break
        pending = left
        say(f"tagged {tagged}, {pending} pending")
    themes = None
    if (tagged or not current_model(svc.engine).themes) and document_count(svc.engine) >= THEMES_MIN_DOCUMENTS:
        say("discovering themes")
        themes = rediscover(svc.engine, svc.settings, svc.clock.now())
        say(f"{themes['themes']} themes over {themes['documents']} documents "
            f"({themes['unthemed_share']:.0%} unthemed)")
    return {"tagged": tagged, "pending_left": pending, "themes": themes}


def admin_key(svc, path: Path, name: str = "demo-admin") -> tuple[str, bool]:
    """(plain admin key, created): the key saved at ``path`` while it is still a valid admin key of this database,
    else a new one named ``name``, saved there with mode 0600 (a key is shown only once, so the file keeps it)."""
    from vocsvc.service import keys
    from vocsvc.store.keys import verify_key

    path = Path(path)
    if path.is_file():
        plain = path.read_text(encoding="utf-8").strip()
        found = verify_key(svc.engine, plain, svc.clock.now())
        if found is not None and found.role == "admin":
            return plain, False
    _key, plain = keys.create(svc, None, "admin", name)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(plain + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return plain, True
