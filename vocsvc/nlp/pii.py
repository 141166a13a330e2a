"""PII redaction for Russian and English text, written or transcribed from speech.

Finds card numbers (Luhn-checked; digits or digits read aloud in words), phone numbers, emails, IBANs, Russian
passports, SNILS, INN and dates of birth, and replaces them with ``[CARD]``, ``[PHONE]``, ``[DOB]``... Order numbers,
prices and dates are not PII: every numeric detector needs a checksum, a phone-like shape or a context word, and a
date is only a date of birth next to a birth cue ("date of birth", "born", «дата рождения», «родился»), so they stay.

Whisper writes digits read aloud with commas and spaces of its own ("8,916,555, 23,45", "4, 2, 7, 6, ...",
"42-76-38-15"): the number runs take any of those separators, and the layout rules below say which groupings are a
card or a phone.

>>> redact("card 4539 1488 0343 6467 please").text
'card [CARD] please'
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from vocsvc.types import PiiSpan

PLACEHOLDERS = {
    "card_number": "[CARD]",
    "phone": "[PHONE]",
    "email": "[EMAIL]",
    "iban": "[IBAN]",
    "passport_ru": "[PASSPORT]",
    "snils": "[SNILS]",
    "inn": "[INN]",
    "date_of_birth": "[DOB]",
}
# Earlier wins when two detectors claim overlapping text.
_PRIORITY = ["email", "iban", "card_number", "date_of_birth", "snils", "passport_ru", "inn", "phone"]


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
    """Cards (any run) and phones (read aloud in words, or digit groups in the layouts Whisper writes) inside
    number runs."""
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
                    spoken or (not _years(groups[a : b + 1]) and (
                        _card_layout_ok([len(g[0]) for g in groups[a : b + 1]])
                        or _said_card_ok(text, groups[a : b + 1])))
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
        else:
            found.extend(_digit_phone(text, groups))
    return found


def _separators(text: str, groups: list[tuple[str, int, int]]) -> set[str]:
    return {text[g[2] : h[1]].strip() or " " for g, h in pairwise(groups)}


def _years(groups: list[tuple[str, int, int]]) -> bool:
    """"2015, 2016, 2017, 2018" passes Luhn: a list of years is not a card."""
    return len(groups) > 1 and all(len(g[0]) == 4 and g[0][:2] in ("19", "20") for g in groups)


def _said_card_ok(text: str, groups: list[tuple[str, int, int]]) -> bool:
    """Layouts Whisper writes for a card read aloud, beyond the printed ones: digit by digit ("4, 2, 7, 6, ...",
    "4-2-7-6, 3-8-1-5"), blocks and digits mixed ("4276, 3, 8, 1, 5, ..."), in pairs ("42-76-38-15-..."), or as one
    big number with thousands commas ("4,276,381,5..."). Commas, hyphens and spaces only (dots and slashes are
    dates, times and decimals)."""
    lengths = [len(g[0]) for g in groups]
    if len(lengths) < 2 or _separators(text, groups) - {" ", ",", "-"}:
        return False
    return (
        set(lengths) <= {1, 4}
        or (all(n == 2 for n in lengths[:-1]) and lengths[-1] in (1, 2))
        or (lengths[0] <= 3 and all(n == 3 for n in lengths[1:]))
    )


# Where the groups of a phone number end, as people read them: 8 | 916 | 555 | 23 | 45 and (916) | 555 | 23 | 45
# or (555) | 014 | 2889. A grouping that cuts elsewhere ("7, 8, 9, 10, 11, 12, 13") is a list, not a phone.
_RU_PHONE_CUTS = {1, 4, 7, 9}
_NATIONAL_CUTS = {3, 6, 8}
_PHONE_CUE = re.compile(
    r"(phone|\btel\b|mobile|\bcell\b|number|call\s+me|call\s+back|reach\s+me|\bcontact|whats\s?app|телефон|\bтел\b|"
    r"номер|мобильн|сотов|звон|связ)", re.IGNORECASE)
_NOT_PHONE_WORDS = re.compile(
    r"(order|заказ|invoice|сч[её]т|ticket|тикет|заявк|track|трек|account|аккаунт|лицев|договор|contract|polic|"
    r"полис|\bref|confirmation|booking|брон|member|\bcard\b|карт|\bid\b|customer|клиент|serial|серийн|model|модел)",
    re.IGNORECASE)


def _digit_phone(text: str, groups: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """A phone written as digit groups with Whisper's separators ("8,916,555, 23,45", "555, 014, 2889",
    "7, 9, 1, 6, ..."): the longest sub-run of whole groups with a phone's length and layout. Eleven digits with a
    Russian prefix in phone groups stand alone; ten digits need a phone word nearby, except the Russian
    3-3-2-2 grouping."""
    best: tuple[int, int, int] | None = None  # (start, end, digit count)
    if len(groups) < 2:
        return []  # one block of digits: _PHONE_RE's rules
    for a in range(len(groups)):
        start = groups[a][1]
        lead = text[max(0, start - 8) : start]
        plus_m = re.search(r"(\+|\bplus|\bплюс)\W*$", lead, re.IGNORECASE)
        ctx = text[max(0, start - 40) : start]
        if _NOT_PHONE_CTX.search(ctx[-20:]):
            continue
        cue = bool(_PHONE_CUE.search(ctx) or _PHONE_CUE.search(text[groups[-1][2] : groups[-1][2] + 25]))
        listed = bool(_NOT_PHONE_WORDS.search(ctx))
        digits, lengths = "", []
        for b in range(a, len(groups)):
            digits += groups[b][0]
            lengths.append(len(groups[b][0]))
            if len(digits) > 15:
                break
            if not _phone_layout_ok(digits, lengths, bool(plus_m), cue and not listed):
                continue
            if _separators(text, groups[a : b + 1]) - {" ", ",", "-", "."} or (
                best is not None and len(digits) <= best[2]
            ):
                continue
            s = start - (len(lead) - plus_m.start()) if plus_m else start
            best = (s, groups[b][2], len(digits))
    return [("phone", best[0], best[1])] if best else []


def _phone_layout_ok(digits: str, lengths: list[int], plus: bool, cue: bool) -> bool:
    cuts = {sum(lengths[: i + 1]) for i in range(len(lengths) - 1)}
    singles = len(lengths) > 1 and all(n == 1 for n in lengths)
    n = len(digits)
    if plus:
        return (10 <= n <= 15 and max(lengths) <= 4) or (n == 11 and digits[0] == "7")
    if n == 11 and _ru_phone_digits(digits):
        return singles or cuts <= _RU_PHONE_CUTS
    if n == 11 and digits[0] == "1" and cue:  # +1 without the plus
        return singles or cuts <= {1, 4, 7}
    if n == 10:
        if lengths == [3, 3, 2, 2] and digits[0] in "3489":
            return True
        return cue and (singles or cuts <= _NATIONAL_CUTS)
    return False


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


# ----------------------------------------------------------------------------------------------- dates of birth
# A date is PII only as a date of birth: next to a birth cue. Delivery dates, due dates and "on 12/05/2024" stay.
_EN_UNIT_ORD = "first|second|third|fourth|fifth|sixth|seventh|eighth|ninth"
_EN_ORD = (rf"(?:(?:twenty|thirty)[\s-]+(?:{_EN_UNIT_ORD})|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|"
           rf"sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|{_EN_UNIT_ORD})")
_EN_DAY = rf"(?:(?P<dd>\d{{1,2}})(?:st|nd|rd|th)?|{_EN_ORD})"
_EN_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
             r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_EN_UNIT = "one|two|three|four|five|six|seven|eight|nine"
_EN_TENS = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety"
_EN_TEEN = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
_EN_TWO = rf"(?:(?:{_EN_TENS})(?:[\s-]+(?:{_EN_UNIT}))?|{_EN_TEEN}|oh[\s-]+(?:{_EN_UNIT}))"
_EN_YEAR = (rf"(?:(?:19|20)\d{{2}}|nineteen[\s-]+{_EN_TWO}|twenty[\s-]+{_EN_TWO}|"
            rf"two[\s-]+thousand(?:[\s-]+(?:and[\s-]+)?(?:{_EN_TWO}|{_EN_UNIT}))?)")
_EN_DATE_RE = re.compile(
    rf"\b(?:{_EN_DAY}(?:\s+of)?\s+{_EN_MONTH}|{_EN_MONTH}\s+(?:the\s+)?{_EN_DAY.replace('dd', 'dd2')})"
    rf"(?:,?\s+(?:of\s+)?{_EN_YEAR})?(?![\w-])",
    re.IGNORECASE)
_RU_ORD_STEM = (r"(?:перв|втор|трет|четв[её]рт|пят|шест|седьм|восьм|девят|десят|одиннадцат|двенадцат|тринадцат|"
                r"четырнадцат|пятнадцат|шестнадцат|семнадцат|восемнадцат|девятнадцат|двадцат|тридцат)")
_RU_DAY = (rf"(?:(?P<dd>\d{{1,2}})(?:-?(?:е|го|ое|ого))?|(?:(?:двадцать|тридцать)\s+)?{_RU_ORD_STEM}"
           r"(?:ое|ого|ье|ьего|ом))")
_RU_MONTH = (r"(?:январ[яе]|феврал[яе]|март[ае]|апрел[яе]|ма[яе]|июн[яе]|июл[яе]|август[ае]|сентябр[яе]|октябр[яе]|"
             r"ноябр[яе]|декабр[яе])")
_RU_YEAR_STEM = (rf"(?:{_RU_ORD_STEM}|сороков|пятидесят|шестидесят|семидесят|восьмидесят|девяност|"
                 r"двухтысячн|тысячн)")
_RU_YEAR = (r"(?:(?:19|20)\d{2}(?:\s*(?:года|г\.|г(?![а-яё])))?|(?:19|20)?\d{2}-?го\s+года|"
            r"(?:(?:тысяча\s+девятьсот|две\s+тысячи|двух\s+тысяч)\s+)?"
            r"(?:(?:двадцать|тридцать|сорок|пятьдесят|шестьдесят|семьдесят|восемьдесят|девяносто)\s+)?"
            rf"{_RU_YEAR_STEM}(?:ого|ьего)\s+года)")
_RU_DATE_RE = re.compile(rf"(?<![\w.]){_RU_DAY}\s+{_RU_MONTH}(?:\s+{_RU_YEAR})?(?![\w-])", re.IGNORECASE)
_NUM_DATE_RE = re.compile(
    r"(?<![\d.,/-])(?:(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?:19|20)?\d{2}"
    r"|(?:19|20)\d{2}-(?P<m>\d{1,2})-(?P<d>\d{1,2}))(?![\d]|[./-]\d)")
# A named date of birth may stand a little way off ("date of birth, as in the passport: ..."), "born" / «родился»
# closer ("I was born on ..."); "birthday" / «день рождения» also comes with presents and parties, so only filler
# words may stand between it and the date.
_DOB_CUE = re.compile(
    r"(date\s+of\s+birth|birth\s*date|\bd\.?o\.?b\b\.?|дат\w*\s+рождения|(?<![а-яё])д\.\s?р\.|"
    r"(?<![а-яё])д/р(?![а-яё])|(?<![а-яё])(?:год|года)\s+рождения)", re.IGNORECASE)
_DOB_VERB_CUE = re.compile(r"(\bborn\b|родил(?:ся|ась|ись)|рожд[её]н(?:а|о|ы)?(?![а-яё]))", re.IGNORECASE)
_DOB_WEAK_CUE = re.compile(r"(birthday|b-day|\bд(?:ень|ня|н[её]м|ню)\s+рождения)", re.IGNORECASE)
_DOB_CUE_AFTER = re.compile(
    r"^\W{0,3}(?:(?:года|г\.)\s*)?(?:рождения|р\.)|"
    r"^\W{0,3}(?:(?:is|was|as)\s+)?(?:my|his|her|the|your|their)\s+(?:date\s+of\s+birth|birth\s*date|birthday|dob)\b",
    re.IGNORECASE)
_DOB_FILLER = {"is", "was", "on", "it's", "its", "it", "falls", "the", "my", "his", "her", "their", "your", "s",
               "у", "меня", "него", "неё", "нее", "мой", "моё", "мое", "его", "её", "ее", "был", "было", "будет",
               "это", "—", "-", ":", ","}


# Substrings every birth cue contains: a plain `in` test is ~10x cheaper than a case-blind regex on long texts.
_BIRTH_WORDS = ("birth", "born", "b-day", "dob", "d.o.b", "рожд", "родил", "д.р", "д. р", "д/р", "г.р", "г. р")


def _dob_cue_near(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - 50) : start]
    for rx, width in ((_DOB_CUE, 40), (_DOB_VERB_CUE, 25)):
        cues = list(rx.finditer(before))
        if cues:
            gap = before[cues[-1].end() :]
            if len(gap) <= width and not re.search(r"[.!;]", gap):
                return True
    weak = list(_DOB_WEAK_CUE.finditer(before))
    if weak:
        gap = before[weak[-1].end() :].lower()
        if len(gap) <= 25 and all(w in _DOB_FILLER for w in re.findall(r"[\w']+|[—:,-]", gap)):
            return True
    return bool(_DOB_CUE_AFTER.search(text[end : end + 40]))


def find_dates(text: str) -> list[tuple[int, int]]:
    """Spans of every date in ``text``, written or said, of birth or not (for telling a date read back; a date is
    not PII by itself).

    >>> t = "So that's the fifth of May, right?"; [t[s:e] for s, e in find_dates(t)]
    ['fifth of May']
    """
    found = []
    for rx in (_EN_DATE_RE, _RU_DATE_RE):
        for m in rx.finditer(text):
            day = m.groupdict().get("dd") or m.groupdict().get("dd2")
            if not day or 1 <= int(day) <= 31:
                found.append((m.start(), m.end()))
    for m in _NUM_DATE_RE.finditer(text):
        a, b = (m.group("a"), m.group("b")) if m.group("a") else (m.group("d"), m.group("m"))
        if 1 <= int(a) <= 31 and 1 <= int(b) <= 31 and min(int(a), int(b)) <= 12:
            year_word = re.match(r"\s+года(?![а-яё])", text[m.end() :])  # «05.05.1980 года рождения»
            found.append((m.start(), m.end() + (year_word.end() if year_word else 0)))
    return found


def _asked_for_dob(context: str) -> bool:
    """The turn before asked for (or named) a date of birth: "What is your date of birth?", «назовите дату
    рождения»."""
    tail = context[-160:]
    return bool(_DOB_CUE.search(tail) or _DOB_VERB_CUE.search(tail) or re.search(r"дату\s+рождения", tail, re.IGNORECASE))


def _find_dob(text: str, context: str = "") -> list[tuple[str, int, int]]:
    """Dates near a birth cue: 05.05.1980, 5/5/80, "fifth of May, nineteen eighty", "May 5th, 1980",
    «пятое мая восьмидесятого года», «5 мая 1980 г.»; with ``context`` (the turn before) asking for a date of
    birth, also a date that opens the answer ("Emma Brown, the ninth of July, nineteen ninety two")."""
    asked = bool(context) and _asked_for_dob(context)
    low = text.lower()
    if not asked and not any(w in low for w in _BIRTH_WORDS):
        return []  # most texts: no birth cue, no date scan (the date patterns are the costly part)
    return [("date_of_birth", s, e) for s, e in find_dates(text)
            if _dob_cue_near(text, s, e) or (asked and s <= 40)]


_MONTH_PREFIXES = [("jan", 1), ("feb", 2), ("mar", 3), ("apr", 4), ("may", 5), ("jun", 6), ("jul", 7), ("aug", 8),
                   ("sep", 9), ("oct", 10), ("nov", 11), ("dec", 12), ("янв", 1), ("фев", 2), ("мар", 3), ("апр", 4),
                   ("ма", 5), ("июн", 6), ("июл", 7), ("авг", 8), ("сен", 9), ("окт", 10), ("ноя", 11), ("дек", 12)]
_EN_DAY_WORDS = {w: i + 1 for i, w in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
     "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
     "twentieth"])} | {"thirtieth": 30}
_RU_DAY_STEMS = ["перв", "втор", "трет", "четв", "пят", "шест", "седьм", "восьм", "девят", "десят", "одиннадцат",
                 "двенадцат", "тринадцат", "четырнадцат", "пятнадцат", "шестнадцат", "семнадцат", "восемнадцат",
                 "девятнадцат", "двадцат", "тридцат"]


def date_key(date_text: str) -> tuple[int, int] | None:
    """(day, month) of a date as :func:`find_dates` finds it, to tell the same date said twice in other words:
    "the 5th of May" = "May fifth" = «пятое мая» = «5 мая» -> (5, 5). Numeric dates give (day, month) as
    dd.mm (the order Russian and British speakers use)."""
    t = date_text.lower().replace("ё", "е")
    if m := re.match(r"\s*\d{4}-(\d{1,2})-(\d{1,2})", t):
        return int(m.group(2)), int(m.group(1))
    if m := re.match(r"\s*(\d{1,2})[./-](\d{1,2})[./-]", t):
        return int(m.group(1)), int(m.group(2))
    words = re.findall(r"[^\W\d_]+|\d+", t)
    month = next((n for w in words for pre, n in _MONTH_PREFIXES
                  if w.startswith(pre) and (pre != "ма" or w in ("мая", "мае", "май"))), None)
    day = 0
    for w in words:
        if w.isdigit() and int(w) <= 31:
            day = int(w)
            break
        if w in ("twenty", "двадцать"):
            day = 20
        elif w in ("thirty", "тридцать"):
            day = 30
        elif w in _EN_DAY_WORDS:
            day += _EN_DAY_WORDS[w]
            break
        elif w.startswith(tuple(_RU_DAY_STEMS)) and not w.startswith(("двадцать", "тридцать")):
            n = next(i + 1 for i, st in enumerate(_RU_DAY_STEMS) if w.startswith(st))
            day += {20: 20, 21: 30}.get(n, n)
            break
    return (day, month) if day and month else None


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


def find_pii(text: str, context: str = "") -> list[PiiSpan]:
    """All PII spans in ``text``, non-overlapping, in text order.

    ``context``: what was said just before, in a call the previous turn. A question for the date of birth there
    makes a date that opens ``text`` a date of birth: callers answer "What is your date of birth?" with the bare
    date.

    >>> [s.type for s in find_pii("Emma Brown, the ninth of July, 1992.", context="And your date of birth?")]
    ['date_of_birth']
    """
    cands: list[tuple[str, int, int]] = []
    for m in _EMAIL_RE.finditer(text):
        cands.append(("email", m.start(), m.end()))
    for m in _IBAN_RE.finditer(text):
        if iban_ok(m.group()):
            cands.append(("iban", m.start(), m.end()))
    cands.extend(_find_in_runs(text))
    cands.extend(_find_dob(text, context))
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
