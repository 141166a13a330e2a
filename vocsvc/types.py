"""Typed results of the text pipeline. ``api/`` converts these to public schemas at the edge."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Label:
    label: str
    score: float


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """A PII match in the *original* text: ``text[start:end]`` is what was redacted."""

    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    text: str
    label: str
    start: int = -1
    end: int = -1


@dataclass(frozen=True, slots=True)
class Sentiment:
    """CX sentiment: ``label`` is negative / neutral / positive; ``score`` in [-1, 1] is p(positive) - p(negative)
    from the sentiment head, its sign never contradicting a non-neutral label (vocsvc.nlp.sentiment)."""

    label: str
    score: float


@dataclass(slots=True)
class Tags:
    """Everything the text pipeline says about one text."""

    id: str | None
    lang: str
    lang_confidence: float
    text_redacted: str
    pii: list[PiiSpan] = field(default_factory=list)
    sentiment: Sentiment | None = None
    emotion: str | None = None  # Ekman-7 rollup (anger, disgust, fear, joy, sadness, surprise, neutral)
    emotions: list[Label] = field(default_factory=list)  # GoEmotions labels above threshold, highest first
    intents: list[Label] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The CLI / JSONL contract (see README)."""
        return {
            "id": self.id,
            "lang": self.lang,
            "text_redacted": self.text_redacted,
            "pii": [asdict(p) for p in self.pii],
            "sentiment": asdict(self.sentiment) if self.sentiment else None,
            "emotion": self.emotion,
            "emotions": [asdict(x) for x in self.emotions],
            "intents": [asdict(x) for x in self.intents],
            "categories": list(self.categories),
            "keywords": list(self.keywords),
            "entities": [{"text": e.text, "label": e.label} for e in self.entities],
        }


@dataclass(frozen=True, slots=True)
class RowError:
    """A row the pipeline refused, with the reason. Batch runs record it and go on."""

    id: str | None
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "error": self.error}


#: Where a mention comes from. The API's request schema, the store and the filters all read this one list.
CHANNELS = ("review", "social", "call", "chat", "email", "survey")
#: Channels where the public sees a post (and expects a reply within the SLA): only these raise alerts.
PUBLIC_CHANNELS = ("review", "social")
SENTIMENTS = ("negative", "neutral", "positive")
ALERT_STATES = ("open", "acknowledged", "replied", "closed")
KEY_ROLES = ("admin", "qa", "marketing", "ingest")
