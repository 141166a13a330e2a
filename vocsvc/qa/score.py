"""Score one call against a scorecard: per item an answer (yes / no / na, or a number on a scale), a confidence and
the evidence (utterance indexes); per section and overall a 0-100 score; the reason for the call (the customer's
main intent) and its outcome (resolved, follow_up, escalated, unresolved).

Rules read what the transcript already has: the role and times of each utterance, its redacted text matched on
lemmas against the scorecard's phrase sets (the category matcher), its tags (sentiment, categories, intents,
entities, PII types), and its embedding against a few example sentences per phrase set (the encoder that tagged
the call, so nothing new is loaded).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from itertools import pairwise

import numpy as np

from vocsvc.qa.template import Item, Rule, Scorecard

NEGATIVE_CATEGORIES = {"dissatisfaction", "churn_threat", "legal_threat", "escalation_request", "profanity"}
ENTITY_STANDS_FOR = {"company_cue": "ORG", "self_intro": "PER"}  # a named company / person in the greeting


@dataclass(slots=True)
class Turn:
    index: int
    role: str
    start: float
    end: float
    text: str
    sentiment: str | None = None
    sentiment_score: float = 0.0
    emotion: str | None = None
    categories: list[str] = field(default_factory=list)
    intents: list[tuple[str, float]] = field(default_factory=list)
    pii: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)  # labels: PER, ORG, LOC, PRODUCT

    @classmethod
    def from_utterance(cls, index: int, u: dict) -> Turn:
        t = u.get("tags") or {}
        return cls(index, u.get("role", "unknown"), float(u.get("start", 0.0)), float(u.get("end", 0.0)),
                   u.get("text_redacted") or u.get("text") or "", (t.get("sentiment") or {}).get("label"),
                   float((t.get("sentiment") or {}).get("score") or 0.0), t.get("emotion"),
                   list(t.get("categories", [])), [(i["label"], float(i.get("prob", i.get("score", 0.0))))
                                                   for i in t.get("intents", [])],
                   [p["type"] for p in t.get("pii", [])], [e["label"] for e in t.get("entities", [])])


@dataclass(slots=True)
class ItemAnswer:
    id: str
    section: str
    title: str
    type: str
    answer: str | int  # "yes" | "no" | "na", or a number for a scale item
    confidence: float
    evidence: list[dict]  # [{"utterance": index, "start": seconds}]
    weight: float


@dataclass(slots=True)
class QaResult:
    scorecard: str
    items: list[ItemAnswer]
    sections: dict[str, float | None]
    score: float | None
    reason: dict | None  # {"intent", "confidence", "evidence"}
    outcome: dict  # {"label", "evidence"}

    def to_dict(self) -> dict:
        return asdict(self)


class Scorer:
    """Built once per scorecard: the phrase sets lemmatised, the example sentences embedded."""

    def __init__(self, card: Scorecard, lemmatizer, encoder: Callable[[list[str]], np.ndarray] | None = None):
        from vocsvc.nlp.categories import CategoryMatcher

        self.card, self.lemmatizer = card, lemmatizer
        phrases = {k: {lang: list(v) for lang, v in by_lang.items()} for k, by_lang in card.phrases.items()}
        self.companies = [_letters(n) for n in card.company_names if _letters(n)]
        self.matcher = CategoryMatcher(None, lemmatizer, cats=phrases, skip_punct=True)
        self.examples: dict[tuple[str, str], np.ndarray] = {}
        if encoder is not None:
            for name, by_lang in card.examples.items():
                for lang, sents in by_lang.items():
                    if sents:
                        self.examples[(name, lang)] = _unit(np.asarray(encoder(list(sents)), np.float32))

    def hits(self, turns: list[Turn], lang: str, emb: np.ndarray | None) -> list[dict[str, float]]:
        """Per turn: phrase set -> confidence that the turn says it."""
        docs = self.lemmatizer([t.text or " " for t in turns], [lang] * len(turns)) if turns else []
        out: list[dict[str, float]] = [{name: 0.9 for name in found} for found in self.matcher(docs)]
        for k, t in enumerate(turns):
            if self.companies and (c := _company(t.text, self.companies)):
                out[k]["company_cue"] = max(out[k].get("company_cue", 0.0), c)
        if emb is not None and len(emb) == len(turns) and self.examples:
            E = _unit(np.asarray(emb, np.float32))
            for (name, ex_lang), X in self.examples.items():
                if ex_lang != lang:
                    continue
                sims = (E @ X.T).max(axis=1)
                for k in np.flatnonzero(sims >= self.card.similarity):
                    out[k][name] = max(out[k].get(name, 0.0), float(sims[k]))
        return out

    def score(self, utterances: list[dict], lang: str | None, emb: np.ndarray | None = None) -> QaResult:
        turns = [Turn.from_utterance(i, u) for i, u in enumerate(utterances)]
        lang = lang if lang in ("en", "ru") else "en"
        ctx = _Ctx(turns, self.hits(turns, lang, emb))
        items: list[ItemAnswer] = []
        for sec in self.card.sections:
            for it in sec.items:
                answer, conf, ev = RULES[it.rule.kind](ctx, it.rule, it)
                items.append(ItemAnswer(it.id, sec.id, it.title, it.type, answer, round(conf, 3),
                                        [{"utterance": k, "start": round(turns[k].start, 2)} for k in ev],
                                        it.weight))
        sections, overall = section_scores(self.card, items)
        return QaResult(self.card.name, items, sections, overall, _reason(ctx), _outcome(ctx, self.card, items))


_SCORERS: dict[tuple[str, int], Scorer] = {}


def scorer_for(settings, analyzer) -> Scorer:
    """One scorer per scorecard file and analyzer in this process (phrase sets lemmatised, examples embedded once)."""
    from vocsvc.qa.template import default_path, load

    path = settings.qa_scorecard or default_path(settings.models_dir)
    key = (str(path), id(analyzer))
    if key not in _SCORERS:
        _SCORERS[key] = Scorer(load(path), analyzer.lemmatizer, analyzer.encoder)
    return _SCORERS[key]


def section_scores(card: Scorecard, items: list[ItemAnswer]) -> tuple[dict[str, float | None], float | None]:
    """0-100 per section (weighted over the items that apply) and overall (weighted over sections that have any)."""
    by_sec: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for a in items:
        v = item_value(card.item(a.id), a.answer)
        if v is not None:
            by_sec[a.section].append((v, a.weight))
    sections: dict[str, float | None] = {}
    total = weight = 0.0
    for sec in card.sections:
        vals = by_sec.get(sec.id, [])
        w = sum(x[1] for x in vals)
        sections[sec.id] = round(100 * sum(v * x for v, x in vals) / w, 1) if w else None
        if sections[sec.id] is not None:
            total += sections[sec.id] * sec.weight
            weight += sec.weight
    return sections, (round(total / weight, 1) if weight else None)


def item_value(item: Item, answer) -> float | None:
    if item.type == "scale":
        return (float(answer) - item.min) / max(1, item.max - item.min) if answer not in (None, "na") else None
    return {"yes": 1.0, "no": 0.0}.get(answer)


def _letters(text: str) -> str:
    return " ".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _company(text: str, names: list[str]) -> float:
    """How well a configured company name is heard in ``text``: Whisper bends brand names ("Банк Восток" ->
    "банк-ласток", "NetLine" -> "net line"), so windows of words are compared by character similarity."""
    from difflib import SequenceMatcher

    words = _letters(text).split()
    best = 0.0
    for name in names:
        n = len(name.split())
        for size in {max(1, n - 1), n, n + 1}:
            for i in range(max(1, len(words) - size + 1)):
                window = " ".join(words[i : i + size])
                r = SequenceMatcher(None, window, name).ratio()
                best = max(best, r)
                r2 = SequenceMatcher(None, window.replace(" ", ""), name.replace(" ", "")).ratio()
                best = max(best, r2)
    return round(best, 3) if best >= 0.75 else 0.0


def _unit(X: np.ndarray) -> np.ndarray:
    return X / np.maximum(np.linalg.norm(X, axis=-1, keepdims=True), 1e-9)


class _Ctx:
    def __init__(self, turns: list[Turn], hits: list[dict[str, float]]):
        self.turns, self.hits = turns, hits
        self.agent = [t for t in turns if t.role == "agent"]
        self.customer = [t for t in turns if t.role != "agent"]
        self.end = max((t.end for t in turns), default=0.0)
        # A speaker's turn is a run of their utterances (Whisper splits one turn at pauses): "the agent's first
        # turn" and "the last three turns" count runs, as a reviewer would.
        self.agent_runs: list[list[Turn]] = []
        prev = None
        for t in sorted(turns, key=lambda t: (t.start, t.index)):
            if t.role == "agent":
                if prev == "agent":
                    self.agent_runs[-1].append(t)
                else:
                    self.agent_runs.append([t])
            prev = "agent" if t.role == "agent" else "customer"

    def said(self, t: Turn, name: str | None) -> float:
        return self.hits[t.index].get(name, 0.0) if name else 0.0


Answer = tuple[str | int, float, list[int]]


def _opening(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    first = [t for run in ctx.agent_runs[: int(rule.get("turns", 1))] for t in run]
    if not first:
        return "no", 0.6, []
    confs = []
    for name in rule.get("sets", []):
        c = max((ctx.said(t, name) for t in first), default=0.0)
        if not c and (label := ENTITY_STANDS_FOR.get(name)) and any(label in t.entities for t in first):
            c = 0.7  # a named company / person, with no cue phrase around it
        confs.append(c)
    ev = [t.index for t in first]
    return ("yes", min(confs), ev) if all(confs) else ("no", 0.75, ev)


def _before_details(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    """Verification asked before any account detail. Details: the agent's detail phrases, or an agent turn holding
    PII or a long number (a card read out). An agent who asks for verification shows the call touches an account
    even when no detail phrase is heard, so "na" is only for calls with neither."""
    min_digits = int(rule.get("min_digits", 10))
    details = [t for t in ctx.agent if ctx.said(t, rule.get("details")) or t.pii
               or sum(ch.isdigit() for ch in t.text) >= min_digits]
    asked = next((t for t in ctx.agent if ctx.said(t, rule.get("set"))), None)
    if asked is None:
        return ("no", 0.75, [details[0].index]) if details else ("na", 0.7, [])
    earlier = [d for d in details if d.start < asked.start and d.index != asked.index]
    if earlier:
        return "no", 0.75, [earlier[0].index, asked.index]
    return "yes", min(0.9, ctx.said(asked, rule.get("set"))), [asked.index] + [d.index for d in details[:1]]


NEGATIVE_EMOTIONS = {"anger", "disgust", "sadness", "fear"}


def _negative(t: Turn) -> bool:
    """The customer voices a complaint or a negative feeling: a dissatisfaction / threat phrase, or a clearly
    negative sentiment that the complaint intent or a negative emotion confirms (sentiment alone also fires on
    neutral requests like "once a month, so I don't forget")."""
    if NEGATIVE_CATEGORIES & set(t.categories):
        return True
    complaint = max((p for label, p in t.intents if label == "complaint"), default=0.0)
    return t.sentiment == "negative" and t.sentiment_score <= -0.5 and (
        complaint >= 0.5 or t.emotion in NEGATIVE_EMOTIONS)


def _after_negative(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    neg = next((t for t in ctx.customer if _negative(t)), None)
    if neg is None:
        return "na", 0.7, []
    runs = [run for run in ctx.agent_runs if run[-1].start >= neg.start][: int(rule.get("turns", 2))]
    after = [t for run in runs for t in run]
    said = [t for t in after if ctx.said(t, rule.get("set"))]
    if said:
        return "yes", ctx.said(said[0], rule.get("set")), [neg.index, said[0].index]
    return "no", 0.7, [neg.index] + [t.index for t in after]


def _interruptions(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    min_overlap = float(rule.get("min_overlap", 0.5))
    cuts = [a.index for a in ctx.agent if any(c.start < a.start and c.end - a.start >= min_overlap
                                              for c in ctx.customer)]
    return ("yes" if len(cuts) <= int(rule.get("max", 1)) else "no"), 0.8, cuts


def _silence_announced(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    min_silence = float(rule.get("min_silence", 8.0))
    order = sorted(ctx.turns, key=lambda t: t.start)
    reach, gaps = 0.0, []
    for prev, nxt in pairwise(order):
        reach = max(reach, prev.end)
        if nxt.start - reach >= min_silence:
            before = [t for t in ctx.agent if t.end <= reach + 0.01]
            gaps.append(before[-1] if before else None)
    if not gaps:
        return "na", 0.8, []
    unannounced = [g for g in gaps if g is None or not ctx.said(g, rule.get("set"))]
    ev = [g.index for g in gaps if g is not None]
    return ("no", 0.75, ev) if unannounced else ("yes", 0.85, ev)


def _said_in(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    part = rule.get("part", "anywhere")
    if part == "second_half":
        agent = [t for t in ctx.agent if t.start >= ctx.end / 2]
        customer = [t for t in ctx.customer if t.start >= ctx.end / 2]
    elif part == "last_agent_turns":
        agent, customer = [t for run in ctx.agent_runs[-int(rule.get("turns", 1)):] for t in run], []
    else:
        agent, customer = ctx.agent, ctx.customer
    found = [(ctx.said(t, rule.get("set")), t) for t in agent] + [(ctx.said(t, rule.get("also")), t) for t in customer]
    found = [(c, t) for c, t in found if c]
    if found:
        c, t = max(found, key=lambda x: x[0])
        return "yes", min(0.9, c), [t.index]
    return "no", 0.7, [t.index for t in agent[-1:]]


def _absent(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    role = rule.get("role", "agent")
    said = [t.index for t in ctx.turns if (t.role == role or role == "any") and ctx.said(t, rule.get("set"))]
    return ("no", 0.9, said) if said else ("yes", 0.8, [])


def _no_pii_readback(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    """PII the redactor found in an agent's turn, or a long run of digits it could not validate (Whisper hears
    "four five three nine" as "453i": the card's checksum fails, but the agent still read a number back), or a
    date of birth repeated after the customer gave it."""
    types = set(rule.get("types", []))
    min_digits = int(rule.get("min_digits", 10))
    dob = _dob_read_back(ctx) if "date_of_birth" in types else set()
    read = [t.index for t in ctx.agent if types & set(t.pii) or sum(ch.isdigit() for ch in t.text) >= min_digits
            or t.index in dob]
    return ("no", 0.85, read) if read else ("yes", 0.8, [])


def _dob_read_back(ctx: _Ctx) -> set[int]:
    """Agent turns that repeat the customer's date of birth. Neither turn need say "date of birth": the agent asks
    for it, the customer answers with the bare date («Двенадцатое марта восемьдесят пятого года»), the agent says
    it back («Двенадцатое марта ..., верно»). The same day and month counts; so does any date in the agent's next
    turn when the customer's date was already redacted ([DOB]) and cannot be compared."""
    from vocsvc.nlp.pii import date_key, find_dates, find_pii

    given: set[tuple[int, int]] = set()
    pending = False  # the customer's last turn held a date of birth we cannot compare
    out: set[int] = set()
    order = sorted(ctx.turns, key=lambda t: (t.start, t.index))
    for k, t in enumerate(order):
        if t.role == "agent":
            keys = {date_key(t.text[s:e]) for s, e in find_dates(t.text)}
            if keys and (pending or any(k_ in given or (k_ and k_[::-1] in given) for k_ in keys)):
                out.add(t.index)
            pending = False
            continue
        spans = [p for p in find_pii(t.text, context=order[k - 1].text if k else "") if p.type == "date_of_birth"]
        given |= {key for p in spans if (key := date_key(t.text[p.start : p.end]))}
        pending = pending or "date_of_birth" in t.pii or "[DOB]" in t.text or any(
            date_key(t.text[p.start : p.end]) is None for p in spans)
    return out


def _talk_share(ctx: _Ctx, rule: Rule, item: Item) -> Answer:
    agent = sum(t.end - t.start for t in ctx.agent)
    total = agent + sum(t.end - t.start for t in ctx.customer)
    if total <= 0:
        return "na", 1.0, []
    share = agent / total
    lo, hi = rule.get("best", [0.3, 0.6])
    off = max(0.0, lo - share, share - hi)
    return max(item.min, item.max - int(np.ceil(off / 0.1 - 1e-9))), 0.9, []


RULES: dict[str, Callable[[_Ctx, Rule, Item], Answer]] = {
    "opening": _opening, "before_details": _before_details, "after_negative": _after_negative,
    "interruptions": _interruptions, "silence_announced": _silence_announced, "said_in": _said_in,
    "absent": _absent, "no_pii_readback": _no_pii_readback, "talk_share": _talk_share,
}


FALLBACK_REASONS = ("complaint", "other")  # the tone or "none of these": a topic found beside them is the reason


def _reason(ctx: _Ctx) -> dict | None:
    """The customer's main intent: intent probabilities summed over the customer's turns of the first half (where
    the reason is usually given), else over all of them. An angry customer's complaint is the tone, not the topic:
    a topic intent with some mass wins over it; complaint, then other, only when nothing else is there."""
    for turns in ([t for t in ctx.customer if t.start <= ctx.end / 2], ctx.customer):
        mass: dict[str, float] = defaultdict(float)
        for t in turns:
            for label, p in t.intents:
                mass[label] += p
        ranked = sorted(mass.items(), key=lambda x: (-x[1], x[0]))
        topics = [x for x in ranked if x[0] not in FALLBACK_REASONS and x[1] >= 0.25]
        best = topics or [x for x in ranked if x[0] == "complaint"] or ranked
        if best:
            label, m = best[0]
            ev = next(t.index for t in turns if any(lb == label for lb, _p in t.intents))
            return {"intent": label, "confidence": round(min(1.0, m / max(1.0, sum(mass.values()))), 3),
                    "evidence": [{"utterance": ev, "start": round(ctx.turns[ev].start, 2)}]}
    return None


def _outcome(ctx: _Ctx, card: Scorecard, items: list[ItemAnswer]) -> dict:
    def first(name: str) -> Turn | None:
        return next((t for t in ctx.agent if ctx.said(t, name)), None)

    resolved = next((a for a in items if a.id == card.outcome.resolved_item), None)
    if (t := first(card.outcome.escalated)) is not None:
        label, ev = "escalated", [t.index]
    elif resolved is not None and resolved.answer == "yes":
        label, ev = "resolved", [e["utterance"] for e in resolved.evidence]
    elif (t := first(card.outcome.follow_up)) is not None:
        label, ev = "follow_up", [t.index]
    else:
        label, ev = "unresolved", []
    return {"label": label, "evidence": [{"utterance": k, "start": round(ctx.turns[k].start, 2)} for k in ev]}


def normalize_verdict(v) -> str | int | None:
    """A reviewer's checklist value as an answer: true/false (the older checklist form) are yes/no."""
    if v is True:
        return "yes"
    if v is False:
        return "no"
    return v


def apply_verdicts(qa: dict, card: Scorecard, verdicts: dict) -> dict:
    """The automatic answers with a reviewer's verdicts over them (the automatic value stays beside each), and the
    scores recomputed from the final answers."""
    known = {i.id for s in card.sections for i in s.items}
    items, finals = [], []
    for a in qa.get("items", []):
        rv = normalize_verdict(verdicts.get(a["id"]))
        final = rv if rv is not None else a["answer"]
        items.append(a | {"auto": a["answer"], "reviewer": rv, "final": final})
        if a["id"] in known:
            finals.append(ItemAnswer(a["id"], a["section"], a["title"], a["type"], final, a["confidence"],
                                     a["evidence"], a["weight"]))
    sections, overall = section_scores(card, finals)
    return qa | {"items": items, "final_sections": sections, "final_score": overall}
