"""Every table of the service database. Migrations (``migrations/versions``) create exactly these.

Times are UTC ``DateTime`` columns except the job table's epoch floats (kept from the transcription worker).
Embeddings are float16 blobs beside the row they embed, so themes and semantic search never re-encode.
Text is stored redacted only: the original is never written (its sha256 detects a changed repeat).
"""
from __future__ import annotations

import sqlalchemy as sa

from vocsvc.types import ALERT_STATES, CHANNELS, KEY_ROLES, PUBLIC_CHANNELS  # noqa: F401 (re-exported)

ROLES = KEY_ROLES
metadata = sa.MetaData()

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("key", sa.String(128), nullable=False, unique=True),  # e.g. transcribe:<sha256 of audio>:<params>
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("max_attempts", sa.Integer, nullable=False, default=3),
    sa.Column("claim", sa.String(64)),  # which worker run holds it
    sa.Column("heartbeat_at", sa.Float),
    sa.Column("progress", sa.Float, nullable=False, default=0.0),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("enqueued_at", sa.Float),
    sa.Column("not_before", sa.Float),  # retry backoff
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float),
    sa.Column("error", sa.Text),
    sa.Column("result", sa.Text),
    sa.Column("completions", sa.Integer, nullable=False, default=0),  # must end at 1; tests check it
)



api_keys = sa.Table(
    "api_keys", metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # the key's public prefix
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
    sa.Column("expires_at", sa.DateTime),  # NULL: never; a rotated key gets now + the grace period
    sa.Column("last_used_at", sa.DateTime),  # written at most once a minute per key and process
    sa.Column("rotated_to", sa.String(16)),  # the key that replaced this one
    sa.Column("rate_limit_per_minute", sa.Integer),  # NULL: the settings' default
    sa.Column("uploads_per_day", sa.Integer),
    sa.Column("max_upload_bytes", sa.BigInteger),
)

mentions = sa.Table(
    "mentions", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("source", sa.String(100), nullable=False),
    sa.Column("external_id", sa.String(300), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    sa.Column("author_handle", sa.String(300)),
    sa.Column("author_followers", sa.Integer),
    sa.Column("author_is_vip", sa.Boolean, nullable=False, default=False),
    sa.Column("rating", sa.SmallInteger),
    sa.Column("nps", sa.SmallInteger),
    sa.Column("product", sa.String(200)),
    sa.Column("customer_id", sa.String(200)),
    sa.Column("url", sa.String(2000)),
    sa.Column("lang_hint", sa.String(8)),
    sa.Column("text_redacted", sa.Text, nullable=False),
    sa.Column("text_sha256", sa.String(64), nullable=False),
    sa.Column("pii", sa.Text),  # JSON [{type, start, end}] found at ingest, in the original (unstored) text
    sa.Column("state", sa.String(16), nullable=False),  # pending -> tagged | failed
    sa.Column("error", sa.Text),
    sa.Column("lang", sa.String(8)),
    sa.Column("sentiment", sa.String(16)),
    sa.Column("sentiment_score", sa.Float),
    sa.Column("emotion", sa.String(16)),
    sa.Column("intent", sa.String(64)),
    sa.Column("tags", sa.Text),  # the analyze JSON contract
    sa.Column("embedding", sa.LargeBinary),
    sa.Column("theme_id", sa.String(32)),
    sa.Column("model", sa.String(64)),  # Analyzer.fingerprint of the model that tagged it (0011; None: older)
    sa.UniqueConstraint("source", "external_id", name="uq_mentions_source_external_id"),
    sa.Index("ix_mentions_created_at", "created_at"),
    sa.Index("ix_mentions_state", "state"),
    sa.Index("ix_mentions_theme", "theme_id"),
    sa.Index("ix_mentions_channel_created", "channel", "created_at"),
    # every column theme statistics read from the rows of a partial day (0010: with the NPS answer and rating)
    sa.Index("ix_mentions_stats", "state", "created_at", "theme_id", "sentiment", "channel", "lang", "product", "nps",
             "rating"),
    sa.Index("ix_mentions_theme_created", "theme_id", "created_at"),
    # what another model tagged, in id order (vocsvc retag), and which models those were (a start-up probe)
    sa.Index("ix_mentions_model", "model", "state", "id"),
    sa.Index("ix_mentions_theme_scores", "theme_id", "created_at", "nps", "rating", "channel", "lang", "product",
             sqlite_where=sa.text("nps IS NOT NULL OR rating IS NOT NULL"),  # NPS / CSAT impact per theme,
             postgresql_where=sa.text("nps IS NOT NULL OR rating IS NOT NULL")),  # index-only over answers
)

mention_labels = sa.Table(  # every calibrated intent and phrase category of a tagged mention, for filtering
    "mention_labels", metadata,
    sa.Column("mention_id", sa.String(36), sa.ForeignKey("mentions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("label", sa.String(64), primary_key=True),
    sa.Index("ix_mention_labels_kind_label", "kind", "label"),
)

calls = sa.Table(
    "calls", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("job_id", sa.String(36), nullable=False, unique=True),
    sa.Column("state", sa.String(16), nullable=False),  # processing -> ready | failed
    sa.Column("agent_id", sa.String(200)),
    sa.Column("customer_id", sa.String(200)),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("audio_path", sa.String(1000), nullable=False),
    sa.Column("redacted_audio_path", sa.String(1000)),
    sa.Column("duration", sa.Float),
    sa.Column("language", sa.String(8)),
    sa.Column("channels", sa.SmallInteger),
    sa.Column("silence_share", sa.Float),
    sa.Column("overtalk_seconds", sa.Float),
    sa.Column("customer_sentiment", sa.Float),
    sa.Column("has_pii", sa.Boolean),
    sa.Column("reviewed", sa.Boolean, nullable=False, default=False),
    sa.Column("audio_deleted_at", sa.DateTime),  # the retention purge removed the recording files
    sa.Column("qa", sa.Text),  # automatic QA: items with answer, confidence, evidence; sections; reason; outcome
    sa.Column("qa_score", sa.Float),  # 0-100, automatic
    sa.Column("reason", sa.String(64)),  # the customer's main intent
    sa.Column("outcome", sa.String(16)),  # resolved | follow_up | escalated | unresolved
    sa.Column("metrics", sa.Text),
    sa.Column("rollups", sa.Text),
    sa.Index("ix_calls_started_at", "started_at"),
    sa.Index("ix_calls_agent", "agent_id"),
    sa.Index("ix_calls_agent_started", "agent_id", "started_at"),
)

call_labels = sa.Table(  # intent / emotion / category labels of a call, for filtering
    "call_labels", metadata,
    sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("label", sa.String(64), primary_key=True),
    sa.Index("ix_call_labels_kind_label", "kind", "label"),
)

utterances = sa.Table(
    "utterances", metadata,
    sa.Column("id", sa.String(48), primary_key=True),  # <call id>:<index>
    sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    sa.Column("idx", sa.Integer, nullable=False),
    sa.Column("speaker", sa.String(16), nullable=False),
    sa.Column("start", sa.Float, nullable=False),
    sa.Column("end", sa.Float, nullable=False),
    sa.Column("text_redacted", sa.Text, nullable=False),
    sa.Column("sentiment", sa.String(16)),
    sa.Column("tags", sa.Text),
    sa.Column("embedding", sa.LargeBinary),
    sa.Column("theme_id", sa.String(32)),
    sa.Column("created_at", sa.DateTime, nullable=False),  # the call's start + offset: themes' time axis
    sa.Index("ix_utterances_call", "call_id", "idx"),
)

reviews = sa.Table(
    "reviews", metadata,
    sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("reviewer", sa.String(200), nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("checklist", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("corrections", sa.Text),  # corrected tags per utterance, for retraining
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, server_default="draft"),  # vocsvc.qa.workflow
    sa.Column("disputes", sa.Text),  # {item id: reason}
    sa.Column("resolution", sa.Text),
)

review_events = sa.Table(
    "review_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("call_id", sa.String(36), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(24), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Index("ix_review_events_call", "call_id", "id"),
)

themes = sa.Table(
    "themes", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("label", sa.String(300), nullable=False),
    sa.Column("keyphrases", sa.Text, nullable=False),
    sa.Column("centroid", sa.LargeBinary, nullable=False),
    sa.Column("floor", sa.Float, nullable=False),
    sa.Column("size", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("first_seen", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

theme_edits = sa.Table(  # what people changed on a theme; re-discovery rewrites ``themes``, never this
    "theme_edits", metadata,
    sa.Column("theme_id", sa.String(32), primary_key=True),
    sa.Column("label", sa.String(300)),  # NULL: the discovered label
    sa.Column("merged_into", sa.String(32)),  # its documents (now and after re-discovery) go to this theme
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("mention_id", sa.String(36), sa.ForeignKey("mentions.id"), nullable=False),  # the first one
    sa.Column("author_key", sa.String(400)),  # source + handle: later posts by one author join the alert
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("priority", sa.String(8), nullable=False),  # p1 (highest) .. p4
    sa.Column("priority_score", sa.Float, nullable=False),
    sa.Column("reasons", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),  # the first mention's time
    sa.Column("opened_at", sa.DateTime, nullable=False),
    sa.Column("due_at", sa.DateTime, nullable=False),
    sa.Column("escalated_at", sa.DateTime),
    sa.Column("assignee", sa.String(200)),
    sa.Column("closed_at", sa.DateTime),
    sa.Column("last_mention_at", sa.DateTime, nullable=False),
    # (status, due_at) leading, as escalation and the overdue filter read it; the other columns make every list
    # filter's count an index-only scan (migration 0010)
    sa.Index("ix_alerts_status_due", "status", "due_at", "channel", "priority", "escalated_at"),
    sa.Index("ix_alerts_queue", "status", "priority", "due_at", "id"),  # a page of one status, most urgent first
    sa.Index("ix_alerts_author", "author_key", "last_mention_at"),
    sa.Index("ix_alerts_order", "priority", "due_at", "id"),
)

alert_mentions = sa.Table(
    "alert_mentions", metadata,
    sa.Column("alert_id", sa.String(36), sa.ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("mention_id", sa.String(36), sa.ForeignKey("mentions.id"), primary_key=True, unique=True),
)

alert_events = sa.Table(
    "alert_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alert_id", sa.String(36), sa.ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Index("ix_alert_events_alert", "alert_id", "id"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event", sa.String(32), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending -> delivered | gave_up
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_at", sa.DateTime, nullable=False),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Index("ix_webhooks_state_next", "state", "next_at"),
)

# Rollups: the aggregates marketing reads, kept per UTC day in the same transaction as the rows they count (and
# rebuilt after theme re-discovery), so /metrics and /themes sum a few thousand rows instead of every mention.
# '' stands for "none" in key columns (a primary key cannot hold NULL).
metric_rollup = sa.Table(
    "metric_rollup", metadata,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("source", sa.String(100), primary_key=True),
    sa.Column("product", sa.String(200), primary_key=True),
    sa.Column("lang", sa.String(8), primary_key=True),
    *[sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in
      ("volume", "nps_n", "promoters", "detractors", "rating_n", "satisfied", "tagged", "pos", "neg")],
)

theme_rollup = sa.Table(  # documents: tagged mentions + customer utterances of calls
    "theme_rollup", metadata,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("theme_id", sa.String(32), primary_key=True),
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("lang", sa.String(8), primary_key=True),
    sa.Column("product", sa.String(200), primary_key=True),
    *[sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in ("n", "pos", "neg")],
    # NPS answers and 1-5 ratings of the theme's mentions (calls have none): a theme's NPS / CSAT impact
    *[sa.Column(c, sa.Integer, nullable=False, server_default="0")
      for c in ("nps_n", "promoters", "detractors", "rating_n", "satisfied")],
)

theme_day_rollup = sa.Table(  # the same without filters: what an unfiltered /themes reads
    "theme_day_rollup", metadata,
    sa.Column("day", sa.String(10), primary_key=True),
    sa.Column("theme_id", sa.String(32), primary_key=True),
    *[sa.Column(c, sa.Integer, nullable=False, server_default="0") for c in ("n", "pos", "neg")],
    # the score counters too (migration 0010): an unfiltered /themes reads NPS / CSAT impact from ~40 rows a day
    # instead of theme_rollup's thousands
    *[sa.Column(c, sa.Integer, nullable=False, server_default="0")
      for c in ("nps_n", "promoters", "detractors", "rating_n", "satisfied")],
)

audit_log = sa.Table(  # who did what to which object; ids and counts only, never a customer's words or handle
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("key_id", sa.String(16)),  # NULL: the service itself (retention purge)
    sa.Column("action", sa.String(40), nullable=False),  # e.g. call.read, call.audio, mentions.export
    sa.Column("object_type", sa.String(24)),
    sa.Column("object_id", sa.String(64)),
    sa.Column("status", sa.SmallInteger),
    sa.Column("detail", sa.Text),  # JSON: filter names, counts, receipt
    sa.Index("ix_audit_at", "at"),
    sa.Index("ix_audit_key_action_at", "key_id", "action", "at"),
    sa.Index("ix_audit_object", "object_type", "object_id"),
)

__all__ = ["audit_log", "metadata", "jobs", "api_keys", "mentions", "calls", "call_labels", "utterances", "reviews", "review_events", "themes",
           "alerts", "alert_mentions", "alert_events", "webhook_deliveries", "metric_rollup", "theme_rollup", "mention_labels",
           "theme_day_rollup", "theme_edits"]
