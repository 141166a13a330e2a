"""Check the CX corpus files against the rules in README.md: schema, ids, duplicates, label consistency.

    python models/data/cx_corpus/validate.py                      # every *.jsonl here
    python models/data/cx_corpus/validate.py train_en_social.jsonl --stats

Exit code 1 when any file breaks a rule (each problem printed with its line).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
CHANNELS = {"social", "review", "chat", "email", "call", "survey"}
SECTORS = {"bank", "telecom", "airline", "delivery", "ecommerce", "food", "taxi", "retail", "utilities",
           "insurance", "travel", "subscription", "government", "other"}
SENTIMENTS = {"negative", "neutral", "positive"}
INTENTS = {"complaint", "refund_request", "cancellation", "billing", "delivery", "technical_issue",
           "account_access", "question", "praise", "suggestion", "other"}
EMOTIONS = {"anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral", None}
FIELDS = {"id", "text", "lang", "channel", "sector", "sentiment", "intents", "emotion", "sarcasm", "mixed"}
CYR = re.compile(r"[а-яё]", re.I)
LAT = re.compile(r"[a-z]", re.I)


def norm(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


def check_row(d: dict, stem: str) -> list[str]:
    errs = []
    missing = FIELDS - set(d)
    extra = set(d) - FIELDS
    if missing:
        errs.append(f"missing fields {sorted(missing)}")
    if extra:
        errs.append(f"unknown fields {sorted(extra)}")
    if missing:
        return errs
    if not re.fullmatch(re.escape(stem) + r"-\d{4}", str(d["id"])):
        errs.append(f"id {d['id']!r} should be {stem}-NNNN")
    t = d["text"]
    if not isinstance(t, str) or not t.strip():
        errs.append("empty text")
        return errs
    if d["lang"] not in ("en", "ru"):
        errs.append(f"lang {d['lang']!r}")
    elif d["lang"] == "ru" and not CYR.search(t):
        errs.append("lang ru but no Cyrillic letters")
    elif d["lang"] == "en" and len(CYR.findall(t)) > len(LAT.findall(t)):
        errs.append("lang en but mostly Cyrillic")
    if d["channel"] not in CHANNELS:
        errs.append(f"channel {d['channel']!r}")
    if d["sector"] not in SECTORS:
        errs.append(f"sector {d['sector']!r}")
    if d["sentiment"] not in SENTIMENTS:
        errs.append(f"sentiment {d['sentiment']!r}")
    ints = d["intents"]
    if not isinstance(ints, list) or not ints or not set(ints) <= INTENTS or len(set(ints)) != len(ints):
        errs.append(f"intents {ints!r}")
    elif "other" in ints and len(ints) > 1:
        errs.append("'other' must stand alone")
    if d["emotion"] not in EMOTIONS:
        errs.append(f"emotion {d['emotion']!r}")
    if not isinstance(d["sarcasm"], bool) or not isinstance(d["mixed"], bool):
        errs.append("sarcasm and mixed must be true/false")
    if not errs:
        if d["sarcasm"] and d["sentiment"] == "positive":
            errs.append("sarcasm is never positive (sarcastic thanks is negative)")
        if "praise" in ints and d["sentiment"] == "negative" and not d["mixed"] and not d["sarcasm"]:
            errs.append("praise in a negative text: set mixed or sarcasm, or fix the labels")
        if "complaint" in ints and d["sentiment"] == "positive" and not d["mixed"]:
            errs.append("complaint in a positive text: set mixed, or fix the labels")
        if d["sentiment"] == "negative" and ints == ["other"]:
            errs.append("a negative text is rarely 'other': which intent?")
        if d["emotion"] == "joy" and d["sentiment"] == "negative" and not d["sarcasm"] and not d["mixed"]:
            errs.append("joy with negative sentiment")
    return errs


def check_file(path: Path, seen: dict[str, str]) -> tuple[list[str], list[dict]]:
    problems, rows = [], []
    stem = path.stem
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append(f"{path.name}:{n}: invalid JSON ({e})")
            continue
        for e in check_row(d, stem):
            problems.append(f"{path.name}:{n}: {e}")
        key = norm(str(d.get("text", "")))
        if key in seen and seen[key].split("_")[0] != path.name.split("_")[0]:
            pass  # the same short text in a train and a test file: the loader drops the training copy
        elif key in seen:
            problems.append(f"{path.name}:{n}: duplicate of {seen[key]}")
        else:
            seen[key] = f"{path.name}:{n}"
        rows.append(d)
    ids = Counter(r.get("id") for r in rows)
    problems += [f"{path.name}: id {i} used {k} times" for i, k in ids.items() if k > 1]
    return problems, rows


def stats(rows: list[dict]) -> str:
    out = [f"{len(rows)} rows"]
    for field in ("lang", "channel", "sector", "sentiment", "emotion", "sarcasm", "mixed"):
        c = Counter(str(r.get(field)) for r in rows)
        out.append(f"  {field}: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    c = Counter(i for r in rows for i in r.get("intents", []))
    out.append("  intents: " + ", ".join(f"{k} {v}" for k, v in c.most_common()))
    multi = sum(1 for r in rows if len(r.get("intents", [])) > 1)
    out.append(f"  texts with 2+ intents: {multi}")
    lens = sorted(len(r.get("text", "")) for r in rows) or [0]
    out.append(f"  length (chars): median {lens[len(lens) // 2]}, p10 {lens[len(lens) // 10]}, "
               f"p90 {lens[9 * len(lens) // 10]}")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("files", nargs="*")
    ap.add_argument("--stats", action="store_true")
    args = ap.parse_args()
    files = [Path(f) if Path(f).is_absolute() or Path(f).exists() else HERE / f for f in args.files] or sorted(
        HERE.glob("*.jsonl"))
    seen: dict[str, str] = {}
    problems, all_rows = [], []
    for f in files:
        p, rows = check_file(f, seen)
        problems += p
        all_rows += rows
        if args.stats:
            print(f"== {f.name}\n{stats(rows)}")
    for p in problems:
        print(p)
    print(f"{len(all_rows)} rows in {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
