"""The scorecard template: phrase sets, example sentences, weighted sections of yes/no and scale items, each with
a rule. Validated at load, so a typo in a user's YAML is an error naming the field, not a silent "no"."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

RULE_KINDS = ("opening", "before_details", "after_negative", "interruptions", "silence_announced", "said_in",
              "absent", "no_pii_readback", "talk_share")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rule(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # each kind has its own parameters
    kind: Literal[RULE_KINDS]  # type: ignore[valid-type]

    def get(self, name: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(name, default)


class Item(_Strict):
    id: str
    title: str
    type: Literal["yes_no", "scale"] = "yes_no"
    weight: float = Field(1.0, ge=0)
    min: int = 1
    max: int = 5
    rule: Rule


class Section(_Strict):
    id: str
    title: str
    weight: float = Field(1.0, ge=0)
    items: list[Item]


class Outcome(_Strict):
    escalated: str = "transfer"
    follow_up: str = "follow_up"
    resolved_item: str = "resolution"


class Scorecard(_Strict):
    version: int = 1
    name: str
    company_names: list[str] = Field(default_factory=list)
    similarity: float = Field(0.86, gt=0, le=1)
    phrases: dict[str, dict[str, list[str]]]
    examples: dict[str, dict[str, list[str]]] = Field(default_factory=dict)
    sections: list[Section]
    outcome: Outcome = Outcome()

    @model_validator(mode="after")
    def _sets_exist(self) -> Scorecard:
        ids = [i.id for s in self.sections for i in s.items]
        if len(ids) != len(set(ids)):
            raise ValueError("item ids must be unique across sections")
        named = set(self.phrases)
        for s in self.sections:
            for i in s.items:
                for key in ("set", "details", "also"):
                    if (v := i.rule.get(key)) is not None and v not in named:
                        raise ValueError(f"item {i.id}: rule.{key} names an unknown phrase set {v!r}")
                for v in i.rule.get("sets", []) or []:
                    if v not in named:
                        raise ValueError(f"item {i.id}: rule.sets names an unknown phrase set {v!r}")
        for v in (self.outcome.escalated, self.outcome.follow_up):
            if v not in named:
                raise ValueError(f"outcome names an unknown phrase set {v!r}")
        return self

    def item(self, item_id: str) -> Item:
        return next(i for s in self.sections for i in s.items if i.id == item_id)


def default_path(models_dir: Path) -> Path:
    return Path(models_dir) / "qa" / "scorecard.yaml"


@lru_cache(maxsize=4)
def load(path: Path) -> Scorecard:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    try:
        return Scorecard.model_validate(data)
    except ValueError as e:
        raise ValueError(f"{path}: not a valid QA scorecard: {e}") from None
