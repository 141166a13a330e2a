"""Response models (``*Public``): what each route returns, as the OpenAPI shows it. Built from the service's typed
rows at the edge (``from_row``); times are UTC ISO 8601 with a ``Z``."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, PlainSerializer

from vocsvc.clock import iso_z

UtcTime = Annotated[datetime, PlainSerializer(iso_z, return_type=str)]
T = TypeVar("T")


class Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Public, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = None


# ---------------------------------------------------------------------- mentions
class AuthorPublic(Public):
    handle: str | None = None
    followers: int | None = None
    is_vip: bool = False


class MentionPublic(Public):
    id: str
    source: str
    external_id: str
    channel: str
    created_at: UtcTime
    ingested_at: UtcTime
    author: AuthorPublic
    rating: int | None
    nps: int | None
    product: str | None
    customer_id: str | None
    url: str | None
    text_redacted: str
    state: str
    error: str | None
    lang: str | None
    sentiment: str | None
    sentiment_score: float | None
    emotion: str | None
    intent: str | None
    theme_id: str | None
    tags: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, r, **extra) -> MentionPublic:
        return cls(id=r.id, source=r.source, external_id=r.external_id, channel=r.channel, created_at=r.created_at,
                   ingested_at=r.ingested_at,
                   author=AuthorPublic(handle=r.author_handle, followers=r.author_followers, is_vip=r.author_is_vip),
                   rating=r.rating, nps=r.nps, product=r.product, customer_id=r.customer_id, url=r.url,
                   text_redacted=r.text_redacted, state=r.state, error=r.error, lang=r.lang, sentiment=r.sentiment,
                   sentiment_score=r.sentiment_score, emotion=r.emotion, intent=r.intent, theme_id=r.theme_id,
                   tags=r.tags, **extra)


class MentionCreated(MentionPublic):
    created: bool


class IngestedPublic(Public):
    id: str
    source: str
    external_id: str
    state: str
    created: bool


class IngestResult(Public):
    items: list[MentionCreated | IngestedPublic]
    created: int
    existing: int


# ---------------------------------------------------------------------- themes and metrics
class ExamplePublic(Public):
    id: str
    channel: str
    text_redacted: str
    sentiment: str | None


class SeriesPoint(Public):
    period: str
    volume: int


class ThemePublic(Public):
    id: str
    label: str
    keyphrases: list[str]
    active: bool
    volume: int
    share: float
    net_sentiment: float | None
    series: list[SeriesPoint]
    previous_volume: int
    previous_share: float = 0.0
    change_pct: float | None = None
    z: float = 0.0
    significant: bool
    emerging: bool
    examples: list[ExamplePublic] = []
    auto_label: str | None = None  # the discovered label (`label` is a person's where they renamed the theme)
    # NPS (CSAT) of the period's mentions minus the same without this theme's mentions, in points: negative, the
    # theme drags the score down; null: the theme has no answers (ratings) in the period, or nothing else has
    nps_impact: float | None = None
    csat_impact: float | None = None


class ThemeDetail(ThemePublic):
    size_at_discovery: int
    first_seen: UtcTime
    interval: str
    merged_into: str | None = None  # this theme was merged into that one (where its documents went)
    merged_from: list[str] = []  # themes merged into this one, directly or through a chain


class ThemesPage(Page[ThemePublic]):
    period: dict[str, str]
    documents: int
    unthemed_share: float


class ThemeDocPublic(Public):
    kind: str
    id: str
    channel: str
    created_at: UtcTime
    text_redacted: str
    sentiment: str | None


class DiscoverResult(Public):
    themes: int
    documents: int
    fitted_on: int
    kept_ids: int
    new_ids: int
    unthemed_share: float


class MetricFiguresPublic(Public):
    volume: int
    nps: float | None
    nps_responses: int
    csat: float | None
    ratings: int
    net_sentiment: float | None
    tagged: int


class MetricGroup(MetricFiguresPublic):
    key: str | None


class MetricsPublic(MetricFiguresPublic):
    group_by: str | None = None
    groups: list[MetricGroup] = []


# ---------------------------------------------------------------------- alerts
class AlertMentionPublic(Public):
    id: str
    source: str
    external_id: str
    url: str | None
    author: str | None
    text_redacted: str
    created_at: UtcTime
    sentiment_score: float | None
    author_followers: int | None = None
    author_is_vip: bool = False


class AlertEventPublic(Public):
    at: UtcTime
    actor: str
    action: str
    detail: dict[str, Any]


class AlertPublic(Public):
    id: str
    status: str
    priority: str
    priority_score: float
    channel: str
    reasons: list[str]
    created_at: UtcTime
    opened_at: UtcTime
    due_at: UtcTime
    escalated: bool
    escalated_at: UtcTime | None
    assignee: str | None
    closed_at: UtcTime | None
    mentions: list[AlertMentionPublic]
    overdue: bool
    hours_left: float

    @classmethod
    def from_row(cls, a, now: datetime, **extra):
        return cls(id=a.id, status=a.status, priority=a.priority, priority_score=a.priority_score, channel=a.channel,
                   reasons=a.reasons, created_at=a.created_at, opened_at=a.opened_at, due_at=a.due_at,
                   escalated=a.escalated_at is not None, escalated_at=a.escalated_at, assignee=a.assignee,
                   closed_at=a.closed_at, mentions=[AlertMentionPublic.model_validate(m) for m in a.mentions],
                   overdue=a.status in ("open", "acknowledged") and a.due_at <= now,
                   hours_left=round((a.due_at - now).total_seconds() / 3600, 2), **extra)


class AlertDetail(AlertPublic):
    events: list[AlertEventPublic]

    @classmethod
    def from_row(cls, a, now: datetime, **extra):
        return super().from_row(a, now, events=[AlertEventPublic.model_validate(e) for e in a.events or []])


# ---------------------------------------------------------------------- search
class SearchHitPublic(Public):
    kind: str
    id: str
    score: float
    channel: str | None = None
    source: str | None = None
    created_at: UtcTime | None = None
    text_redacted: str | None = None
    sentiment: str | None = None
    theme_id: str | None = None
    call_id: str | None = None
    role: str | None = None
    start: float | None = None


class SearchPage(Page[SearchHitPublic]):
    mode: str


# ---------------------------------------------------------------------- calls and jobs
class CallSubmitted(Public):
    call_id: str
    job_id: str
    state: str
    created: bool


class JobPublic(Public):
    id: str
    kind: str
    state: str
    progress: float
    attempts: int
    max_attempts: int
    error: str | None
    call_id: str | None
    created_at: float
    started_at: float | None
    finished_at: float | None


class CallSummary(Public):
    id: str
    job_id: str
    state: str
    agent_id: str | None
    customer_id: str | None
    started_at: UtcTime
    duration: float | None
    language: str | None
    channels: int | None
    silence_share: float | None
    overtalk_seconds: float | None
    customer_sentiment: float | None
    has_pii: bool | None
    reviewed: bool
    has_redacted_audio: bool
    qa_score: float | None = None  # automatic, 0-100
    reason: str | None = None  # the customer's main intent
    outcome: str | None = None  # resolved | follow_up | escalated | unresolved

    @classmethod
    def from_row(cls, r, **extra):
        return cls(id=r.id, job_id=r.job_id, state=r.state, agent_id=r.agent_id, customer_id=r.customer_id,
                   started_at=r.started_at, duration=r.duration, language=r.language, channels=r.channels,
                   silence_share=r.silence_share, overtalk_seconds=r.overtalk_seconds,
                   customer_sentiment=r.customer_sentiment, has_pii=r.has_pii, reviewed=r.reviewed,
                   has_redacted_audio=bool(r.redacted_audio_path), qa_score=r.qa_score, reason=r.reason,
                   outcome=r.outcome, **extra)


class UtterancePublic(Public):
    index: int
    role: str
    start: float
    end: float
    text_redacted: str
    theme_id: str | None
    tags: dict[str, Any] | None


class ReviewEventPublic(Public):
    at: UtcTime
    actor: str
    action: str
    detail: dict[str, Any]


class ReviewPublic(Public):
    reviewer: str
    score: float | None
    checklist: dict[str, bool | str | int]
    comment: str | None
    corrections: list[dict[str, Any]]
    created_at: UtcTime
    updated_at: UtcTime
    status: str = "draft"  # draft | submitted | acknowledged | disputed | resolved
    disputes: dict[str, str] = {}
    resolution: str | None = None
    history: list[ReviewEventPublic] = []

    @classmethod
    def from_detail(cls, d, history) -> ReviewPublic:
        return cls.model_validate(d.review).model_copy(
            update={"history": [ReviewEventPublic.model_validate(e) for e in history]})


class EvidencePublic(Public):
    utterance: int
    start: float


class QaItemPublic(Public):
    id: str
    section: str
    title: str
    type: str  # yes_no | scale
    weight: float
    auto: str | int  # the automatic answer: yes / no / na, or the scale's number
    confidence: float
    evidence: list[EvidencePublic]
    reviewer: str | int | None = None  # the reviewer's verdict, when given
    final: str | int


class QaPublic(Public):
    scorecard: str
    score: float | None  # automatic
    sections: dict[str, float | None]
    final_score: float | None  # with the reviewer's verdicts
    final_sections: dict[str, float | None]
    reason: dict[str, Any] | None  # {"intent", "confidence", "evidence"}
    outcome: dict[str, Any]  # {"label", "evidence"}
    items: list[QaItemPublic]


class CallDetailPublic(CallSummary):
    metrics: dict[str, Any] | None
    error: str | None
    rollups: dict[str, Any] | None
    utterances: list[UtterancePublic]
    review: ReviewPublic | None
    qa: QaPublic | None = None
    sentiment_by_quarter: dict[str, list[float | None]] = {}  # customer / agent: mean score per quarter of the call
    longest_silence: dict[str, float] | None = None  # {"start", "seconds"}

    @classmethod
    def from_detail(cls, d, history=()):
        from vocsvc.service.calls import longest_silence, sentiment_by_quarter

        r = d.call
        gap = longest_silence(d.utterances, r.duration) if r.state == "ready" else None
        return cls.from_row(
            r, metrics=r.metrics, error=(r.metrics or {}).get("error") if r.state == "failed" else None,
            rollups=r.rollups, utterances=[UtterancePublic.model_validate(u) for u in d.utterances],
            review=ReviewPublic.from_detail(d, history) if d.review else None,
            qa=QaPublic.model_validate(d.qa) if d.qa else None,
            sentiment_by_quarter=sentiment_by_quarter(d.utterances, r.duration) if r.state == "ready" else {},
            longest_silence={"start": gap[0], "seconds": gap[1]} if gap else None)


class AgreementItemPublic(Public):
    n: int
    agree: int
    rate: float
    confusion: dict[str, int]  # "auto->human": count


class AgreementPublic(Public):
    overall: float | None
    items: dict[str, AgreementItemPublic]


class AgentPeriodPublic(Public):
    period: str
    calls: int
    score: float | None


class AgentFailedItemPublic(Public):
    item: str
    title: str
    failed: int
    answered: int
    rate: float


class AgentQaPublic(Public):
    agent_id: str
    calls: int
    score: float | None
    series: list[AgentPeriodPublic]
    failed_most: list[AgentFailedItemPublic]
    talk_ratio: float | None
    silence_share: float | None
    interruptions_per_call: float | None
    outcomes: dict[str, int]
    reasons: dict[str, int]


# ---------------------------------------------------------------------- ops
class HealthPublic(Public):
    status: str
    database: dict[str, Any]
    models: dict[str, Any]
    worker: dict[str, Any]


# ---------------------------------------------------------------------- keys, audit, deletion
class KeyPublic(Public):
    id: str
    name: str
    role: str
    created_at: UtcTime | None = None
    revoked: bool = False
    expires_at: UtcTime | None = None
    last_used_at: UtcTime | None = None
    rotated_to: str | None = None
    rate_limit_per_minute: int | None = None
    uploads_per_day: int | None = None
    max_upload_bytes: int | None = None


class KeyCreated(KeyPublic):
    key: str  # shown once
    old_key_valid_until: UtcTime | None = None  # rotation: when the replaced key stops working


class AuditEntryPublic(Public):
    id: int
    at: UtcTime
    key_id: str | None
    action: str
    object_type: str | None
    object_id: str | None
    status: int | None
    detail: dict[str, Any]


class DeletionReceipt(Public):
    id: str
    subject: str
    at: UtcTime
    rows: dict[str, int]
    files: int
