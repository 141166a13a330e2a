"""Numbers read in groups stay in one utterance, so redaction sees the whole number."""
from vocsvc.audio.transcribe import _join_split_numbers, _split_on_pauses
from vocsvc.audio.types import Utterance, Word
from vocsvc.nlp.pii import redact


def w(a, b, t):
    return Word(a, b, t, 1.0)


def test_pause_inside_a_number_does_not_split():
    words = [w(0, .5, " My"), w(.5, .9, " card"), w(1, 1.4, " is"), w(1.5, 2, " 4539"), w(3.5, 4, " 1488,"),
             w(5.2, 5.6, " four"), w(7, 7.3, " Thanks.")]
    parts = _split_on_pauses(words, 0.8)
    assert ["".join(x.word for x in p).strip() for p in parts] == ["My card is 4539 1488, four", "Thanks."]


def test_segments_cut_inside_a_number_are_joined():
    a = [w(0, .5, " card"), w(.6, 1, " number"), w(1.1, 1.5, " 4539"), w(1.6, 2, " 1488")]
    b = [w(2.5, 3, " 0343"), w(3.1, 3.5, " 6467.")]
    c = [w(9, 9.5, " 12"), w(9.6, 9.9, " items")]  # too far: a new turn
    utts = [Utterance("unknown", 0, 0, 2, "card number 4539 1488", words=a),
            Utterance("unknown", 0, 2.5, 3.5, "0343 6467.", words=b),
            Utterance("unknown", 0, 9, 9.9, "12 items", words=c)]
    out = _join_split_numbers(utts)
    assert [u.text for u in out] == ["card number 4539 1488 0343 6467.", "12 items"]
    assert out[0].end == 3.5 and "[CARD]" in redact(out[0].text).text
