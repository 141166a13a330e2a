import pytest

from vocsvc.nlp.pii import find_pii, iban_ok, inn_ok, luhn_ok, redact, snils_ok


def types(text):
    return [s.type for s in find_pii(text)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("card 4539 1488 0343 6467 please", "card [CARD] please"),
        ("card 4539-1488-0343-6467.", "card [CARD]."),
        ("card 4539148803436467", "card [CARD]"),
        ("amex 3714 496353 98431", "amex [CARD]"),
        ("my card is four five three nine one four eight eight zero three four three six four six seven, ok",
         "my card is [CARD], ok"),
        ("номер карты четыре пять три девять один четыре восемь восемь ноль три четыре три шесть четыре шесть семь",
         "номер карты [CARD]"),
        # spoken in pairs and with 'double'
        ("it's forty five thirty nine fourteen eighty eight oh three four three sixty four sixty seven",
         "it's [CARD]"),
        ("four five three nine one four double eight zero three four three six four six seven", "[CARD]"),
        ("Call me at +7 (916) 123-45-67 tomorrow", "Call me at [PHONE] tomorrow"),
        ("звоните 8 800 555-35-35", "звоните [PHONE]"),
        ("tel 89161234567", "tel [PHONE]"),
        ("call +44 20 7946 0958 or (555) 123-4567", "call [PHONE] or [PHONE]"),
        ("мой телефон восемь девятьсот шестнадцать сто двадцать три сорок пять шестьдесят семь",
         "мой телефон [PHONE]"),
        ("write to john.doe+shop@mail.co.uk!", "write to [EMAIL]!"),
        ("IBAN DE89 3704 0044 0532 0130 00 ok", "IBAN [IBAN] ok"),
        # a transcript mis-heard one digit: no Luhn, but it was said to be a card
        ("my card number is 453-I-N-1488-0343-6467.", "my card number is 453-I-N-[CARD]."),
        ("номер карты 4539 1488 0343 6468", "номер карты [CARD]"),
        ("паспорт 45 06 123456 выдан", "паспорт [PASSPORT] выдан"),
        ("СНИЛС 112-233-445 95", "СНИЛС [SNILS]"),
        ("ИНН 7707083893", "ИНН [INN]"),
    ],
)
def test_redacts(text, expected):
    assert redact(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Order 123456789012 cost 1 500 rub on 2024-11-22 at 10:30",
        "order #7700123412341234 shipped",  # Luhn-valid but not a card issuer prefix
        "I ordered 3 items for 2 999 rub, ticket 12345678",
        "заказ 89161234567 отменён",  # order context: not a phone
        "Price: $1,299.99, delivered 12/05/2024, invoice 2024-000123",
        "one of my two orders",
        "4539 1488 0343 6468",  # fails Luhn, no card context
        "tracking 1Z99 9999 9999 9999",
        "Paid $1,299.00 on 11/22/2024 order #112-3456789-1234567",
        "заказ № 4539148803436467 отправлен",  # Luhn-valid, but said to be an order
        "ref 345678 9123456",  # a Luhn-valid sub-run in a non-card grouping
    ],
)
def test_keeps_non_pii(text):
    assert find_pii(text) == []


def test_spans_point_into_original_text():
    text = "Hi, card 4539 1488 0343 6467, mail a@b.io, phone +7 916 123 45 67."
    spans = find_pii(text)
    assert [s.type for s in spans] == ["card_number", "email", "phone"]
    assert text[spans[0].start : spans[0].end] == "4539 1488 0343 6467"
    assert text[spans[1].start : spans[1].end] == "a@b.io"
    assert text[spans[2].start : spans[2].end] == "+7 916 123 45 67"


def test_checksums():
    assert luhn_ok("4539148803436467") and not luhn_ok("4539148803436468")
    assert iban_ok("GB82WEST12345698765432") and not iban_ok("GB82WEST12345698765433")
    # mod-97 right but a digit short for Germany (22 characters): the hand-written check accepted it
    assert iban_ok("DE89370400440532013000") and not iban_ok("DE5137040044053201300")
    assert snils_ok("11223344595") and not snils_ok("11223344596")
    assert inn_ok("7707083893") and inn_ok("500100732259") and not inn_ok("7707083894")


def test_card_inside_longer_number_run():
    # an 'oh' before and an expiry after must not hide the card
    assert types("oh four five three nine one four eight eight zero three four three six four six seven twelve") == [
        "card_number"
    ]


def test_empty_and_plain():
    assert redact("").text == ""
    assert find_pii("no numbers here") == []


def test_list_of_years_is_not_a_card():
    # "2015 2016 2017 2018" passes Luhn and has a card's 4-4-4-4 layout; it was redacted as [CARD]
    assert find_pii("in 2015, 2016, 2017, 2018 we had no problems") == []
    assert types("card 4539 1488 0343 6467, since 2015") == ["card_number"]
