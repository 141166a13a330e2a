"""Two speakers in a mono mix: resemblyzer (GE2E) voice embeddings, clustered in two, and turns split where the
voice changes inside an utterance.

1. Each Whisper utterance (already split on pauses) is one voice sample. Two-way agglomerative clustering on cosine
   distance; a "cluster" of a few short stray clips (a cough, one mumbled word) is set aside and the rest clustered
   again. When the two clusters' clips are on average as close as one voice to itself, the call has one speaker.
2. Utterances go to the nearer duration-weighted centroid.
3. Whisper joins a quick exchange ("What's the order number? - 4 7 1 2") into one segment when nobody pauses, so a
   long utterance is scanned with short windows: each window scores which centroid it is nearer, each word takes
   the score at its time, and a two-state Viterbi over the words (a penalty per change of voice) finds where the
   speaker changes. The utterance is cut at those word boundaries.
"""
from __future__ import annotations

import threading
from dataclasses import replace
from functools import lru_cache

import numpy as np

from vocsvc.audio.types import Utterance
from vocsvc.errors import ModelNotFoundError

SR = 16_000
# Mean cosine between the two clusters' clips above which they are one voice. Measured: the same voice ~0.9 in
# clean audio and 0.78 across the JFK clip's two halves; different voices 0.52-0.72 (resemblyzer, MODELS.md, tests).
SAME_VOICE = 0.74
MIN_SECONDS = 0.6  # shorter clips give unreliable embeddings; they take the nearest neighbour's speaker
# A second voice must speak this long in all before we believe in it: one short clip of a single speaker can
# embed far from the rest (JFK's first 2 s: cosine 0.64-0.79 to the other clips).
MIN_SECOND_VOICE_SECONDS = 3.0
# Change detection inside an utterance: windows of 1 s every 0.25 s (resemblyzer's own partials are 1.6 s, too
# coarse to place a 1-s reply); utterances shorter than SCAN_SECONDS are not scanned (no room for two turns that
# each fill a window); a part shorter than MIN_PART_SECONDS is not split off; SWITCH is the Viterbi's price of a
# change of voice, in score x seconds (a window's score is cos(other voice) - cos(this voice), ~0.1-0.3 for a
# clear voice). Chosen on synthetic calls with merged turns (tests/audio/test_diarize.py), en and ru.
WINDOW_FRAMES, STEP_FRAMES = 100, 25
SCAN_SECONDS = 2.0
MIN_PART_SECONDS = 0.5
SWITCH = 0.1
# Two clusters of 1-s windows whose mean vectors are this close are one voice. Measured (cosine of the two
# clusters' means): JFK's single voice 0.82; two synthetic voices 0.71-0.76 (espeak en-us and its pitch-shifted
# en-gb, festival ru and its pitch-shifted self: closer than two real people).
WINDOW_SAME_VOICE = 0.79


@lru_cache(maxsize=1)
def _encoder():
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as e:
        raise ModelNotFoundError("mono diarization needs resemblyzer: pip install resemblyzer (torch==2.13.0 first)") from e
    return VoiceEncoder(device="cpu", verbose=False)


def warmup() -> None:
    """Load the voice encoder and compile the mel spectrogram (librosa's numba code) now, not inside the first mono
    call: together 1-3 s on 2 cores."""
    noise = np.random.default_rng(0).normal(0, 0.01, 2 * SR).astype(np.float32)
    embed(noise, [Utterance("unknown", 0, 0.0, 2.0, "")])


_LOCK = threading.Lock()


def _run(mels: list[np.ndarray]) -> np.ndarray:
    """L2-normalised GE2E embeddings of equal-length mel windows, in batches."""
    import torch

    enc = _encoder()
    batch = torch.from_numpy(np.array(mels))
    with _LOCK, torch.no_grad():
        return torch.cat([enc(batch[s : s + 128]) for s in range(0, len(batch), 128)]).cpu().numpy()


def embed(audio: np.ndarray, utterances: list[Utterance]) -> np.ndarray:
    """One GE2E embedding per utterance (zeros for clips under 0.25 s): resemblyzer's embed_utterance, with the
    1.6-s partial windows of every utterance sent through the network in a few batches instead of one call per
    utterance (the same numbers; 15 s -> 2.5 s for a 2-minute call on 2 cores)."""
    return _features(audio, utterances, scan=set())[0]


def _features(audio: np.ndarray, utterances: list[Utterance], scan: set[int]
              ) -> tuple[np.ndarray, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Utterance embeddings, and for the utterances in ``scan`` the embeddings of 1-s windows every 0.25 s with
    each window's centre time; one mel spectrogram per utterance, two batched passes through the network."""
    from resemblyzer import audio as rz_audio

    enc = _encoder()
    out = np.zeros((len(utterances), 256), np.float32)
    mels, owner, wins, wowner, wcentre = [], [], [], [], []
    for i, u in enumerate(utterances):
        clip = audio[int(u.start * SR) : int(u.end * SR)].astype(np.float32)
        if len(clip) < SR // 4:
            continue
        n_frames = len(clip) // 160 + 1
        wav_slices, mel_slices = enc.compute_partial_slices(len(clip), 1.3, 0.75)  # embed_utterance's defaults
        if wav_slices[-1].stop >= len(clip):
            clip = np.pad(clip, (0, wav_slices[-1].stop - len(clip)))
        mel = rz_audio.wav_to_mel_spectrogram(clip)
        for sl in mel_slices:
            mels.append(mel[sl])
            owner.append(i)
        if i in scan and n_frames >= WINDOW_FRAMES + STEP_FRAMES:
            for st in range(0, n_frames - WINDOW_FRAMES + 1, STEP_FRAMES):
                wins.append(mel[st : st + WINDOW_FRAMES])
                wowner.append(i)
                wcentre.append(u.start + (st + WINDOW_FRAMES / 2) / 100.0)
    if not mels:
        return out, {}
    partials = _run(mels)
    owner_ = np.array(owner)
    for i in set(owner):
        v = partials[owner_ == i].mean(axis=0)
        out[i] = v / np.linalg.norm(v)
    windows = {}
    if wins:
        W, wowner_, wcentre_ = _run(wins), np.array(wowner), np.array(wcentre)
        windows = {i: (W[wowner_ == i], wcentre_[wowner_ == i]) for i in set(wowner)}
    return out, windows


def diarize(audio: np.ndarray, utterances: list[Utterance]) -> list[Utterance]:
    """Set ``speaker`` (0 or 1) on each utterance and split those that hold a change of voice; returns the new list
    in time order. One voice: every utterance speaker 0, none split."""
    n = len(utterances)
    if n == 0:
        return utterances
    dur = np.array([u.end - u.start for u in utterances])
    E, scan = _features(audio, utterances, {i for i, u in enumerate(utterances) if u.words and dur[i] >= SCAN_SECONDS})
    C = _centroids(E, dur, SAME_VOICE) if n >= 2 else None
    if C is None and scan:
        # No utterance-level second voice, but maybe every turn of one voice sits inside the other's utterances
        # (a chat of quick replies): cluster the windows themselves, every other one (0.5 s apart).
        W = np.concatenate([w[::2] for w, _c in scan.values()])
        C = _centroids(W, np.full(len(W), 0.5), WINDOW_SAME_VOICE, by_centroid=True)
    if C is None:
        for u in utterances:
            u.speaker = 0
        return utterances
    out: list[Utterance] = []
    for i, (u, spk) in enumerate(zip(utterances, _nearest(E, C, utterances))):
        u.speaker = spk
        out += _split_at_changes(u, C, *scan[i]) if i in scan else [u]
    return out


def _centroids(E: np.ndarray, dur: np.ndarray, same_voice: float, by_centroid: bool = False) -> np.ndarray | None:
    """The two voices' duration-weighted centroids (2 x 256), or None for one voice: when the two clusters' clips
    are on average closer than ``same_voice`` (``by_centroid``: when the clusters' mean vectors are)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    pool = np.flatnonzero((dur >= min(MIN_SECONDS, dur.max())) & (np.linalg.norm(E, axis=1) > 0))
    for _ in range(3):
        if len(pool) < 2:
            return None
        lab = fcluster(linkage(E[pool], method="average", metric="cosine"), 2, criterion="maxclust") - 1
        a, b = pool[lab == 0], pool[lab == 1]
        if not len(a) or not len(b):
            return None
        small = a if dur[a].sum() < dur[b].sum() else b
        if dur[small].sum() >= MIN_SECOND_VOICE_SECONDS:
            break
        # Average linkage puts one odd clip (0.6 s of a pitched-up "Smirnov.") in a cluster of its own and the
        # whole second voice with the first: set the strays aside and cluster what remains.
        pool = np.setdiff1d(pool, small)
    else:
        return None
    cents = [(E[m] * dur[m, None]).sum(0) for m in (a, b)]
    C = np.stack([c / np.linalg.norm(c) for c in cents])
    closeness = float(C[0] @ C[1]) if by_centroid else float((E[a] @ E[b].T).mean())
    return None if closeness > same_voice else C


def _nearest(E: np.ndarray, C: np.ndarray, utterances: list[Utterance]) -> list[int]:
    has = np.linalg.norm(E, axis=1) > 0
    speakers = []
    for i, u in enumerate(utterances):
        if has[i]:
            speakers.append(int(np.argmax(C @ E[i])))
        else:  # too short to embed: the speaker of the nearest utterance in time that has a voice
            j = min(np.flatnonzero(has), key=lambda g: abs(utterances[g].start - u.start))
            speakers.append(int(np.argmax(C @ E[j])))
    return speakers


def _split_at_changes(u: Utterance, C: np.ndarray, W: np.ndarray, centres: np.ndarray) -> list[Utterance]:
    words = u.words
    score = W @ (C[1] - C[0])  # > 0: nearer voice 1
    d = np.interp([(w.start + w.end) / 2 for w in words], centres, score)
    dur = np.array([max(w.end - w.start, 0.05) for w in words])
    runs = _runs(_viterbi(d * dur))
    # a part too short to stand alone goes back to its neighbours (the longer side wins)
    while len(runs) > 1:
        lens = [words[b - 1].end - words[a].start for a, b, _s in runs]
        k = int(np.argmin(lens))
        if lens[k] >= MIN_PART_SECONDS:
            break
        a, b, _s = runs.pop(k)
        if k == 0:
            runs[0] = (a, runs[0][1], runs[0][2])
        elif k == len(runs):
            runs[-1] = (runs[-1][0], b, runs[-1][2])
        else:
            left, right = runs[k - 1], runs[k]
            runs[k - 1 : k + 1] = [(left[0], right[1], left[2])] if left[2] == right[2] else (
                [(left[0], b, left[2]), right] if lens[k - 1] >= lens[k + 1] else [left, (a, right[1], right[2])])
    if len(runs) == 1:
        return [u]
    parts = []
    for a, b, s in runs:
        ws = words[a:b]
        parts.append(replace(u, start=ws[0].start, end=ws[-1].end, words=list(ws), flags=list(u.flags),
                             text="".join(w.word for w in ws).strip(), speaker=int(s)))
    return parts


def _viterbi(gain: np.ndarray) -> np.ndarray:
    """Best 0/1 state per word: state 1 earns ``gain``, state 0 earns ``-gain``, each change costs SWITCH."""
    n = len(gain)
    score = np.array([-gain[0], gain[0]])
    back = np.zeros((n, 2), np.int8)
    for i in range(1, n):
        new = np.empty(2)
        for s in (0, 1):
            stay, move = score[s], score[1 - s] - SWITCH
            back[i, s] = s if stay >= move else 1 - s
            new[s] = max(stay, move) + (gain[i] if s else -gain[i])
        score = new
    states = np.empty(n, np.int8)
    states[-1] = int(np.argmax(score))
    for i in range(n - 1, 0, -1):
        states[i - 1] = back[i, states[i]]
    return states


def _runs(states: np.ndarray) -> list[tuple[int, int, int]]:
    runs, a = [], 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[a]:
            runs.append((a, i, int(states[a])))
            a = i
    return runs
