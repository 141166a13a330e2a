"""Language identification: the writing system first, lingua only where it cannot decide.

Social posts are often more @handle and link than words ("@beeline_rus опять нет сети https://t.co/x1"), and a
statistical detector reads the handles as English. So the words are taken first: @handles, links, e-mail addresses,
hashtags and redaction placeholders are removed (hashtags and then handles come back only when no other words are left). Then the script decides: when one configured language uses the
dominant script (Cyrillic: ru; Latin: en, in the default ``ru,en``), that is the answer, so a text mostly in
Cyrillic is never English. lingua, restricted to the configured languages of that script, runs only when several
share it (say ``en,de``).

>>> detect = load_language_detector(LanguageOptions(("ru", "en")))
>>> [r.lang for r in detect(["@mts_russia опять нет сети https://t.co/aB3", "@Delta where is my bag"])]
['ru', 'en']
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from vocsvc.nlp.links import LINK_PATTERN

_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)
# What is not the writer's words: links, @handles, e-mails, redaction marks
_NOISE_RE = re.compile(
    LINK_PATTERN + r"|[\w.+-]+@[\w-]+\.[\w.]+|@\w+|"
    r"\[(?:CARD|PHONE|EMAIL|IBAN|PASSPORT|SNILS|INN|DOB)\]", re.UNICODE | re.IGNORECASE)
# Hashtags are often English tags on a Russian post (#fail #ozon_support): the words outside them decide, the tags
# only when nothing else is left
_HASHTAG_RE = re.compile(r"#\w+", re.UNICODE)
_CYRILLIC = {"ru", "uk", "be", "bg", "kk", "mk", "sr", "mn", "ky", "tg", "tt"}
_MIN_LETTERS = 3


@dataclass(frozen=True, slots=True)
class LanguageOptions:
    languages: tuple[str, ...] = ("ru", "en")
    default: str = "en"
    min_confidence: float = 0.5  # below this (lingua's confidence) the default language is returned


@dataclass(frozen=True, slots=True)
class LanguageResult:
    lang: str
    confidence: float


def script_of(code: str) -> str:
    return "cyrillic" if code in _CYRILLIC else "latin"


def words_only(text: str) -> str:
    """The text without links, @handles, e-mails, redaction marks and hashtags (what the language is decided on);
    with the hashtags' words where nothing else is left, and the raw text where even those are too few."""
    words = _NOISE_RE.sub(" ", text)
    for candidate in (_HASHTAG_RE.sub(" ", words), words.replace("#", " ")):
        if sum(letter_counts(candidate)) >= _MIN_LETTERS:
            return candidate
    return text


def letter_counts(text: str) -> tuple[int, int]:
    """(Cyrillic, Latin) letters."""
    cyr = lat = 0
    for ch in _LETTER_RE.findall(text):
        if "\u0400" <= ch <= "\u04ff":
            cyr += 1
        elif ch.isascii() or "\u00c0" <= ch <= "\u024f":
            lat += 1
    return cyr, lat


class LanguageDetector:
    def __init__(self, opts: LanguageOptions):
        from lingua import IsoCode639_1, Language

        self.opts = opts
        self._by_script: dict[str, list[str]] = {}
        self._lingua: dict[str, object] = {}
        for code in opts.languages:
            try:
                Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
            except AttributeError as e:
                raise ValueError(f"unknown language code {code!r} in VOCSVC_LANGUAGES") from e
            self._by_script.setdefault(script_of(code), []).append(code)

    def _detector(self, script: str):
        if script not in self._lingua:
            from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

            langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in self._by_script[script]]
            self._lingua[script] = LanguageDetectorBuilder.from_languages(*langs).build()
        return self._lingua[script]

    def __call__(self, texts: list[str]) -> list[LanguageResult]:
        out: list[LanguageResult | None] = [None] * len(texts)
        todo: dict[str, list[tuple[int, str]]] = {}
        for i, t in enumerate(texts):
            words = words_only(t)
            cyr, lat = letter_counts(words)
            if cyr + lat == 0:
                out[i] = LanguageResult(self.opts.default, 0.0)  # digits, emoji, punctuation only
                continue
            script, share = ("cyrillic", cyr / (cyr + lat)) if cyr >= lat else ("latin", lat / (cyr + lat))
            codes = self._by_script.get(script)
            if not codes:  # a script no configured language uses: the other script's languages
                codes = next(iter(self._by_script.values()))
                script = script_of(codes[0])
                share = 1 - share
            if len(codes) == 1:
                out[i] = LanguageResult(codes[0], round(share, 3))
            else:
                todo.setdefault(script, []).append((i, words))
        for script, items in todo.items():
            values = self._detector(script).compute_language_confidence_values_in_parallel([w for _, w in items])
            for (i, _), vals in zip(items, values):
                best = vals[0]
                code = best.language.iso_code_639_1.name.lower()
                conf = float(best.value)
                out[i] = LanguageResult(code if conf >= self.opts.min_confidence else self.opts.default, conf)
        return out  # type: ignore[return-value]


@lru_cache(maxsize=4)
def load_language_detector(opts: LanguageOptions = LanguageOptions()) -> LanguageDetector:
    return LanguageDetector(opts)
