"""One call end to end: decode -> per-channel Whisper -> roles -> redaction and tags -> metrics and rollups."""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

from vocsvc.audio.metrics import call_metrics
from vocsvc.audio.roles import assign_roles, choose_agent
from vocsvc.audio.transcribe import SR, WhisperRunner, drop_repeats, get_runner, load_audio
from vocsvc.audio.types import Transcript, Utterance
from vocsvc.settings import Settings, get_settings
from vocsvc.types import Tags

log = logging.getLogger("vocsvc")
_HINTS = {"left": 0, "right": 1, "auto": None, None: None}


def transcribe_call(
    path: str | Path,
    agent_channel: str | int | None = "auto",
    settings: Settings | None = None,
    analyzer=None,
    runner: WhisperRunner | None = None,
    redact_audio_to: str | Path | None = None,
    progress=None,
) -> Transcript:
    """Transcribe, attribute, redact and tag one recording. Raises AudioError for unusable input.

    ``redact_audio_to``: also write a WAV copy with the spoken PII silenced (needs word timestamps).
    ``progress(fraction)``: called as stages finish (decoded, transcribed, tagged).
    """
    report = _monotonic(progress)
    s = settings or get_settings()
    runner = runner or get_runner(s)
    if analyzer is None:
        from vocsvc.analyzer import Analyzer

        analyzer = Analyzer(s)
    hint = agent_channel if isinstance(agent_channel, int) else _HINTS[agent_channel]
    chans = load_audio(path, s.max_audio_seconds)
    duration = len(chans[0]) / SR
    report(0.05)

    utterances: list[Utterance] = []
    langs: dict[int, str | None] = {}
    dropped = 0
    done = [0.0] * len(chans)

    def channel_progress(ch: int, f: float) -> None:
        done[ch] = f
        report(0.05 + 0.75 * sum(done) / len(done))  # decoding is the long part: 5% -> 80%

    def one_channel(ch: int):
        audio = chans[ch]
        lang, _p = runner.detect_language(audio) if float(abs(audio).max(initial=0.0)) >= 1e-4 else (None, 0.0)
        # mono: its halves take the model's two workers; stereo: the two channels do
        decode = runner.segments_halves if len(chans) == 1 else runner.segments
        return (lang, *decode(audio, ch, lang, lambda f: channel_progress(ch, f)))

    runner.model  # noqa: B018 - load once, on this thread, before the channels run side by side
    if len(chans) == 2:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2, thread_name_prefix="vocsvc-channel") as pool:
            results = list(pool.map(one_channel, range(2)))
    else:
        results = [one_channel(0)]
    for ch, (lang, utts, d) in enumerate(results):
        langs[ch] = lang
        utterances += utts
        dropped += d
    utterances.sort(key=lambda u: (u.start, u.channel))
    report(0.8)

    by_channel = {ch: [u for u in utterances if u.channel == ch] for ch in range(len(chans))}
    if len(chans) == 2:
        for u in utterances:
            u.speaker = u.channel
        agent = choose_agent(by_channel, hint)
    else:
        if s.diarize and len(utterances) >= 2:
            from vocsvc.audio.diarize import diarize

            utterances = diarize(chans[0], utterances)  # may split an utterance where the voice changes
        speakers = {k: [u for u in utterances if u.speaker == k] for k in {u.speaker for u in utterances}}
        agent = choose_agent(speakers) if len(speakers) == 2 else None
    assign_roles(utterances, agent, key=lambda u: u.speaker)
    utterances, repeats = drop_repeats(utterances)
    dropped += repeats

    if utterances:
        # each turn with the one before it: "What is your date of birth?" -> "The fifth of May, 1980" is PII
        analysis = analyzer.analyze([u.text for u in utterances],
                                    contexts=[""] + [u.text for u in utterances[:-1]])
        for u, tags in zip(utterances, analysis):
            if isinstance(tags, Tags):
                u.tags = tags
                u.text_redacted = tags.text_redacted
                u.lang = u.lang or tags.lang
            else:
                u.text_redacted = ""
                u.flags.append(f"untagged: {tags.error}")

    report(0.95)
    qa = score_qa(utterances, s, analyzer, _language(langs, by_channel)) if s.qa and utterances else None
    spoken = [lang for ch, lang in langs.items() if by_channel.get(ch)]
    languages = {("agent" if ch == agent else "customer" if agent is not None else f"channel_{ch}"): lang
                 for ch, lang in langs.items() if by_channel.get(ch) and lang}
    language = Counter(spoken).most_common(1)[0][0] if spoken else None
    tr = Transcript(
        source=str(path), duration=duration, channels=len(chans), language=language,
        languages=languages if len(set(languages.values())) > 1 else {}, utterances=utterances,
        metrics=call_metrics(utterances, duration), rollups=rollups(utterances),
        agent_channel=agent if len(chans) == 2 else None,
        dropped_segments=dropped, qa=qa,
    )
    if redact_audio_to is not None:
        from vocsvc.audio.redact_audio import redact_audio

        tr.redacted_spans = redact_audio(chans, tr, Path(redact_audio_to))
        tr.redacted_audio = str(redact_audio_to)
    return tr


def _monotonic(progress):
    """Channels report from two threads: pass on only rising values, one at a time."""
    import threading

    lock, last = threading.Lock(), [-1.0]

    def report(f: float) -> None:
        if progress is None:
            return
        with lock:
            if f > last[0]:
                last[0] = f
                progress(f)

    return report


def _language(langs: dict[int, str | None], by_channel: dict[int, list[Utterance]]) -> str | None:
    spoken = [lang for ch, lang in langs.items() if by_channel.get(ch) and lang]
    return Counter(spoken).most_common(1)[0][0] if spoken else None


def score_qa(utterances: list[Utterance], settings: Settings, analyzer, language: str | None) -> dict[str, Any]:
    """The scorecard's answers for this call, from the tagged utterances (the encoder that tagged them embeds them
    once more for the example sentences: a few dozen short texts)."""
    from vocsvc.qa.score import scorer_for

    scorer = scorer_for(settings, analyzer)
    utts = [u.to_dict() for u in utterances]
    X = analyzer.encoder([u["text_redacted"] or " " for u in utts])
    return scorer.score(utts, language, X).to_dict()


def _mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 3) if xs else None


def rollups(utterances: list[Utterance]) -> dict[str, Any]:
    """Call-level summary: the customer's sentiment at the start and the end, dominant emotions, intents ..."""
    return rollups_of([(u.role, u.tags.to_dict() if u.tags is not None else None) for u in utterances])


def rollups_of(turns: list[tuple[str, dict | None]]) -> dict[str, Any]:
    """:func:`rollups` over (role, tags as stored) pairs: what a stored call is summarised from again when its
    roles are swapped."""
    cust = [t for role, t in turns if t is not None and role in ("customer", "unknown")]
    scores = [t["sentiment"]["score"] for t in cust if t.get("sentiment")]
    k = max(1, min(3, len(scores) // 3 or 1))
    start, end = _mean(scores[:k]), _mean(scores[-k:])
    trajectory = None
    if start is not None and end is not None:
        trajectory = "improved" if end - start > 0.2 else "worsened" if start - end > 0.2 else "stable"
    emotions = Counter(t.get("emotion") for t in cust if t.get("emotion") and t.get("emotion") != "neutral")
    intents = Counter(i["label"] for t in cust for i in (t.get("intents") or [])[:1] if i["label"] != "other")
    cats = Counter(c for _, t in turns if t for c in t.get("categories") or [])
    pii = Counter(p["type"] for _, t in turns if t for p in t.get("pii") or [])
    return {
        "customer_sentiment_start": start, "customer_sentiment_end": end, "sentiment_trajectory": trajectory,
        "dominant_emotions": [e for e, _ in emotions.most_common(3)],
        "intents": dict(intents.most_common()), "categories": dict(cats.most_common()), "pii_found": dict(pii),
    }
