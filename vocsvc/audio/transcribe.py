"""Call recording -> ``Transcript``: decode, per-channel Whisper with guards, roles, metrics, redaction, tags.

>>> from vocsvc.audio.transcribe import Transcriber      # doctest: +SKIP
>>> Transcriber().transcribe("call.wav").utterances[0].role
'agent'

Guards against Whisper's known failure modes: Silero VAD keeps silence and music away from the decoder; segments
that Whisper itself marks as probably silent (high no-speech probability and low log-probability), that compress
too well (repetition loops), or that repeat the previous segment are dropped and counted; language is detected on
windows spread over the whole call, restricted to the configured languages, not on the first 30 s alone.
"""
from __future__ import annotations

import logging
import re
import threading
import zlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from vocsvc.audio.types import Utterance, Word
from vocsvc.errors import VocsvcError
from vocsvc.settings import Settings, get_settings

log = logging.getLogger("vocsvc")
SR = 16_000


class AudioError(VocsvcError):
    """The input is not usable audio (permanent: retrying will not help)."""


@dataclass(frozen=True, slots=True)
class WhisperOptions:
    model: str = "bundled:whisper-base"
    compute_type: str = "int8"
    beam_size: int = 5
    threads: int = 0
    vad: bool = True
    language: str | None = None  # None = detect, restricted to `languages`
    languages: tuple[str, ...] = ("ru", "en")
    word_timestamps: bool = True


def load_audio(path: str | Path, max_seconds: float) -> list[np.ndarray]:
    """Decode any format PyAV reads into 16 kHz float32 channels (one array, or two for stereo)."""
    import av

    p = Path(path)
    if not p.exists():
        raise AudioError(f"audio file not found: {p}")
    if p.stat().st_size == 0:
        raise AudioError("empty file (0 bytes)")
    try:
        with av.open(str(p)) as container:
            streams = container.streams.audio
            if not streams:
                raise AudioError("not audio: the file has no audio stream")
            stream = streams[0]
            channels = stream.codec_context.channels or 1
            if container.duration is not None and container.duration / 1e6 > max_seconds:
                raise AudioError(
                    f"audio too long ({container.duration / 1e6:.0f}s; the limit is {max_seconds:.0f}s, "
                    "VOCSVC_MAX_AUDIO_SECONDS)"
                )
        audio = _decode(p, channels >= 2, max_seconds)
    except AudioError:
        raise
    except Exception as e:  # PyAV raises many types for corrupt input
        raise AudioError(f"not audio or corrupt: {type(e).__name__}: {e}") from e
    chans = list(audio) if isinstance(audio, tuple) else [audio]
    if not len(chans[0]):
        raise AudioError("empty audio: no samples decoded")
    if len(chans[0]) / SR > max_seconds:
        raise AudioError(f"audio too long ({len(chans[0]) / SR:.0f}s; the limit is {max_seconds:.0f}s)")
    if len(chans) == 2 and _same_signal(chans[0], chans[1]):
        chans = [(chans[0] + chans[1]) / 2]  # a stereo file carrying the same mix twice is mono
    return chans


def _decode(p: Path, split_stereo: bool, max_seconds: float) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """faster-whisper's decode_audio, stopping as soon as the samples pass ``max_seconds``: a header may
    understate the length (a forged FLAC sample count), and decoding it whole first would be the bomb."""
    import av

    resampler = av.audio.resampler.AudioResampler(format="s16", layout="stereo" if split_stereo else "mono", rate=SR)
    chunks, n = [], 0
    per = 2 if split_stereo else 1
    with av.open(str(p), mode="r", metadata_errors="ignore") as container:
        frames = container.decode(audio=0)
        for frame in (*_ignore_invalid(frames), None):
            for out in resampler.resample(frame):
                arr = out.to_ndarray().reshape(-1)
                chunks.append(arr)
                n += len(arr) // per
                if n / SR > max_seconds:
                    raise AudioError(f"audio too long (over {max_seconds:.0f}s, VOCSVC_MAX_AUDIO_SECONDS; the "
                                     "file's header said less)")
    audio = (np.concatenate(chunks) if chunks else np.zeros(0, np.int16)).astype(np.float32) / 32768.0
    if split_stereo:
        return audio[0::2], audio[1::2]
    return audio


def _ignore_invalid(frames):
    """Stop at the first undecodable frame, as faster-whisper does (a truncated file keeps what it had)."""
    import av

    try:
        yield from frames
    except av.error.InvalidDataError:
        return


def _same_signal(a: np.ndarray, b: np.ndarray) -> bool:
    if not a.any() and not b.any():
        return True
    denom = float(np.linalg.norm(a) * np.linalg.norm(b))
    return denom > 0 and float(a @ b) / denom > 0.95


def _compression_ratio(text: str) -> float:
    b = text.encode("utf-8")
    return len(b) / max(1, len(zlib.compress(b)))


_WORD_RE = re.compile(r"\w+", re.UNICODE)


def _repetitive(text: str) -> bool:
    """A loop inside one segment: the same 1-4 word n-gram many times in a row."""
    words = _WORD_RE.findall(text.lower())
    if len(words) < 8:
        return False
    for n in (1, 2, 3, 4):
        grams = [tuple(words[i : i + n]) for i in range(0, len(words) - n + 1, n)]
        run = best = 1
        for a, b in zip(grams, grams[1:]):
            run = run + 1 if a == b else 1
            best = max(best, run)
        if best * n >= max(6, len(words) // 2):
            return True
    return _compression_ratio(text) > 2.6


class WhisperRunner:
    """faster-whisper with the bundled model; loaded once per process, lazily."""

    def __init__(self, opts: WhisperOptions, cache_dir: Path):
        self.opts = opts
        self.cache_dir = cache_dir

    @cached_property
    def model(self):
        import os

        from faster_whisper import WhisperModel

        from vocsvc.audio.whisper_model import resolve_model

        path = resolve_model(self.opts.model, self.cache_dir)
        cores = self.opts.threads or (os.cpu_count() or 1)
        # Two workers with half the cores each: a stereo call's channels decode side by side (beam search has
        # sequential steps that one decode cannot spread over both cores).
        workers = 2 if cores >= 2 else 1
        # Temperature fallback samples. CTranslate2 seeds each decoding thread's generator once, at its first
        # sample, from this seed: a fresh process gives the same audio the same transcript, but in a long-running
        # worker a fallback's samples depend on what that thread sampled before (calling this again per decode,
        # as we did, changed nothing).
        import ctranslate2

        ctranslate2.set_random_seed(0)
        return WhisperModel(path, device="cpu", compute_type=self.opts.compute_type,
                            cpu_threads=max(1, cores // workers), num_workers=workers)

    def detect_language(self, audio: np.ndarray) -> tuple[str | None, float]:
        """Language over up to 3 windows of 30 s spread over the whole recording (start, middle, end), restricted
        to the configured languages: an English IVR greeting no longer decides a Russian call."""
        if self.opts.language:
            return self.opts.language, 1.0
        win = 30 * SR
        k = 1 if len(audio) <= win else min(3, -(-len(audio) // win))
        starts = [int(st) for st in np.linspace(0, max(0, len(audio) - win), num=k)]
        totals: dict[str, float] = {}

        def probs(st: int):
            try:
                return self.model.detect_language(audio[st : st + win], vad_filter=self.opts.vad)[2]
            except (ValueError, IndexError):  # a window without speech
                return []

        # A window adds at most 1 to any language, so the first can never settle a call of two or three windows:
        # the first two run side by side on the model's two workers (on a 2-min mono call detection was 20% of
        # the time, two encoder passes one after the other). The third runs only if the lead after two is
        # within reach of it; each one skipped saves a Whisper encoder pass.
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(min(2, k), thread_name_prefix="vocsvc-langid") as pool:
            found = list(pool.map(probs, starts[:2]))
        for i, st in enumerate(starts):
            for lang, p in found[i] if i < len(found) else probs(st):
                if lang in self.opts.languages:
                    totals[lang] = totals.get(lang, 0.0) + p
            top = sorted(totals.values(), reverse=True) + [0.0, 0.0]
            if i >= 1 and top[0] - top[1] > len(starts) - 1 - i:
                break
        if not totals:
            return None, 0.0
        lang = max(totals, key=totals.get)
        return lang, totals[lang] / (sum(totals.values()) or 1.0)

    def segments(
        self, audio: np.ndarray, channel: int, language: str | None, on_progress=None
    ) -> tuple[list[Utterance], int]:
        """Utterances of one channel and how many segments the guards dropped.

        ``on_progress(fraction)`` follows the decoder through the audio (faster-whisper decodes lazily).
        """
        if float(np.abs(audio).max(initial=0.0)) < 1e-4:
            return [], 0  # digital silence: nothing to decode, nothing to invent
        model = self.model  # loaded once (cached_property) before decoding
        # Two decodes may run at once (the model has num_workers=2): no lock here.
        x = level(audio)
        segs, _info = model.transcribe(
            x, language=language, beam_size=self.opts.beam_size, vad_filter=self.opts.vad,
            vad_parameters={"min_silence_duration_ms": 500}, word_timestamps=self.opts.word_timestamps,
            condition_on_previous_text=False,  # stops one bad segment from seeding a loop in the next
            temperature=[0.0, 0.2, 0.4], hallucination_silence_threshold=2.0 if self.opts.word_timestamps else None,
        )
        total = max(len(audio) / SR, 1e-9)
        decoded = []
        for seg in segs:  # faster-whisper is lazy: decoding happens as we iterate
            decoded.append(seg)
            if on_progress is not None:
                on_progress(min(1.0, seg.end / total))
        segs = decoded
        out: list[Utterance] = []
        dropped = 0
        prev = ""
        for s in segs:
            text = s.text.strip()
            if not text:
                continue
            if s.no_speech_prob > 0.6 and s.avg_logprob < -0.8:
                dropped += 1
                continue
            if _repetitive(text):
                dropped += 1
                continue
            # A segment saying exactly what the one before it said is Whisper looping, unless another voice said it
            # back ("До свидания." / "До свидания."): only the speakers, known later, tell; drop_repeats decides.
            repeat = text == prev and len(text) > 10
            prev = text
            flags = ["low_confidence"] if s.avg_logprob < -1.0 else []
            if repeat:
                flags.append(REPEAT)
            words = [Word(w.start, w.end, w.word, w.probability) for w in (s.words or [])]
            if not words:
                out.append(Utterance("unknown", channel, float(s.start), float(s.end), text, flags=flags,
                                     lang=language))
                continue
            # Whisper joins turns across a pause (and the other party's turn between them): split on pauses and
            # take the times from the words, not the segment's padded bounds.
            for part in _split_on_pauses(words, MAX_PAUSE):
                out.append(Utterance("unknown", channel, part[0].start, part[-1].end,
                                     "".join(w.word for w in part).strip(), words=part, flags=list(flags),
                                     lang=language))
        return extend_to_speech(_join_split_numbers(out), x), dropped

    def segments_halves(
        self, audio: np.ndarray, channel: int, language: str | None, on_progress=None
    ) -> tuple[list[Utterance], int]:
        """:meth:`segments` for a single channel, its two halves decoded side by side.

        The model has two workers of one core each, so that a stereo call's channels decode at once; a mono call
        left one core idle while its only decode ran (half the speed of plain faster-whisper on the same file).
        The cut is at the quietest moment near the middle, so no word is split; times of the second half are
        shifted back onto the call's clock. Recordings shorter than HALVES_MIN_SECONDS are decoded whole.
        """
        n = len(audio)
        if n < HALVES_MIN_SECONDS * SR:
            return self.segments(audio, channel, language, on_progress)
        from concurrent.futures import ThreadPoolExecutor

        cut = quiet_point(audio)
        done = [0.0, 0.0]

        def run(k: int) -> tuple[list[Utterance], int]:
            def progress(f: float) -> None:
                done[k] = f
                if on_progress is not None:
                    on_progress((done[0] * cut + done[1] * (n - cut)) / n)

            return self.segments(audio[:cut] if k == 0 else audio[cut:], channel, language, progress)

        with ThreadPoolExecutor(2, thread_name_prefix="vocsvc-half") as pool:
            (first, d1), (second, d2) = pool.map(run, (0, 1))
        off = cut / SR
        for u in second:
            u.start, u.end = u.start + off, u.end + off
            u.words = [Word(w.start + off, w.end + off, w.word, w.probability) for w in u.words]
        return _join_split_numbers(first + second), d1 + d2


HALVES_MIN_SECONDS = 60.0  # shorter calls decode whole: little to gain, and one decode context for a short call


def level(audio: np.ndarray, target: float = 0.05, max_gain: float = 30.0, snr: float = 3.0) -> np.ndarray:
    """Slow automatic gain: stretches of a channel well above its noise floor are brought up to speech level.

    Silero VAD (inside faster-whisper) misses a quiet speaker: a customer at -34 dB after a minute of silence was
    dropped whole, while plain decoding heard every word. Gain follows a 1.5-s envelope (no pumping inside words),
    is never below 1 (loud speech is left alone) and is applied only where the envelope is ``snr`` times the
    channel's noise floor (its 10th-percentile frame level), so line noise and silence are not raised into
    something Whisper would transcribe."""
    frame = SR // 50
    rms = _frame_rms(audio)
    n = len(rms)
    if n < 10:
        return audio
    from scipy.ndimage import maximum_filter1d, uniform_filter1d

    env = maximum_filter1d(uniform_filter1d(rms, 25), 75)  # 0.5-s mean, then the loudest over 1.5 s
    floor = max(float(np.percentile(rms, 10)), 1e-5)
    gain = np.where(env > snr * floor, np.clip(target / np.maximum(env, 1e-9), 1.0, max_gain), 1.0)
    gain = uniform_filter1d(gain, 25)  # ramp over 0.5 s
    if float(gain.max()) <= 1.01:
        return audio
    g = np.interp(np.arange(len(audio)), np.arange(n) * frame + frame / 2, gain).astype(np.float32)
    return np.clip(audio * g, -1.0, 1.0)


def quiet_point(audio: np.ndarray, lo: float = 0.35, hi: float = 0.65) -> int:
    """Sample index of the quietest 0.3 s (RMS over 20-ms frames) between ``lo`` and ``hi`` of the recording."""
    frame = SR // 50
    energy = _frame_rms(audio)
    n = len(energy)
    smooth = np.convolve(energy, np.ones(15) / 15, mode="same")
    a, b = int(n * lo), max(int(n * hi), int(n * lo) + 1)
    return (a + int(np.argmin(smooth[a:b]))) * frame


MAX_PAUSE = 0.8  # seconds of silence inside a segment that start a new utterance
REPEAT = "repeat"  # flag: the segment's text equals the previous segment's on the same channel


def drop_repeats(utts: list[Utterance]) -> tuple[list[Utterance], int]:
    """Drop what repeats the previous segment of its channel only when the same speaker said both (a loop);
    a repeat by the other voice of a mono channel is a real turn. Needs ``speaker`` set; ``utts`` in time order."""
    out: list[Utterance] = []
    last: dict[int, Utterance] = {}  # channel -> its previous utterance
    dropped = 0
    for u in utts:
        prev = last.get(u.channel)
        last[u.channel] = u
        if REPEAT in u.flags:
            u.flags.remove(REPEAT)
            if prev is not None and prev.speaker == u.speaker:
                dropped += 1
                continue
        out.append(u)
    return out, dropped


def _frame_rms(audio: np.ndarray) -> np.ndarray:
    """Loudness of each 20-ms frame (the grid level() and extend_to_speech() both work on)."""
    frame = SR // 50
    n = len(audio) // frame
    return np.sqrt(np.mean(audio[: n * frame].astype(np.float32).reshape(n, frame) ** 2, axis=1))


MAX_TAIL = 0.5  # seconds an utterance's last word may be stretched to the end of the sound
MAX_HEAD = 0.3  # and its first word back to the start of it


def extend_to_speech(utts: list[Utterance], audio: np.ndarray) -> list[Utterance]:
    """Fit each utterance's first and last word to the sound around them. Whisper ends the last word of a
    segment 0.1-0.3 s before the voice stops (seen on every turn of the synthetic calls: the speech time the
    transcript covers was 93-94% against plain decoding's padded segments at 96-100%), which also left the tail of a
    read-out number outside the span that audio redaction silences. A word grows while the 20-ms frames next to it
    stay loud: above 3x the channel's noise floor and within 30 dB of the utterance's own loud frames; never
    over the next or previous utterance on the channel."""
    rms = _frame_rms(audio)
    n = len(rms)
    if n < 10 or not utts:
        return utts
    floor = max(float(np.percentile(rms, 10)), 1e-5)
    order = sorted(range(len(utts)), key=lambda i: utts[i].start)
    for k, i in enumerate(order):
        u = utts[i]
        a, b = int(u.start * 50), min(n, int(np.ceil(u.end * 50)))
        if b <= a or not u.words:
            continue
        loud = max(3 * floor, float(np.percentile(rms[a:b], 95)) * 10 ** (-30 / 20))
        nxt = utts[order[k + 1]].start if k + 1 < len(order) else n / 50
        prv = utts[order[k - 1]].end if k > 0 else 0.0
        end = b
        while end < n and rms[end] > loud and (end + 1) / 50 <= min(nxt, u.end + MAX_TAIL):
            end += 1
        # ... and a first word that starts in silence (Whisper also starts words up to 0.4 s early) begins at the
        # sound, or a stretched agent turn would overlap the customer's early-started reply: overtalk nobody made
        # (only when the sound starts inside that first word: one too quiet to pass the bar is left as it is)
        first = np.flatnonzero(rms[a : min(n, max(a + 1, int(u.words[0].end * 50)))] > loud)
        start = a + int(first[0]) if len(first) else None
        while start is not None and start > 0 and rms[start - 1] > loud and (start - 1) / 50 >= max(
                prv, u.start - MAX_HEAD):
            start -= 1
        if end > b:  # only where a loud frame was added: no bound moves on rounding to the frame grid alone
            w = u.words[-1]
            u.words[-1] = Word(w.start, end / 50, w.word, w.probability)
            u.end = end / 50
        if start is not None and start / 50 != u.start:
            w = u.words[0]
            u.words[0] = Word(start / 50, w.end, w.word, w.probability)
            u.start = start / 50
    return utts


def _join_split_numbers(utts: list[Utterance], max_gap: float = 3.0) -> list[Utterance]:
    """Whisper may also end a segment in the middle of a number read in groups: join such neighbours back."""
    from vocsvc.nlp.pii import is_number_token

    out: list[Utterance] = []
    for u in utts:
        p = out[-1] if out else None
        if (p is not None and p.words and u.words and u.start - p.end <= max_gap
                and is_number_token(p.words[-1].word) and is_number_token(u.words[0].word)):
            p.end, p.words = u.end, p.words + u.words
            p.text = "".join(w.word for w in p.words).strip()
            p.flags = sorted(set(p.flags) | set(u.flags))
            continue
        out.append(u)
    return out


def _split_on_pauses(words: list[Word], max_pause: float) -> list[list[Word]]:
    """New utterance after a long pause, but never inside a number: people read card and phone numbers in
    groups with pauses, and a number cut in two utterances would escape redaction."""
    from vocsvc.nlp.pii import is_number_token

    parts = [[words[0]]]
    for prev, w in zip(words, words[1:]):
        if w.start - prev.end > max_pause and not (is_number_token(prev.word) and is_number_token(w.word)):
            parts.append([w])
        else:
            parts[-1].append(w)
    return parts


def options_from_settings(s: Settings) -> WhisperOptions:
    return WhisperOptions(
        model=s.whisper_model, compute_type=s.whisper_compute_type, beam_size=s.whisper_beam_size,
        threads=s.whisper_threads, vad=s.whisper_vad,
        language=None if s.transcribe_language == "auto" else s.transcribe_language,
        languages=tuple(s.languages),
    )


def get_runner(settings: Settings | None = None) -> WhisperRunner:
    s = settings or get_settings()
    return _runner(options_from_settings(s), s.cache_dir)


_RUNNERS: dict[tuple, WhisperRunner] = {}
_RUNNERS_LOCK = threading.Lock()


def _runner(opts: WhisperOptions, cache_dir: Path) -> WhisperRunner:
    with _RUNNERS_LOCK:
        key = (opts, cache_dir)
        if key not in _RUNNERS:
            _RUNNERS[key] = WhisperRunner(opts, cache_dir)
        return _RUNNERS[key]
