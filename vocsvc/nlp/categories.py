"""Phrase categories (gratitude, dissatisfaction, churn threat ...) from a YAML lexicon matched on lemmas.

Phrases are lemmatised at load with the same :class:`~vocsvc.nlp.lemmas.Lemmatizer` as the texts, so a Russian
entry ``возврат`` matches ``возврата`` and ``возвратом``; a trailing ``*`` matches a lemma prefix.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from vocsvc.errors import ModelNotFoundError
from vocsvc.nlp.lemmas import Doc, Lemmatizer


@dataclass(frozen=True, slots=True)
class _Pattern:
    category: str
    parts: tuple[str, ...]  # lemmas; a part ending in '*' is a prefix


class CategoryMatcher:
    def __init__(self, lexicon_path: Path | None, lemmatizer: Lemmatizer, cats: dict | None = None,
                 skip_punct: bool = False):
        """From a lexicon file, or (``cats``) a mapping ``name -> {lang: [phrases]}`` already loaded (QA
        scorecards reuse the matcher for their phrase sets). ``skip_punct``: match across the text's punctuation,
        as the phrases are indexed without it ("чем-то" is three tokens; a transcript's commas fall anywhere).
        The category lexicon keeps the old behaviour until its model cards are re-measured with it."""
        self.skip_punct = skip_punct
        if cats is None:
            if lexicon_path is None or not lexicon_path.exists():
                raise ModelNotFoundError(
                    f"category lexicon not found at {lexicon_path}: set VOCSVC_CATEGORIES_LEXICON to a YAML file"
                )
            data = yaml.safe_load(lexicon_path.read_text(encoding="utf-8")) or {}
            cats = data.get("categories")
            if not isinstance(cats, dict):
                raise ValueError(f"{lexicon_path}: expected a top-level 'categories:' mapping")
        self.categories = list(cats)
        # first lemma -> patterns, per language; prefix patterns by the first two letters of their first part
        # (a token is checked only against the prefixes its lemma or word could match, not all of them)
        self._index: dict[str, dict[str, list[_Pattern]]] = {}
        self._prefix: dict[str, dict[str, list[_Pattern]]] = {}
        for cat, by_lang in cats.items():
            for lang, phrases in (by_lang or {}).items():
                plain = [p for p in phrases if "*" not in p]
                docs = lemmatizer(plain, [lang] * len(plain)) if plain else []
                for doc in docs:
                    # Both the lemmas and the word forms: a lone entry has no context, so its lemma can differ
                    # from the same word's lemma in a sentence ("worst" -> "bad").
                    for parts in {tuple(t.lemma for t in doc.tokens if t.pos != "PUNCT"),
                                  tuple(t.text.lower() for t in doc.tokens if t.pos != "PUNCT")}:
                        if parts:
                            self._index.setdefault(lang, {}).setdefault(parts[0], []).append(_Pattern(cat, parts))
                for p in phrases:
                    if "*" in p:
                        parts = tuple(w.lower() for w in p.split())
                        key = parts[0].rstrip("*")[:2]
                        self._prefix.setdefault(lang, {}).setdefault(key, []).append(_Pattern(cat, parts))

    def __call__(self, docs: list[Doc]) -> list[list[str]]:
        out = []
        for doc in docs:
            toks = [t for t in doc.tokens if t.pos != "PUNCT"] if self.skip_punct else doc.tokens
            lemmas = [t.lemma for t in toks]
            words = [t.text.lower() for t in toks]
            found: set[str] = set()
            index = self._index.get(doc.lang, {})
            prefix = self._prefix.get(doc.lang, {})
            for i, lemma in enumerate(lemmas):
                for pat in (*index.get(lemma, ()), *index.get(words[i], ())):
                    n = len(pat.parts)
                    if pat.category not in found and pat.parts in (tuple(lemmas[i : i + n]), tuple(words[i : i + n])):
                        found.add(pat.category)
                for key in _keys(lemma, words[i]):
                    for pat in prefix.get(key, ()):
                        if pat.category not in found and _prefix_match(pat.parts, lemmas, words, i):
                            found.add(pat.category)
            out.append([c for c in self.categories if c in found])
        return out


def _keys(lemma: str, word: str) -> set[str]:
    """Index keys a prefix pattern starting at this token can have: the first one or two letters of its lemma or
    word (a pattern's first part of fewer than two letters is filed under what it has)."""
    return {lemma[:2], lemma[:1], word[:2], word[:1], ""}


def _prefix_match(parts: tuple[str, ...], lemmas: list[str], words: list[str], i: int) -> bool:
    if i + len(parts) > len(lemmas):
        return False
    for k, part in enumerate(parts):
        lem, word = lemmas[i + k], words[i + k]
        if part.endswith("*"):
            stem = part[:-1]
            if not (lem.startswith(stem) or word.startswith(stem)):
                return False
        elif part != lem and part != word:
            return False
    return True
