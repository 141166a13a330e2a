"""Named entities: PER, ORG, LOC (spaCy for English, natasha/slovnet for Russian) plus PRODUCT from a list.

Products are matched on lemmas, so a product list entry ``айфон`` finds ``айфона``; matching is case-insensitive.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp.lemmas import Doc, Lemmatizer, may_name
from vocsvc.types import Entity

_SPACY_MAP = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}


@dataclass(frozen=True, slots=True)
class EntityOptions:
    products: tuple[str, ...] = ()
    batch_size: int = 256  # natasha's cost per text halves from 32 to 256 (padding is per batch, texts short)


def _ru_stop_words() -> frozenset[str]:
    from spacy.lang.ru.stop_words import STOP_WORDS

    return STOP_WORDS


class EntityRecognizer:
    def __init__(self, opts: EntityOptions, lemmatizer: Lemmatizer):
        self.opts = opts
        self._ner_ru = None
        self._lock = threading.Lock()
        self._products: dict[str, dict[tuple[str, ...], str]] = {}
        if opts.products:
            for lang in ("en", "ru"):
                docs = lemmatizer(list(opts.products), [lang] * len(opts.products))
                for name, doc in zip(opts.products, docs):
                    key = tuple(t.lemma for t in doc.tokens if t.pos != "PUNCT")
                    if key:
                        self._products.setdefault(lang, {})[key] = name

    @property
    def ner_ru(self):
        if self._ner_ru is None:
            try:
                from natasha import NewsEmbedding, NewsNERTagger
            except ImportError as e:
                raise ModelNotFoundError("Russian NER needs natasha: pip install natasha==1.6.0 'setuptools<81'") from e
            tagger = NewsNERTagger(NewsEmbedding())
            tagger.batch_size = self.opts.batch_size
            self._ner_ru = tagger
        return self._ner_ru

    def __call__(self, texts: list[str], docs: list[Doc]) -> list[list[Entity]]:
        out: list[list[Entity]] = [[] for _ in texts]
        # natasha only where a name could be (a capitalised word or @handle): ~40% less work on typical posts
        ru_idx = [i for i, d in enumerate(docs) if d.lang == "ru" and may_name([t.text for t in d.tokens], _ru_stop_words())]
        if ru_idx:
            with self._lock:
                markups = list(self.ner_ru.map([texts[i] for i in ru_idx]))
            for i, mk in zip(ru_idx, markups):
                out[i] = [Entity(texts[i][s.start : s.stop], s.type, s.start, s.stop) for s in mk.spans]
        for i, d in enumerate(docs):
            if d.lang != "ru":
                out[i] = [Entity(t, _SPACY_MAP[lab], s, e) for t, lab, s, e in d.entities if lab in _SPACY_MAP]
            out[i].extend(self._find_products(texts[i], d, out[i]))
            out[i].sort(key=lambda e: e.start)
        return out

    def _find_products(self, text: str, doc: Doc, taken: list[Entity]) -> list[Entity]:
        table = self._products.get(doc.lang)
        if not table:
            return []
        lemmas = [t.lemma for t in doc.tokens]
        found = []
        for i in range(len(lemmas)):
            for key, name in table.items():
                if tuple(lemmas[i : i + len(key)]) == key:
                    s = doc.tokens[i].start
                    last = doc.tokens[i + len(key) - 1]
                    e = last.start + len(last.text)
                    if all(e <= x.start or s >= x.end for x in taken + found):
                        found.append(Entity(text[s:e], "PRODUCT", s, e))
        return found
