"""Request bodies (validated strictly: unknown fields, wrong types and unknown enum values are 422s)."""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vocsvc.analyzer import check_text

Channel = Literal["review", "social", "call", "chat", "email", "survey"]
MAX_TEXT_CHARS = 20_000  # the pipeline's default; the settings value is enforced again at ingest


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class Author(Strict):
    handle: str | None = Field(None, max_length=300)
    followers: int | None = Field(None, ge=0, le=10**10)
    is_vip: bool = False


class MentionIn(Strict):
    channel: Channel
    source: str = Field(..., min_length=1, max_length=100, examples=["twitter"])
    external_id: str = Field(..., min_length=1, max_length=300)
    text: str
    created_at: datetime = Field(..., description="ISO 8601; without a zone it is taken as UTC")
    author: Author | None = None
    rating: int | None = Field(None, ge=1, le=5)
    nps: int | None = Field(None, ge=0, le=10)
    product: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=200)
    url: str | None = Field(None, max_length=2000)
    lang: Literal["ru", "en"] | None = None

    @field_validator("text")
    @classmethod
    def _text_ok(cls, v: str) -> str:
        why = check_text(v, MAX_TEXT_CHARS)
        if why:
            raise ValueError(why)
        return v

    @field_validator("created_at")
    @classmethod
    def _sane_date(cls, v: datetime) -> datetime:
        if not 1990 <= v.year <= 2100:
            raise ValueError("created_at must be between 1990 and 2100")
        return v


class ReplyIn(Strict):
    text: str = Field(..., min_length=1, max_length=10_000)
    by: str | None = Field(None, max_length=200, description="who replied (default: the API key's name)")


class AssignIn(Strict):
    assignee: str = Field(..., min_length=1, max_length=200)


class NoteIn(Strict):
    comment: str | None = Field(None, max_length=5000)


class Correction(Strict):
    utterance_index: int = Field(..., ge=0)
    field: Literal["sentiment", "emotion", "intents", "categories", "role"]
    value: str | list[str]


class ReviewIn(Strict):
    score: float | None = Field(None, ge=0, le=100)
    checklist: dict[str, bool] = Field(default_factory=dict)
    comment: str | None = Field(None, max_length=5000)
    corrections: list[Correction] = Field(default_factory=list, max_length=2000)
