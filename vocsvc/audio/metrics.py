"""Call metrics from utterance intervals: talk time, silence, overtalk, interruptions, talk ratio, speech rate."""
from __future__ import annotations

from vocsvc.audio.types import CallMetrics, Utterance

MIN_OVERTALK = 0.3  # seconds; shorter overlaps are backchannels and timestamp jitter
MIN_SILENCE = 0.0


def _merge(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    for s, e in sorted(intervals):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _span(iv: list[tuple[float, float]]) -> float:
    return sum(e - s for s, e in iv)


def _intersect(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if e > s:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def call_metrics(utterances: list[Utterance], duration: float) -> CallMetrics:
    roles = sorted({u.role for u in utterances})
    by_role = {r: _merge([(u.start, u.end) for u in utterances if u.role == r]) for r in roles}
    talk = {r: round(_span(iv), 2) for r, iv in by_role.items()}
    speech = _merge([iv for ivs in by_role.values() for iv in ivs])
    # silence: gaps between speech, including before the first and after the last word
    gaps, cursor = [], 0.0
    for s, e in speech:
        if s - cursor > MIN_SILENCE:
            gaps.append(s - cursor)
        cursor = max(cursor, e)
    if duration - cursor > MIN_SILENCE:
        gaps.append(duration - cursor)
    overlaps: list[tuple[float, float]] = []
    if "agent" in by_role and "customer" in by_role:
        overlaps = [(s, e) for s, e in _intersect(by_role["agent"], by_role["customer"]) if e - s >= MIN_OVERTALK]
    # an interruption: someone starts while the other is still talking and keeps going past that point
    interruptions = {r: 0 for r in roles}
    ordered = sorted(utterances, key=lambda u: u.start)
    for k, u in enumerate(ordered):
        for prev in ordered[:k]:
            if prev.role != u.role and prev.start < u.start < prev.end - MIN_OVERTALK:
                interruptions[u.role] += 1
                break
    words = {r: sum(len(u.text.split()) for u in utterances if u.role == r) for r in roles}
    rate = {r: round(60 * words[r] / talk[r], 1) if talk[r] > 0 else 0.0 for r in roles}
    ratio = None
    if talk.get("customer"):
        ratio = round(talk.get("agent", 0.0) / talk["customer"], 2)
    return CallMetrics(
        duration=round(duration, 2), talk_time=talk, silence_total=round(sum(gaps), 2),
        silence_longest=round(max(gaps, default=0.0), 2), overtalk_count=len(overlaps),
        overtalk_seconds=round(_span(overlaps), 2), interruptions=interruptions,
        agent_customer_talk_ratio=ratio, speech_rate_wpm=rate,
    )
