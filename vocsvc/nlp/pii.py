"""PII redaction for Russian and English text, written or transcribed from speech.

Finds card numbers (Luhn-checked; digits or digits read aloud in words), phone numbers, emails, IBANs, Russian
passports, SNILS and INN, and replaces them with ``[CARD]``, ``[PHONE]``... Order numbers, prices and dates are not
PII: every numeric detector needs a checksum, a phone-like shape or a context word, so they stay.

>>> redact("card 4539 1488 0343 6467 please").text
'card [CARD] please'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from vocsvc.types import PiiSpan

PLACEHOLDERS = {
    "card_number": "[CARD]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "passport_ru": "[PASSPORT]",
    "snils": "[SNILS]",
    "inn": "[INN]",
}
# Earlier wins when two detectors claim overlapping text.
_PRIORITY = ["email", "iban", "card_number", "snils", "passport_ru", "inn", "phone"]


@dataclass(frozen=True, slots=True)
class Redaction:
    text: str
    spans: list[PiiSpan] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------- checksums
def luhn_ok(digits: str) -> bool:
    from stdnum import luhn  # python-stdnum: maintained check-digit code (we wrote these by hand before)

    return luhn.is_valid(digits)


def _card_shape_ok(digits: str) -> bool:
    # Issuer prefixes of the networks in use (Visa 4, Mastercard 2/5, Mir 2, Amex/JCB/Diners 3, UnionPay/
    # Maestro/Discover 6); a Luhn-valid order number starting 1, 7, 8, 9 or 0 is not taken for a card.
    return 13 <= len(digits) <= 19 and digits[0] in "23456" and luhn_ok(digits)


def iban_ok(iban: str) -> bool:
    """mod-97 *and* the country's own length and BBAN format (stdnum knows them; our mod-97 alone accepted a
    German IBAN one digit short)."""
    from stdnum import iban as _iban

    return _iban.is_valid(iban)


def snils_ok(digits: str) -> bool:
    if len(digits) != 11:
        return False
    body, check = digits[:9], int(digits[9:])
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1)))
    if total > 101:
        total %= 101
    expected = 0 if total in (100, 101) else total
    return expected == check


def inn_ok(digits: str) -> bool:
    from stdnum.ru import inn

    return len(digits) in (10, 12) and inn.is_valid(digits)


# ----------------------------------------------------------------------------------------------- number words
_UNITS = {
    # English
    "zero": 0, "oh": 0, "nought": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9,
    # Russian (the forms used when reading digits aloud)
    "ноль": 0, "нуль": 0, "один": 1, "одна": 1, "одно": 1, "раз": 1, "два": 2, "две": 2, "три": 3,
    "четыре": 4, "пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9,
}
_TEENS = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
    "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
    "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
    "восемьдесят": 80, "девяносто": 90,
}
_HUNDREDS = {
    "сто": 100, "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900,
}
_REPEAT = {"double": 2, "triple": 3}
_PLUS_WORDS = {"plus", "плюс"}
_NUMBER_WORDS = set(_UNITS) | set(_TEENS) | set(_TENS) | set(_HUNDREDS) | set(_REPEAT)

_TOKEN_RE = re.compile(r"\d+|[^\W\d_]+", re.UNICODE)


def is_number_token(word: str) -> bool:
    """'4539', '4539,' or 'forty' / 'сорок': part of a number said or written (for keeping digit runs together)."""
    w = word.strip().strip(",.;:!?-–—").lower()
    return bool(w) and (w.isdigit() or w in _NUMBER_WORDS)

# What may stand between two tokens of one spoken/written number: spaces, commas, dashes, dots, slashes.
_JOIN_RE = re.compile(r"^[\s,.\-–—/]*$")


@dataclass(slots=True)
class _Tok:
    start: int
    end: int
    word: str  # lower-cased; digits as written


def _number_runs(text: str) -> list[list[_Tok]]:
    """Maximal runs of digit groups and number words separated only by spaces and light punctuation."""
    runs: list[list[_Tok]] = []
    cur: list[_Tok] = []
    for m in _TOKEN_RE.finditer(text):
        w = m.group().lower()
        is_num = w.isdigit() or w in _NUMBER_WORDS
        if is_num and cur and not _JOIN_RE.match(text[cur[-1].end : m.start()]):
            runs.append(cur)
            cur = []
        if is_num:
            cur.append(_Tok(m.start(), m.end(), w))
        elif cur:
            runs.append(cur)
            cur = []
    if cur:
        runs.append(cur)
    return runs


def _run_to_groups(run: list[_Tok]) -> list[tuple[str, int, int]]:
    """Turn a run into digit groups with spans: 'forty five' -> '45', 'девятьсот шестнадцать' -> '916'."""
    groups: list[tuple[str, int, int]] = []
    i, n = 0, len(run)
    while i < n:
        t = run[i]
        w = t.word
        if w.isdigit():
            groups.append((w, t.start, t.end))
            i += 1
        elif w in _REPEAT and i + 1 < n and run[i + 1].word in _UNITS:
            groups.append((str(_UNITS[run[i + 1].word]) * _REPEAT[w], t.start, run[i + 1].end))
            i += 2
        elif w in _HUNDREDS:
            value, end, j = _HUNDREDS[w], t.end, i + 1
            if j < n and run[j].word in _TEENS:
                value, end, j = value + _TEENS[run[j].word], run[j].end, j + 1
            else:
                if j < n and run[j].word in _TENS:
                    value, end, j = value + _TENS[run[j].word], run[j].end, j + 1
                if j < n and run[j].word in _UNITS and _UNITS[run[j].word] > 0:
                    value, end, j = value + _UNITS[run[j].word], run[j].end, j + 1
            groups.append((str(value), t.start, end))
            i = j
        elif w in _TENS:
            if i + 1 < n and run[i + 1].word in _UNITS and _UNITS[run[i + 1].word] > 0:
                groups.append((str(_TENS[w] + _UNITS[run[i + 1].word]), t.start, run[i + 1].end))
                i += 2
            else:
                groups.append((str(_TENS[w]), t.start, t.end))
                i += 1
        elif w in _TEENS:
            groups.append((str(_TEENS[w]), t.start, t.end))
            i += 1
        elif w in _UNITS:
            groups.append((str(_UNITS[w]), t.start, t.end))
            i += 1
        else:  # a lone 'double' with nothing to repeat
            i += 1
    return groups


def _find_in_runs(text: str) -> list[tuple[str, int, int]]:
    """Cards (any run) and phones read aloud (runs with number words) inside number runs."""
    found: list[tuple[str, int, int]] = []
    for run in _number_runs(text):
        groups = _run_to_groups(run)
        total = sum(len(g[0]) for g in groups)
        if total < 10:
            continue
        spoken = any(not t.word.isdigit() for t in run)
        before = text[max(0, run[0].start - 40) : run[0].start]
        if _ORDER_CTX.search(before[-20:]) and not _CARD_CTX.search(before):
            continue  # "order #112-3456789-1234567" is an order number even if a part passes Luhn
        # Longest sub-run of whole groups that is a valid card number: a run may carry an 'oh' or an
        # expiry date beside the card.
        best: tuple[int, int] | None = None
        for a in range(len(groups)):
            digits = ""
            for b in range(a, len(groups)):
                digits += groups[b][0]
                if len(digits) > 19:
                    break
                if _card_shape_ok(digits) and (best is None or b - a > best[1] - best[0]) and (
                    spoken or _card_layout_ok([len(g[0]) for g in groups[a : b + 1]])
                ):
                    best = (a, b)
        if best is not None:
            a, b = best
            found.append(("card_number", groups[a][1], groups[b][2]))
            continue
        if 12 <= total <= 19 and _CARD_CTX.search(text[max(0, run[0].start - 40) : run[0].start]):
            # Said to be a card but fails Luhn: a mis-heard digit in a transcript is still a card number.
            found.append(("card_number", groups[0][1], groups[-1][2]))
            continue
        if spoken:
            # A phone read aloud: 'plus seven nine one six ...' or 'восемь девятьсот шестнадцать ...'.
            digits = "".join(g[0] for g in groups)
            before = text[max(0, run[0].start - 8) : run[0].start].lower()
            plus = any(p in before for p in _PLUS_WORDS)
            if (plus and 10 <= len(digits) <= 15) or _ru_phone_digits(digits) or len(digits) == 10:
                start = groups[0][1]
                if plus:
                    m = re.search(r"(plus|плюс)\W*$", before)
                    start = run[0].start - (len(before) - m.start()) if m else start
                found.append(("phone", start, groups[-1][2]))
    return found


_ORDER_CTX = re.compile(r"(order|заказ\w*|invoice|сч[её]т\w*|ticket|тикет|track\w*|трек\w*|#|№)\W*$",
                        re.IGNORECASE)


def _card_layout_ok(lengths: list[int]) -> bool:
    """Written card numbers come as one block or in the networks' groupings (4-4-4-4[-3], Amex 4-6-5, 4-6-4)."""
    if len(lengths) == 1:
        return True
    if lengths in ([4, 6, 5], [4, 6, 4]):
        return True
    return all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4


_CARD_CTX = re.compile(r"(\bcard\b|\bкарт\w*|\bvisa\b|mastercard|\bмир\b|\bpan\b)", re.IGNORECASE)


def _ru_phone_digits(digits: str) -> bool:
    return len(digits) == 11 and digits[0] in "78" and digits[1] in "3489"


# ----------------------------------------------------------------------------------------------- regexes
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])", re.UNICODE)
_IBAN_RE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
# Digit groups with phone punctuation; the digit-count rules in find_pii decide what is a phone.
_PHONE_RE = re.compile(r"(?<![\w+])(?:\+\s?)?\(?\d{1,5}\)?(?:[ .\-]{0,2}\(?\d{1,5}\)?){1,6}(?!\w)")
_SNILS_RE = re.compile(r"(?<!\d)\d{3}[\s-]?\d{3}[\s-]?\d{3}[\s-]?\d{2}(?!\d)")
_PASSPORT_RE = re.compile(r"(?<!\d)\d{2}\s?\d{2}\s?(?:№\s?|N\s?)?\d{6}(?!\d)")
_INN_RE = re.compile(r"(?<!\d)\d{10}(?:\d{2})?(?!\d)")
_PASSPORT_CTX = re.compile(r"(паспорт|passport|сери[яию]|series)", re.IGNORECASE)
_SNILS_CTX = re.compile(r"(снилс|snils)", re.IGNORECASE)
_INN_CTX = re.compile(r"(\bинн\b|\binn\b|\btin\b|taxpayer)", re.IGNORECASE)
_NOT_PHONE_CTX = re.compile(
    r"(order|заказ|invoice|сч[её]т[а-я]*|ticket|тикет|заявк[а-я]*|tracking|трек|номер заказа|№)\W*$", re.IGNORECASE
)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _context(text: str, start: int, width: int = 40) -> str:
    return text[max(0, start - width) : start]


def find_pii(text: str) -> list[PiiSpan]:
    """All PII spans in ``text``, non-overlapping, in text order."""
    cands: list[tuple[str, int, int]] = []
    for m in _EMAIL_RE.finditer(text):
        cands.append(("email", m.start(), m.end()))
    for m in _IBAN_RE.finditer(text):
        if iban_ok(m.group()):
            cands.append(("iban", m.start(), m.end()))
    cands.extend(_find_in_runs(text))
    for m in _SNILS_RE.finditer(text):
        d = _digits(m.group())
        formatted = bool(re.fullmatch(r"\d{3}-\d{3}-\d{3}[\s-]\d{2}", m.group()))
        if snils_ok(d) and (formatted or _SNILS_CTX.search(_context(text, m.start()))):
            cands.append(("snils", m.start(), m.end()))
    for m in _PASSPORT_RE.finditer(text):
        if _PASSPORT_CTX.search(_context(text, m.start())):
            cands.append(("passport_ru", m.start(), m.end()))
    for m in _INN_RE.finditer(text):
        d = m.group()
        if inn_ok(d) and (len(d) == 12 or _INN_CTX.search(_context(text, m.start(), 25))):
            cands.append(("inn", m.start(), m.end()))
    for m in _PHONE_RE.finditer(text):
        s = m.group()
        lead = len(s) - len(s.lstrip())
        start = m.start() + lead
        d = _digits(s)
        plus = s.lstrip().startswith("+")
        formatted = "(" in s or bool(re.search(r"\d[\s.\-]\d", s))
        ok = (plus and 10 <= len(d) <= 15) or _ru_phone_digits(d) or (formatted and len(d) == 10)
        if ok and not (not plus and _NOT_PHONE_CTX.search(_context(text, start, 20))):
            cands.append(("phone", start, m.end()))
    return _resolve(cands)


def _resolve(cands: list[tuple[str, int, int]]) -> list[PiiSpan]:
    rank = {t: i for i, t in enumerate(_PRIORITY)}
    chosen: list[tuple[str, int, int]] = []
    for typ, s, e in sorted(cands, key=lambda c: (rank[c[0]], -(c[2] - c[1]), c[1])):
        if all(e <= cs or s >= ce for _, cs, ce in chosen):
            chosen.append((typ, s, e))
    return [PiiSpan(t, s, e) for t, s, e in sorted(chosen, key=lambda c: c[1])]


def redact(text: str, spans: list[PiiSpan] | None = None) -> Redaction:
    """Replace PII with placeholders. ``spans`` (from :func:`find_pii`) index the original text."""
    if spans is None:
        spans = find_pii(text)
    out, pos = [], 0
    for sp in spans:
        out.append(text[pos : sp.start])
        out.append(PLACEHOLDERS[sp.type])
        pos = sp.end
    out.append(text[pos:])
    return Redaction("".join(out), spans)


def redact_batch(texts: list[str]) -> list[Redaction]:
    return [redact(t) for t in texts]
