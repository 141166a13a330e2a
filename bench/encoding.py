"""Encoding detection of CSV/JSONL inputs: ours (vocsvc.io.guess_encoding) against charset-normalizer, on Russian
and mixed Russian/English review files written in UTF-8, cp1251 and KOI8-R (the encodings Excel and old CRMs
export), at several sizes (short files are where detectors fail).

    python bench/encoding.py [--files 300]

Prints accuracy (the exact encoding, or one that decodes to the same text) and time per file for each.
"""
from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"


def texts() -> tuple[list[str], list[str]]:
    import csv

    rows = list(csv.DictReader(open(DATA / "ru_goemotions" / "test.csv", encoding="utf-8")))
    return [r["ru_text"] for r in rows], [r["text"] for r in rows]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=300)
    args = ap.parse_args()
    from charset_normalizer import from_bytes

    from vocsvc.io import guess_encoding

    ru, en = texts()
    rng = random.Random(0)
    same = {"cp1251": {"cp1251", "windows-1251"}, "koi8_r": {"koi8_r", "koi8-r"}, "utf-8": {"utf-8", "utf_8", "ascii"}}
    res = {k: {"ok": 0, "n": 0, "t": 0.0} for k in ("vocsvc", "charset-normalizer")}
    per = {}
    for i in range(args.files):
        rows = rng.choice([1, 3, 10, 100])
        mix = rng.random() < 0.5
        lines = [f"{j},\"{rng.choice(en) if mix and rng.random() < 0.5 else rng.choice(ru)}\"" for j in range(rows)]
        text = "id,text\n" + "\n".join(lines) + "\n"
        enc = ["utf-8", "cp1251", "koi8_r"][i % 3]
        raw = text.encode(enc, errors="replace")  # emoji and typographic quotes have no cp1251/KOI8-R code
        text = raw.decode(enc)
        for name in res:
            t = time.perf_counter()
            if name == "vocsvc":
                got = guess_encoding(raw[:262_144])
            else:
                best = from_bytes(raw[:262_144]).best()
                got = best.encoding if best else "utf-8"
            res[name]["t"] += time.perf_counter() - t
            try:
                ok = got.lower().replace("-", "_") in {e.replace("-", "_") for e in same[enc]} or \
                    raw.decode(got) == text
            except (UnicodeDecodeError, LookupError):
                ok = False
            res[name]["ok"] += ok
            res[name]["n"] += 1
            key = (name, enc, rows)
            per.setdefault(key, [0, 0])
            per[key][0] += ok
            per[key][1] += 1
    for name, r in res.items():
        print(f"{name:20s} accuracy {r['ok'] / r['n']:.3f} ({r['ok']}/{r['n']})  {1000 * r['t'] / r['n']:.2f} ms/file")
    print("by encoding x rows (accuracy):")
    for enc in ("utf-8", "cp1251", "koi8_r"):
        for rows in (1, 3, 10, 100):
            cells = []
            for name in res:
                ok, n = per.get((name, enc, rows), [0, 0])
                cells.append(f"{name} {ok}/{n}")
            print(f"  {enc:7s} {rows:4d} rows: " + "  ".join(cells))


if __name__ == "__main__":
    main()
