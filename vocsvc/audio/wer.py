"""Word error rate (for tests and benches): edit distance over normalised words / reference length."""
from __future__ import annotations

import re

_NORM = re.compile(r"[^\w\s']", re.UNICODE)


def normalize(text: str) -> list[str]:
    """Lower case, no punctuation, ё = е, numbers in words as digits ("сорок семь" = "47"), one token per digit."""
    from vocsvc.nlp.pii import _number_runs, _run_to_groups

    text = text.lower().replace("ё", "е")
    out, pos = [], 0
    for run in _number_runs(text):
        out.append(text[pos : run[0].start])
        out.append(" " + " ".join(g for g, _, _ in _run_to_groups(run)) + " ")
        pos = run[-1].end
    out.append(text[pos:])
    words = _NORM.sub(" ", "".join(out)).split()
    # digit by digit: "47129", "47 129" and "four seven one two nine" are the same number
    return [c for w in words for c in (list(w) if w.isdigit() else [w])]


def wer(reference: str, hypothesis: str) -> float:
    ref, hyp = normalize(reference), normalize(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
