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


def test_repeat_filter_never_crosses_speakers():
    """Issue 12.4: the customer's "До свидания." right after the agent's was dropped as a Whisper loop."""
    from vocsvc.audio.transcribe import REPEAT, drop_repeats
    from vocsvc.audio.types import Utterance

    def u(speaker, start, text, repeat=False, channel=0):
        return Utterance("unknown", channel, start, start + 1.0, text, flags=[REPEAT] if repeat else [],
                         speaker=speaker)

    mono = [u(0, 0.0, "Спасибо за обращение. До свидания."), u(1, 1.2, "Спасибо за обращение. До свидания.", True)]
    kept, dropped = drop_repeats(mono)
    assert [x.speaker for x in kept] == [0, 1] and dropped == 0 and not kept[1].flags
    loop = [u(0, 0.0, "Thank you for calling us today"), u(0, 1.5, "Thank you for calling us today", True)]
    kept, dropped = drop_repeats(loop)
    assert len(kept) == 1 and dropped == 1
    # stereo: a repeat is judged against its own channel, whatever the other channel said in between
    stereo = [u(0, 0.0, "Is there anything else?", channel=0), u(1, 0.5, "No, that's all, thank you", channel=1),
              u(0, 1.0, "Is there anything else?", True, channel=0)]
    kept, dropped = drop_repeats(stereo)
    assert dropped == 1 and [x.channel for x in kept] == [0, 1]


def test_a_header_that_understates_the_length_is_caught_while_decoding(tmp_path):
    """A FLAC whose STREAMINFO claims 1 s but holds an hour (of silence: 90 kB on disk, 350 MB decoded): refused
    once decoding passes the limit, never holding the whole decoded file in memory."""
    import shutil
    import subprocess
    import time
    import tracemalloc

    import pytest

    from vocsvc.audio.transcribe import AudioError, load_audio

    if not shutil.which("sox"):
        pytest.skip("sox missing (make deps-apt)")
    f = tmp_path / "long.flac"
    subprocess.run(["sox", "-D", "-n", "-r", "8000", "-c", "1", "-b", "16", str(f), "trim", "0", "3600"], check=True)
    raw = bytearray(f.read_bytes())
    assert raw[:4] == b"fLaC"
    # STREAMINFO starts at byte 8; its total-samples field is the low 36 bits of bytes 8+10 .. 8+17
    bits = int.from_bytes(raw[18:26], "big")
    raw[18:26] = ((bits & ~((1 << 36) - 1)) | 8000).to_bytes(8, "big")
    f.write_bytes(bytes(raw))
    t0 = time.perf_counter()
    tracemalloc.start()
    try:
        with pytest.raises(AudioError, match="too long"):
            load_audio(f, max_seconds=60)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - t0 < 5 and peak < 50 * 2**20, peak


def test_utterance_bounds_fit_the_sound():
    """Whisper ends a last word before the voice stops and may start a first word in the silence before it."""
    import numpy as np

    from vocsvc.audio.transcribe import MAX_TAIL, SR, extend_to_speech

    x = np.random.default_rng(0).normal(0, 1e-4, 8 * SR).astype(np.float32)
    t = np.arange(SR) / SR
    x[SR : 2 * SR] += 0.2 * np.sin(2 * np.pi * 180 * t)          # a voice 1.0-2.0 s
    x[int(2.1 * SR) : int(3.1 * SR)] += 0.2 * np.sin(2 * np.pi * 240 * t)  # the next one 0.1 s later, to 3.1 s
    x[5 * SR : 7 * SR] += 0.2 * np.sin(2 * np.pi * 200 * np.arange(2 * SR) / SR)  # 5-7 s
    first = Utterance("unknown", 0, 0.6, 1.7, "a b", words=[w(0.6, 1.2, " a"), w(1.2, 1.7, " b")])
    second = Utterance("unknown", 0, 2.1, 2.9, "c", words=[w(2.1, 2.9, " c")])
    third = Utterance("unknown", 0, 5.0, 5.5, "d", words=[w(5.0, 5.5, " d")])
    out = extend_to_speech([first, second, third], x)
    assert abs(first.start - 1.0) <= 0.02 and first.words[0].start == first.start  # snapped to the sound
    assert abs(first.end - 2.0) <= 0.02 and first.words[-1].end == first.end      # stretched to its end
    assert abs(second.end - 3.1) <= 0.02 and first.end <= second.start              # never over the next one
    assert third.end == 5.5 + MAX_TAIL  # a long tail is stretched by at most MAX_TAIL
    assert [u.text for u in out] == ["a b", "c", "d"]
    silent = Utterance("unknown", 0, 7.5, 7.8, "e", words=[w(7.5, 7.8, " e")])
    extend_to_speech([silent], x)  # no sound anywhere near: left as Whisper gave it
    assert (silent.start, silent.end) == (7.5, 7.8)
