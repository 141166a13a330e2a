"""vocsvc.nlp.links: the text an encoder reads without its links."""
import pytest

from vocsvc.nlp.links import without_links


@pytest.mark.parametrize("text, expected", [
    ("ВТБ снизил ставки по кредитам http://t.co/n1", "ВТБ снизил ставки по кредитам"),
    ("RT @rbc: Альфа откроет 20 офисов https://www.rbc.ru/finances/2024/x?utm=1 #банки", "RT @rbc: Альфа откроет 20 офисов #банки"),
    ("see pic.twitter.com/Xy12AbC and bit.ly/3xYz9 — still broken", "see and — still broken"),
    ("@mts_russia нет сети vk.cc/cqW2xY", "@mts_russia нет сети"),
    ("visit www.example.com today", "visit today"),
    ("no link here, 3/4 of the time it fails", "no link here, 3/4 of the time it fails"),
    ("https://t.co/x1", "https://t.co/x1"),  # nothing but a link: the link is all there is
    ("", ""),
])
def test_without_links(text, expected):
    assert without_links(text) == expected
