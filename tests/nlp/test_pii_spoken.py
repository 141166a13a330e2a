"""PII as Whisper writes it when it is read aloud in a call: digit groups with commas, hyphens and spaces of
Whisper's own, and dates of birth in words or digits (the forms below were heard from faster-whisper base on the
synthetic test voices)."""
import pytest

from vocsvc.audio.redact_audio import pii_time_spans
from vocsvc.audio.types import Utterance, Word
from vocsvc.nlp.pii import PLACEHOLDERS, date_key, find_pii, redact
from vocsvc.types import Tags

# Luhn-valid test cards: Sberbank Visa 4276..., Mastercard 5536..., Mir 2202...
VISA, MC, MIR = "4276381512345672", "5536910012345676", "2202200012345672"


def spaced(digits, sep=", "):
    return sep.join(digits)


@pytest.mark.parametrize(
    "text, expected",
    [
        # phones: Whisper's thousands commas, comma-separated groups, digit by digit after "plus"
        ("My number is 8,916,555, 23,45.", "My number is [PHONE]."),
        ("Мой телефон – 8,916,555,23,45.", "Мой телефон – [PHONE]."),
        ("You can call me at 555, 014, 2889.", "You can call me at [PHONE]."),
        ("You can call me Mark at 5-5-5-014-288-9", "You can call me Mark at [PHONE]"),
        ("it's 8 916 555 23 45, thanks", "it's [PHONE], thanks"),
        ("It's in plus 7, 9, 1, 6, 5, 5, 5, 2, 3, 4, 5", "It's in [PHONE]"),
        ("плюс 7, 916, 555, 23, 45", "[PHONE]"),
        ("8, 9, 1, 6, 5, 5, 5, 2, 3, 4, 5.", "[PHONE]."),  # eleven digits with a Russian prefix: no cue needed
        ("да, 916, 555, 23, 45", "да, [PHONE]"),  # the Russian 3-3-2-2 grouping
        ("перезвоните мне: 9, 1, 6, 5, 5, 5, 2, 3, 4, 5", "перезвоните мне: [PHONE]"),
        # cards without a "card number" cue: digit by digit, in pairs, in blocks, mixed, thousands commas
        (f"{spaced(VISA)}.", "[CARD]."),
        ("4-2-7-6, 3-8-1-5, 1-2-3-4, 5-6-7-2.", "[CARD]."),
        ("вот он 4276, 3, 8, 1, 5, 1, 2, 3, 4, 5, 6, 7, 2.", "вот он [CARD]."),
        ("It's 55-36-91-00-12-34-56-76, expires next year", "It's [CARD], expires next year"),
        ("2202 2000 1234 5672 please", "[CARD] please"),
        ("the long one, 4,276,381,512,345,672", "the long one, [CARD]"),
        # dates of birth, en
        ("my date of birth is the fifth of May, nineteen eighty", "my date of birth is the [DOB]"),
        ("So your date of birth is the 5th of May, 98e, correct?", "So your date of birth is the [DOB], 98e, correct?"),
        ("I was born on the 23rd of March, 2001.", "I was born on the [DOB]."),
        ("born on 05.05.1980", "born on [DOB]"),
        ("Date of birth? May 5th, 1980.", "Date of birth? [DOB]."),
        ("DOB: 5/5/80", "DOB: [DOB]"),
        ("and the birth date is 1980-05-05", "and the birth date is [DOB]"),
        ("my birthday is on May 5th", "my birthday is on [DOB]"),
        ("05/05/1980 is my date of birth", "[DOB] is my date of birth"),
        ("so that's the twenty-first of March, two thousand and one, your date of birth?",
         "so that's the [DOB], your date of birth?"),
        # dates of birth, ru
        ("дата рождения пятое мая восьмидесятого года", "дата рождения [DOB]"),
        ("Я родился 5 мая 1980 года.", "Я родился [DOB]."),
        ("Родилась двадцать третьего февраля тысяча девятьсот восемьдесят пятого года.", "Родилась [DOB]."),
        ("Ваша дата рождения, 5 мая 80-го года, верно?", "Ваша дата рождения, [DOB], верно?"),
        ("д.р. 05.05.1980", "д.р. [DOB]"),
        ("Иванов Иван, 05.05.1980 г.р.", "Иванов Иван, [DOB] г.р."),
        ("День рождения у меня двадцать пятого декабря.", "День рождения у меня [DOB]."),
    ],
)
def test_redacts_spoken_forms(text, expected):
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        # prices, amounts, counts
        "It costs 1,500 rubles, or 2,000 with delivery",
        "Стоимость 1 500 рублей, доставка 2 000, итого 3 500",
        "I paid 1,200, 1,500, and 2,300 over three months",
        "We waited 5, 10 or 15 minutes every time",
        "Sizes 7, 8, 9, 10, 11, 12, 13 are sold out",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10 - still no answer",
        "prices went 100, 200, 300, 4000 in a year",
        "it took 10, 20, 30, 40, 50 minutes",
        # years, times, dates
        "in 2015, 2016, 2017, 2018 we had no problems",  # Luhn-valid as one number
        "call at 10:30 or 11:45, or 12.30, 13.30",
        "delivery on 05.05.2024, then 12.05.2024",
        "visits on 21.02.23, 25.03.23, 27.04.23",
        "доставка 5 мая 2024 года, оплата 12.05.2024",
        "the parcel comes on the fifth of May, nineteen days late",
        "I ordered a birthday present, arriving May 5",
        "на день рождения заказал подарок, доставка 5 мая",
        "the fifth of May, 1980 was a long time ago",
        "he was born in 1980",  # a year alone is not a date
        # order ids and other numbers with a "number" cue
        "order 123456",
        "my order number is 555, 014, 2889",
        "номер заказа 916, 555, 23, 45",
        "ticket 555 014 2889",
        "account number 12, 34, 56, 78, 90",
        "Reason number 1523648856 is trash",
        "order #4, 2, 7, 6, 3, 8, 1, 5, 1, 2, 3, 4, 5, 6, 7, 2",
    ],
)
def test_keeps_ordinary_numbers(text):
    assert find_pii(text) == [], [(s.type, text[s.start : s.end]) for s in find_pii(text)]


def test_spans_point_into_original_text():
    text = f"Hi, 8,916,555, 23,45 is my number, card {spaced(MC)}, and I was born on 05.05.1980, thanks."
    spans = find_pii(text)
    assert [s.type for s in spans] == ["phone", "card_number", "date_of_birth"]
    assert [text[s.start : s.end] for s in spans] == ["8,916,555, 23,45", spaced(MC), "05.05.1980"]
    assert redact(text).text == "Hi, [PHONE] is my number, card [CARD], and I was born on [DOB], thanks."


def test_plus_word_is_part_of_the_phone():
    text = "my number is plus 7, 9, 1, 6, 5, 5, 5, 2, 3, 4, 5 ok"
    (s,) = find_pii(text)
    assert text[s.start : s.end] == "plus 7, 9, 1, 6, 5, 5, 5, 2, 3, 4, 5"


def test_dob_placeholder():
    assert PLACEHOLDERS["date_of_birth"] == "[DOB]"
    assert [s.type for s in find_pii("дата рождения 5 мая 1980")] == ["date_of_birth"]


def _readback_item():
    from vocsvc.qa.template import default_path, load
    from vocsvc.settings import Settings

    card = load(default_path(Settings().models_dir))
    return next(i for sec in card.sections for i in sec.items if i.id == "pii_readback")


def _readback(turns):
    """pii_readback over (role, text) turns tagged as the pipeline tags them (each turn redacted on its own)."""
    from vocsvc.qa.score import Turn, _Ctx, _no_pii_readback

    item = _readback_item()
    tt = [Turn(i, role, 3.0 * i, 3.0 * i + 2.5, redact(text).text, pii=[s.type for s in find_pii(text)])
          for i, (role, text) in enumerate(turns)]
    return _no_pii_readback(_Ctx(tt, [{} for _ in tt]), item.rule, item)[0]


def test_date_of_birth_read_back_fails_qa():
    """The scorecard's pii_readback item lists date_of_birth: an agent reading it back fails the item."""
    assert "date_of_birth" in _readback_item().rule.get("types")
    assert _readback([("agent", "So your date of birth is the fifth of May, nineteen eighty?")]) == "no"
    assert _readback([("agent", "Ваша дата рождения пятое мая восьмидесятого года, верно?")]) == "no"
    assert _readback([("agent", "Could you confirm your date of birth, please?")]) == "yes"


def test_bare_date_of_birth_after_the_question():
    """In a call the customer answers "What is your date of birth?" with the bare date, and the agent may say it
    back with no cue either: the previous turn is the context."""
    ask_ru = "Понимаю вас. Для проверки назовите, пожалуйста, дату рождения."
    answer_ru = "Двенадцатое марта тысяча девятьсот восемьдесят пятого года."
    assert find_pii(answer_ru) == []  # alone, a date is not PII
    assert [s.type for s in find_pii(answer_ru, context=ask_ru)] == ["date_of_birth"]
    text = "Emma Brown, the ninth of July, nineteen ninety two."
    (s,) = find_pii(text, context="For security, can you tell me your full name and date of birth?")
    assert text[s.start : s.end] == "ninth of July, nineteen ninety two"
    # the question does not make every later date a date of birth
    assert find_pii("Okay. Your parcel was moved, it now comes on the fifth of May.",
                    context="What is your date of birth?") == []
    assert find_pii(text, context="When did the router arrive?") == []

    readback = [("agent", ask_ru), ("customer", answer_ru),
                ("agent", "Двенадцатое марта тысяча девятьсот восемьдесят пятого года, верно. Курьер позвонит завтра.")]
    assert _readback(readback) == "no"
    assert _readback([("agent", ask_ru), ("customer", "12 марта 1985 года."),
                      ("agent", "Двенадцатое марта, верно.")]) == "no"  # same day, other words
    not_back = [("agent", ask_ru), ("customer", answer_ru), ("agent", "Спасибо, данные совпадают."),
                ("customer", "Когда привезут?"), ("agent", "Доставка пятого мая.")]
    assert _readback(not_back) == "yes"


@pytest.mark.parametrize(
    "said, key",
    [("the 5th of May", (5, 5)), ("May fifth, 1980", (5, 5)), ("пятое мая восьмидесятого года", (5, 5)),
     ("05.05.1980", (5, 5)), ("1980-05-07", (7, 5)), ("twenty-first of March", (21, 3)),
     ("двадцать третьего февраля", (23, 2)), ("тридцать первого декабря", (31, 12)), ("12 марта 1985", (12, 3))],
)
def test_date_key(said, key):
    assert date_key(said) == key


def test_comma_separated_phone_is_silenced_in_the_audio():
    """Whisper's words carry the commas ("8,916,555," then " 23,45."); the span covers exactly the number's words."""
    words = [Word(0.0, 0.3, " My", 1.0), Word(0.3, 0.6, " number", 1.0), Word(0.6, 0.8, " is", 1.0),
             Word(1.0, 2.6, " 8,916,555,", 1.0), Word(2.9, 3.8, " 23,45.", 1.0), Word(4.5, 4.9, " Thanks.", 1.0)]
    text = "".join(w.word for w in words).strip()
    spans = find_pii(text)
    u = Utterance("customer", 1, 0.0, 4.9, text, words=words,
                  tags=Tags(id=None, lang="en", lang_confidence=1.0, text_redacted=redact(text).text, pii=spans))
    assert u.tags.text_redacted == "My number is [PHONE]. Thanks."
    (s, e), = pii_time_spans(u)
    assert s == pytest.approx(1.0 - 0.15) and e == pytest.approx(3.8 + 0.15)  # both number words, not "is"/"Thanks"


def test_russian_phone_words_start_with_commas():
    """Whisper's Russian words: " 8", ",916", ",555", ",23", ",45." (the comma leads the next word)."""
    words = [Word(0.0, 0.28, " Мой", 1.0), Word(0.28, 0.66, " телефон", 1.0), Word(0.66, 0.92, " –", 1.0),
             Word(0.92, 1.2, " 8", 1.0), Word(1.2, 2.24, ",916", 1.0), Word(2.24, 4.12, ",555", 1.0),
             Word(4.12, 4.86, ",23", 1.0), Word(4.86, 5.62, ",45.", 1.0)]
    text = "".join(w.word for w in words).strip()
    u = Utterance("customer", 1, 0.0, 5.62, text, words=words,
                  tags=Tags(id=None, lang="ru", lang_confidence=1.0, text_redacted="", pii=find_pii(text)))
    (s, e), = pii_time_spans(u)
    assert s == pytest.approx(0.92 - 0.15) and e == pytest.approx(5.62 + 0.15)
