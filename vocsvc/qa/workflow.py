"""A QA evaluation's life: a reviewer drafts it, submits it to the agent's lead, who acknowledges it or disputes
items (each with a reason); a disputed evaluation is revised and resolved. Pure rules; the service stores them.

>>> next_status("draft", "submit")
'submitted'
"""
from __future__ import annotations

from vocsvc.errors import Conflict

STATUSES = ("draft", "submitted", "acknowledged", "disputed", "resolved")
# action -> (statuses it may start from, the status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"draft"}), "submitted"),
    "acknowledge": (frozenset({"submitted"}), "acknowledged"),
    "dispute": (frozenset({"submitted"}), "disputed"),
    "resolve": (frozenset({"disputed"}), "resolved"),
}
# verdicts may change while the reviewer still owns the evaluation, and while a dispute is being worked out
EDITABLE = frozenset({"draft", "disputed"})


def next_status(current: str, action: str) -> str:
    """The status ``action`` leads to from ``current``; Conflict (409) names what is allowed instead."""
    if action not in TRANSITIONS:
        raise ValueError(f"unknown action {action!r}")
    sources, target = TRANSITIONS[action]
    if current not in sources:
        allowed = [a for a, (src, _) in TRANSITIONS.items() if current in src]
        raise Conflict(f"cannot {action} an evaluation that is {current}"
                       + (f"; it can be: {', '.join(allowed)}" if allowed else " (it is final)"))
    return target


def check_editable(current: str) -> None:
    if current not in EDITABLE:
        raise Conflict(f"the evaluation is {current}; verdicts change only while it is a draft or disputed")
