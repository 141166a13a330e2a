"""Language identification with lingua, restricted to the configured languages (default ru, en)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)


@dataclass(frozen=True, slots=True)
class LanguageOptions:
    languages: tuple[str, ...] = ("ru", "en")
    default: str = "en"
    min_confidence: float = 0.5  # below this the default language is returned


@dataclass(frozen=True, slots=True)
class LanguageResult:
    lang: str
    confidence: float


class LanguageDetector:
    def __init__(self, opts: LanguageOptions):
        from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

        self.opts = opts
        langs = []
        for code in opts.languages:
            try:
                langs.append(Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())))
            except AttributeError as e:
                raise ValueError(f"unknown language code {code!r} in VOCSVC_LANGUAGES") from e
        if len(langs) == 1:
            self._detector = None
        else:
            self._detector = LanguageDetectorBuilder.from_languages(*langs).build()

    def __call__(self, texts: list[str]) -> list[LanguageResult]:
        if self._detector is None:
            return [LanguageResult(self.opts.languages[0], 1.0) for _ in texts]
        out: list[LanguageResult | None] = [None] * len(texts)
        todo = []
        for i, t in enumerate(texts):
            if not _LETTER_RE.search(t):
                out[i] = LanguageResult(self.opts.default, 0.0)  # digits, emoji, punctuation only
            else:
                todo.append(i)
        if todo:
            values = self._detector.compute_language_confidence_values_in_parallel([texts[i] for i in todo])
            for i, vals in zip(todo, values):
                best = vals[0]
                code = best.language.iso_code_639_1.name.lower()
                if best.value < self.opts.min_confidence:
                    out[i] = LanguageResult(self.opts.default, float(best.value))
                else:
                    out[i] = LanguageResult(code, float(best.value))
        return out  # type: ignore[return-value]


@lru_cache(maxsize=4)
def load_language_detector(opts: LanguageOptions = LanguageOptions()) -> LanguageDetector:
    return LanguageDetector(opts)
