"""Typed results of transcription: ``Transcript`` holds ``Utterance``s and ``CallMetrics``."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vocsvc.types import Tags


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass(slots=True)
class Utterance:
    role: str  # "agent" | "customer" | "unknown"
    channel: int  # 0 left / mono, 1 right
    start: float
    end: float
    text: str
    text_redacted: str = ""
    lang: str | None = None
    tags: Tags | None = None
    words: list[Word] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # e.g. "repetition", "low_confidence"
    speaker: int = 0  # the channel in stereo; the diarized voice in mono

    def to_dict(self, with_words: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "role": self.role, "channel": self.channel, "speaker": self.speaker, "start": round(self.start, 2), "end": round(self.end, 2),
            "text_redacted": self.text_redacted, "lang": self.lang, "flags": self.flags,
        }
        if self.tags is not None:
            t = self.tags.to_dict()
            d["tags"] = {k: t[k] for k in ("sentiment", "emotion", "emotions", "intents", "categories", "keywords",
                                            "entities", "pii")}
        if with_words:
            d["words"] = [asdict(w) for w in self.words]
        return d


@dataclass(slots=True)
class CallMetrics:
    duration: float
    talk_time: dict[str, float]
    silence_total: float
    silence_longest: float
    overtalk_count: int
    overtalk_seconds: float
    interruptions: dict[str, int]
    agent_customer_talk_ratio: float | None
    speech_rate_wpm: dict[str, float]


@dataclass(slots=True)
class Transcript:
    source: str
    duration: float
    channels: int
    language: str | None
    languages: dict[str, str]  # per role when they differ
    utterances: list[Utterance]
    metrics: CallMetrics
    rollups: dict[str, Any]
    agent_channel: int | None
    dropped_segments: int = 0  # segments removed as hallucination / repetition
    redacted_audio: str | None = None
    redacted_spans: list[tuple[int, float, float]] = field(default_factory=list)  # (channel, start, end)
    qa: dict[str, Any] | None = None  # automatic QA (vocsvc.qa): items, sections, score, reason, outcome

    def to_dict(self, with_words: bool = False) -> dict[str, Any]:
        return {
            "source": self.source, "duration": round(self.duration, 2), "channels": self.channels,
            "language": self.language, "languages": self.languages, "agent_channel": self.agent_channel,
            "metrics": {k: (round(v, 2) if isinstance(v, float) else v) for k, v in asdict(self.metrics).items()},
            "rollups": self.rollups, "dropped_segments": self.dropped_segments,
            "redacted_audio": self.redacted_audio, "redacted_spans": self.redacted_spans,
            "utterances": [u.to_dict(with_words) for u in self.utterances], "qa": self.qa,
        }
