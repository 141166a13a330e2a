"""Request bodies (validated strictly: unknown fields, wrong types and unknown enum values are 422s).
``MentionIn`` is the service's own input model (vocsvc.service.mentions), so there is one definition of it."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vocsvc.service.mentions import Author, Channel, MentionIn  # noqa: F401 (request models of the routes)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


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
    checklist: dict[str, bool | Literal["yes", "no", "na"] | int] = Field(
        default_factory=dict, description="verdicts on scorecard items (yes / no / na, or the scale's integer) "
        "override the automatic answers, which stay visible; other keys are a free checklist")
    comment: str | None = Field(None, max_length=5000)
    corrections: list[Correction] = Field(default_factory=list, max_length=2000)


class KeyIn(Strict):
    role: str = Field(description="admin | qa | marketing | ingest")
    name: str = Field("", max_length=200)
    expires_in_days: float | None = Field(None, gt=0, le=3660)
    rate_limit_per_minute: int | None = Field(None, ge=0, description="0 = no limit; unset = the service default")
    uploads_per_day: int | None = Field(None, ge=0)
    max_upload_bytes: int | None = Field(None, ge=1)


class RotateIn(Strict):
    grace_hours: float | None = Field(None, ge=0, le=24 * 90, description="unset: VOCSVC_KEY_ROTATE_GRACE_HOURS")


class ReviewActionIn(Strict):
    """A workflow step on an evaluation: a dispute gives a reason per scorecard item; resolve may say how."""

    reasons: dict[str, str] | None = Field(None, max_length=100,
                                           description="dispute: {item id: why the verdict is wrong}")
    comment: str | None = Field(None, max_length=5000)


class ThemeRenameIn(Strict):
    label: str | None = Field(..., max_length=200, description="the theme's label from now on, also after "
                              "re-discovery: 1 to 80 characters once stripped, no control characters; null: the "
                              "discovered label again")


class ThemeMergeIn(Strict):
    into: str = Field(..., min_length=1, max_length=64, description="id of the theme that takes this theme's "
                      "documents (now and after re-discovery)")
