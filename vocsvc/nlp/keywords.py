"""Lemmatised keyphrases per text, ranked by YAKE, stop words and PII placeholders removed.

Candidates are runs of content words (nouns, proper nouns, adjectives; up to ``max_ngram``) that contain a noun,
written as lemmas so "refunds"/"refund" and "возврата"/"возвратом" give one keyword.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from vocsvc.nlp.lemmas import Doc

_CONTENT = {"NOUN", "PROPN", "ADJ"}
_HEAD = {"NOUN", "PROPN"}
# Frequent in customer text yet never a topic.
_EXTRA_STOPS = {
    "en": {"thing", "lot", "time", "way", "day", "guy", "people", "one", "something", "anything", "everything", "bit"},
    "ru": {"это", "весь", "всё", "раз", "день", "время", "человек", "вещь", "дело", "год", "что-то"},
}


@dataclass(frozen=True, slots=True)
class KeywordOptions:
    top: int = 5
    max_ngram: int = 3


class KeywordExtractor:
    def __init__(self, opts: KeywordOptions = KeywordOptions()):
        self.opts = opts
        self._yake: dict[str, object] = {}

    def _extractor(self, lang: str):
        if lang not in self._yake:
            import yake

            self._yake[lang] = yake.KeywordExtractor(
                lan="ru" if lang == "ru" else "en", n=self.opts.max_ngram, dedupLim=0.8, top=self.opts.top * 4
            )
        return self._yake[lang]

    def candidates(self, doc: Doc) -> list[str]:
        stops = _EXTRA_STOPS.get(doc.lang, set())
        out, cur = [], []
        for t in doc.tokens + [None]:  # type: ignore[list-item]
            ok = t is not None and t.pos in _CONTENT and t.is_alpha and not t.is_stop and len(t.lemma) > 1
            if ok and t.lemma not in stops:
                cur.append(t)
                continue
            while cur and cur[-1].pos not in _HEAD:  # a phrase ends on its noun
                cur.pop()
            if cur:
                for k in range(0, len(cur), self.opts.max_ngram):
                    out.append(" ".join(x.lemma for x in cur[k : k + self.opts.max_ngram]))
            cur = []
        return out

    def __call__(self, docs: list[Doc]) -> list[list[str]]:
        result = []
        for doc in docs:
            cands = self.candidates(doc)
            if not cands or self.opts.top == 0:
                result.append([])
                continue
            if len(set(cands)) <= self.opts.top:
                result.append(list(dict.fromkeys(cands)))
                continue
            # YAKE scores the candidates inside the lemmatised text (lower is better).
            lemma_text = " ".join(t.lemma if t.is_alpha else t.text for t in doc.tokens)
            scores = {kw: s for kw, s in self._extractor(doc.lang).extract_keywords(lemma_text)}
            uniq = list(dict.fromkeys(cands))
            ranked = sorted(uniq, key=lambda c: (scores.get(c, _fallback(c, scores)), uniq.index(c)))
            result.append(ranked[: self.opts.top])
        return result


def _fallback(cand: str, scores: dict[str, float]) -> float:
    parts = [scores[w] for w in cand.split() if w in scores]
    return min(parts) if parts else 1e9


@lru_cache(maxsize=4)
def load_keyword_extractor(opts: KeywordOptions = KeywordOptions()) -> KeywordExtractor:
    return KeywordExtractor(opts)
