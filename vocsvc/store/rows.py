"""Typed rows: what the store takes and gives back. Plain dataclasses of stored values (times are naive UTC);
JSON columns arrive parsed. The service composes them; ``api/`` turns them into public response models."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


def _json(v: str | None, default: Any = None) -> Any:
    return json.loads(v) if v else default


@dataclass(slots=True)
class NewMention:
    """A mention to insert: redacted text only; ``pii`` holds the spans found in the original at ingest."""

    id: str
    source: str
    external_id: str
    channel: str
    created_at: datetime
    ingested_at: datetime
    text_redacted: str
    text_sha256: str
    pii: list[dict] = field(default_factory=list)
    author_handle: str | None = None
    author_followers: int | None = None
    author_is_vip: bool = False
    rating: int | None = None
    nps: int | None = None
    product: str | None = None
    customer_id: str | None = None
    url: str | None = None
    lang_hint: str | None = None
    # set when the mention arrives already tagged (batch loads)
    state: str = "pending"
    tagged: TagUpdate | None = None


@dataclass(slots=True)
class TagUpdate:
    """What tagging writes to a mention."""

    lang: str | None
    sentiment: str | None
    sentiment_score: float | None
    emotion: str | None
    intent: str | None
    tags: dict
    embedding: bytes | None
    theme_id: str | None
    model: str | None = None  # Analyzer.fingerprint


@dataclass(frozen=True, slots=True)
class Ingested:
    id: str
    source: str
    external_id: str
    created: bool
    state: str


@dataclass(slots=True)
class MentionRow:
    id: str
    source: str
    external_id: str
    channel: str
    created_at: datetime
    ingested_at: datetime
    author_handle: str | None
    author_followers: int | None
    author_is_vip: bool
    rating: int | None
    nps: int | None
    product: str | None
    customer_id: str | None
    url: str | None
    lang_hint: str | None
    text_redacted: str
    text_sha256: str
    pii: list[dict]
    state: str
    error: str | None
    lang: str | None
    sentiment: str | None
    sentiment_score: float | None
    emotion: str | None
    intent: str | None
    tags: dict | None
    theme_id: str | None
    model: str | None = None  # the fingerprint of the model that tagged it; None: before migration 0011

    @classmethod
    def from_row(cls, r) -> MentionRow:
        return cls(r.id, r.source, r.external_id, r.channel, r.created_at, r.ingested_at, r.author_handle,
                   r.author_followers, bool(r.author_is_vip), r.rating, r.nps, r.product, r.customer_id, r.url,
                   r.lang_hint, r.text_redacted, r.text_sha256, _json(r.pii, []), r.state, r.error, r.lang,
                   r.sentiment, r.sentiment_score, r.emotion, r.intent, _json(r.tags), r.theme_id,
                   getattr(r, "model", None))


@dataclass(slots=True)
class ExportRow:
    mention: MentionRow
    theme_label: str | None
    alert_id: str | None
    alert_status: str | None
    alert_priority: str | None
    alert_due_at: datetime | None


@dataclass(slots=True)
class AlertMentionRef:
    id: str
    source: str
    external_id: str
    url: str | None
    author: str | None
    text_redacted: str
    created_at: datetime
    sentiment_score: float | None
    author_followers: int | None = None  # the author's reach, as the post said it
    author_is_vip: bool = False


@dataclass(slots=True)
class AlertEvent:
    at: datetime
    actor: str
    action: str
    detail: dict


@dataclass(slots=True)
class AlertRow:
    id: str
    mention_id: str
    author_key: str | None
    channel: str
    status: str
    priority: str
    priority_score: float
    reasons: list[str]
    created_at: datetime
    opened_at: datetime
    due_at: datetime
    escalated_at: datetime | None
    assignee: str | None
    closed_at: datetime | None
    last_mention_at: datetime
    mentions: list[AlertMentionRef] = field(default_factory=list)
    events: list[AlertEvent] | None = None

    @classmethod
    def from_row(cls, r) -> AlertRow:
        return cls(r.id, r.mention_id, r.author_key, r.channel, r.status, r.priority, r.priority_score,
                   _json(r.reasons, []), r.created_at, r.opened_at, r.due_at, r.escalated_at, r.assignee,
                   r.closed_at, r.last_mention_at)


@dataclass(slots=True)
class NewAlert:
    id: str
    mention_id: str
    author_key: str | None
    channel: str
    priority: str
    priority_score: float
    reasons: list[str]
    created_at: datetime
    opened_at: datetime
    due_at: datetime


@dataclass(slots=True)
class ThemeRow:
    id: str
    label: str
    keyphrases: list[str]
    centroid: bytes
    floor: float
    size: int
    active: bool
    first_seen: datetime
    updated_at: datetime
    user_label: str | None = None  # theme_edits: a person's label, shown instead of the discovered ``label``
    merged_into: str | None = None  # theme_edits: merged into this one (chains: vocsvc.themes.resolve_merges)

    @property
    def shown_label(self) -> str:
        return self.user_label or self.label

    @classmethod
    def from_row(cls, r) -> ThemeRow:
        """A ``themes`` row, with its edit where the query joined ``theme_edits`` (``user_label``, ``merged_into``)."""
        m = r._mapping
        return cls(r.id, r.label, _json(r.keyphrases, []), r.centroid, r.floor, r.size, bool(r.active),
                   r.first_seen, r.updated_at, m.get("user_label"), m.get("merged_into"))


@dataclass(slots=True)
class ThemeCounts:
    """Documents of one theme (None: unthemed) on one day: all, positive, negative; and, where asked for, their
    NPS answers and 1-5 ratings (as MetricCounts counts them)."""

    theme_id: str | None
    day: str
    n: int
    pos: int
    neg: int
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    rating_n: int = 0
    satisfied: int = 0


@dataclass(slots=True)
class MetricCounts:
    """Counters behind every business figure, for one group key (None: the whole period)."""

    key: str | None
    volume: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    rating_n: int = 0
    satisfied: int = 0
    tagged: int = 0
    pos: int = 0
    neg: int = 0

    def add(self, other: MetricCounts) -> None:
        for f in METRIC_COUNTERS:
            setattr(self, f, getattr(self, f) + (getattr(other, f) or 0))


METRIC_COUNTERS = ("volume", "nps_n", "promoters", "detractors", "rating_n", "satisfied", "tagged", "pos", "neg")


@dataclass(slots=True)
class ExampleRow:
    id: str
    channel: str
    text_redacted: str
    sentiment: str | None


@dataclass(slots=True)
class ThemeDocRow:
    kind: str  # mention | utterance
    id: str
    channel: str
    created_at: datetime
    text_redacted: str
    sentiment: str | None


@dataclass(slots=True)
class SearchHit:
    kind: str  # mention | utterance
    id: str
    score: float
    channel: str | None = None
    source: str | None = None
    created_at: datetime | None = None
    text_redacted: str | None = None
    sentiment: str | None = None
    theme_id: str | None = None
    call_id: str | None = None
    role: str | None = None
    start: float | None = None


@dataclass(slots=True)
class CallRow:
    id: str
    job_id: str
    state: str
    agent_id: str | None
    customer_id: str | None
    started_at: datetime
    created_at: datetime
    audio_path: str
    redacted_audio_path: str | None
    duration: float | None
    language: str | None
    channels: int | None
    silence_share: float | None
    overtalk_seconds: float | None
    customer_sentiment: float | None
    has_pii: bool | None
    reviewed: bool
    metrics: dict | None
    rollups: dict | None
    qa: dict | None = None
    qa_score: float | None = None
    reason: str | None = None
    outcome: str | None = None
    audio_deleted_at: datetime | None = None

    @classmethod
    def from_row(cls, r) -> CallRow:
        return cls(r.id, r.job_id, r.state, r.agent_id, r.customer_id, r.started_at, r.created_at, r.audio_path,
                   r.redacted_audio_path, r.duration, r.language, r.channels, r.silence_share, r.overtalk_seconds,
                   r.customer_sentiment, r.has_pii, bool(r.reviewed), _json(r.metrics), _json(r.rollups),
                   _json(r.qa), r.qa_score, r.reason, r.outcome, r.audio_deleted_at)


@dataclass(slots=True)
class UtteranceRow:
    index: int
    role: str
    start: float
    end: float
    text_redacted: str
    theme_id: str | None
    tags: dict | None


@dataclass(slots=True)
class NewUtterance:
    role: str
    start: float
    end: float
    text_redacted: str
    sentiment: str | None
    tags: dict | None
    embedding: bytes | None
    theme_id: str | None


@dataclass(slots=True)
class CallFill:
    """A finished transcript reduced to what the calls table, its utterances and its labels keep."""

    duration: float
    language: str | None
    channels: int | None
    silence_share: float | None
    overtalk_seconds: float | None
    customer_sentiment: float | None
    has_pii: bool
    metrics: dict
    rollups: dict
    redacted_audio_path: str | None
    utterances: list[NewUtterance]
    labels: set[tuple[str, str]]
    qa: dict | None = None


@dataclass(slots=True)
class ReviewRow:
    reviewer: str
    score: float | None
    checklist: dict
    comment: str | None
    corrections: list[dict]
    created_at: datetime
    updated_at: datetime
    status: str = "draft"  # vocsvc.qa.workflow
    disputes: dict = field(default_factory=dict)  # {item id: reason}
    resolution: str | None = None

    @classmethod
    def from_row(cls, rv) -> ReviewRow:
        m = rv._mapping
        return cls(rv.reviewer, rv.score, json.loads(rv.checklist or "{}"), rv.comment, json.loads(rv.corrections or "[]"),
                   rv.created_at, rv.updated_at, m.get("status") or "draft", json.loads(m.get("disputes") or "{}"),
                   m.get("resolution"))


@dataclass(frozen=True, slots=True)
class ReviewEvent:
    at: datetime
    actor: str
    action: str  # save | submit | acknowledge | dispute | resolve | swap_roles
    detail: dict


@dataclass(slots=True)
class Delivery:
    id: int
    event: str
    url: str
    body: str
    attempts: int
