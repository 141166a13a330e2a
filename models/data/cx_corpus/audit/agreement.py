"""Second-annotator agreement for the vocsvc CX test sets.

Compares the blind re-labels in this folder (audit_<lang>.jsonl: id, sentiment, intents, emotion) with the
original labels in ../test_<lang>_mixed.jsonl. The audited rows are a fixed sample of 250 per language
(random.Random(7).sample over row indices of each test file; the auditor saw only id and text while labelling).

Usage:  python agreement.py                 # report (saved as agreement.txt)
        python agreement.py --disagreements # also list every disagreeing row
Standard library only; reads files, writes nothing.
"""
import json
import os
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.dirname(HERE)
SENTS = ["negative", "neutral", "positive"]
INTENTS = ["complaint", "refund_request", "cancellation", "billing", "delivery", "technical_issue",
           "account_access", "question", "praise", "suggestion", "other"]
EMOS = ["anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral"]


def load(path):
    with open(path, encoding="utf-8") as f:
        return {r["id"]: r for r in (json.loads(l) for l in f if l.strip())}


def kappa(pairs, cats):
    n = len(pairs)
    if n == 0:
        return float("nan")
    po = sum(a == b for a, b in pairs) / n
    ca, cb = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    pe = sum(ca[c] * cb[c] for c in cats) / (n * n)
    return (po - pe) / (1 - pe) if pe < 1 else float("nan")


def f1(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def matrix(pairs, cats, out, rowname="orig", colname="audit"):
    c = Counter(pairs)
    w = max(len(x) for x in cats) + 2
    head = rowname + " / " + colname
    out.append(f"  {head:<{w + 4}}" + "".join(f"{x:>{w}}" for x in cats) + f"{'total':>{w}}")
    for a in cats:
        out.append(f"  {a:<{w + 4}}" + "".join(f"{c[(a, b)]:>{w}}" for b in cats)
                   + f"{sum(c[(a, b)] for b in cats):>{w}}")
    out.append(f"  {'total':<{w + 4}}" + "".join(f"{sum(c[(a, b)] for a in cats):>{w}}" for b in cats)
               + f"{len(pairs):>{w}}")


def report(lang, show_dis):
    orig = load(os.path.join(CORPUS, f"test_{lang}_mixed.jsonl"))
    aud = load(os.path.join(HERE, f"audit_{lang}.jsonl"))
    missing = [i for i in aud if i not in orig]
    assert not missing, f"audit ids not in test file: {missing[:5]}"
    ids = list(aud)
    out = [f"=== {lang.upper()}: {len(ids)} rows (of {len(orig)} in test_{lang}_mixed.jsonl) ==="]

    # sentiment
    sp = [(orig[i]["sentiment"], aud[i]["sentiment"]) for i in ids]
    acc = sum(a == b for a, b in sp) / len(sp)
    out.append(f"Sentiment: agreement {100 * acc:.1f}%  ({sum(a == b for a, b in sp)}/{len(sp)}), "
               f"Cohen's kappa {kappa(sp, SENTS):.3f}")
    out.append("Sentiment confusion matrix (rows = original, columns = audit):")
    matrix(sp, SENTS, out)

    # intents
    tp = fp = fn = 0
    per = {k: [0, 0, 0] for k in INTENTS}
    exact = 0
    for i in ids:
        o, a = set(orig[i]["intents"]), set(aud[i]["intents"])
        exact += o == a
        for k in INTENTS:
            if k in o and k in a:
                per[k][0] += 1
            elif k in a:
                per[k][1] += 1
            elif k in o:
                per[k][2] += 1
        tp += len(o & a); fp += len(a - o); fn += len(o - a)
    p, r, f = f1(tp, fp, fn)
    out.append(f"Intents: micro-F1 {f:.3f} (audit vs original as reference: P {p:.3f}, R {r:.3f}; "
               f"tp {tp}, fp {fp}, fn {fn}); exact set match {100 * exact / len(ids):.1f}%")
    macro = []
    out.append(f"  {'intent':<16}{'orig':>6}{'audit':>7}{'both':>6}{'P':>7}{'R':>7}{'F1':>7}{'kappa':>8}")
    for k in INTENTS:
        t, fpp, fnn = per[k]
        pk, rk, fk = f1(t, fpp, fnn)
        kk = kappa([(k in orig[i]["intents"], k in aud[i]["intents"]) for i in ids], [True, False])
        if t + fpp + fnn:
            macro.append(fk)
        out.append(f"  {k:<16}{t + fnn:>6}{t + fpp:>7}{t:>6}{pk:>7.3f}{rk:>7.3f}{fk:>7.3f}{kk:>8.3f}")
    out.append(f"  macro-F1 over intents used by either side: {sum(macro) / len(macro):.3f}")

    # emotion
    ep = [(orig[i]["emotion"], aud[i]["emotion"]) for i in ids]
    both = [(a, b) for a, b in ep if a is not None and b is not None]
    nn = [(a, b) for a, b in both if a != "neutral" and b != "neutral"]
    nulls = Counter((a is None, b is None) for a, b in ep)
    out.append(f"Emotion: null in original {nulls[(True, False)] + nulls[(True, True)]}, in audit "
               f"{nulls[(False, True)] + nulls[(True, True)]}, both null {nulls[(True, True)]}")
    if both:
        out.append(f"  both gave an emotion (incl. 'neutral'): {len(both)} rows, agreement "
                   f"{100 * sum(a == b for a, b in both) / len(both):.1f}%, kappa {kappa(both, EMOS):.3f}")
    if nn:
        out.append(f"  both gave a non-neutral emotion: {len(nn)} rows, agreement "
                   f"{100 * sum(a == b for a, b in nn) / len(nn):.1f}%")
    out.append("Emotion confusion matrix on rows where both gave an emotion (rows = original, columns = audit):")
    matrix(both, EMOS, out)

    if show_dis:
        out.append("Disagreements (orig -> audit):")
        for i in ids:
            o, a = orig[i], aud[i]
            d = []
            if o["sentiment"] != a["sentiment"]:
                d.append(f"sent {o['sentiment']}->{a['sentiment']}")
            if set(o["intents"]) != set(a["intents"]):
                d.append(f"int {sorted(o['intents'])}->{sorted(a['intents'])}")
            if o["emotion"] != a["emotion"]:
                d.append(f"emo {o['emotion']}->{a['emotion']}")
            if d:
                out.append(f"  {i}: {'; '.join(d)} | {o['text'][:160]!r}")
    return out, sp, ids, orig, aud


def main():
    show = "--disagreements" in sys.argv
    allsp = []
    for lang in ("en", "ru"):
        out, sp, *_ = report(lang, show)
        allsp += sp
        print("\n".join(out))
        print()
    acc = sum(a == b for a, b in allsp) / len(allsp)
    print(f"=== POOLED: sentiment agreement {100 * acc:.1f}%, kappa {kappa(allsp, SENTS):.3f} ===")


if __name__ == "__main__":
    main()
