"""Two speakers in a mono mix: resemblyzer (GE2E) voice embeddings per utterance, clustered in two.

Each Whisper utterance (already split on pauses) is one voice sample. Two-way agglomerative clustering on cosine
distance; when the two clusters' clips are on average as close as one voice to itself, the call has one speaker.
Utterances are then assigned to the nearer duration-weighted centroid.
"""
from __future__ import annotations

import threading
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


@lru_cache(maxsize=1)
def _encoder():
    try:
        from resemblyzer import VoiceEncoder
    except ImportError as e:
        raise ModelNotFoundError("mono diarization needs resemblyzer: pip install resemblyzer (torch==2.13.0 first)") from e
    return VoiceEncoder(device="cpu", verbose=False)


_LOCK = threading.Lock()


def embed(audio: np.ndarray, utterances: list[Utterance]) -> np.ndarray:
    """One GE2E embedding per utterance (zeros for clips under 0.25 s): resemblyzer's embed_utterance, with the
    1.6-s partial windows of every utterance sent through the network in a few batches instead of one call per
    utterance (the same numbers; 15 s -> 2.5 s for a 2-minute call on 2 cores)."""
    import torch
    from resemblyzer import audio as rz_audio

    enc = _encoder()
    out = np.zeros((len(utterances), 256), np.float32)
    mels, owner = [], []
    for i, u in enumerate(utterances):
        clip = audio[int(u.start * SR) : int(u.end * SR)].astype(np.float32)
        if len(clip) < SR // 4:
            continue
        wav_slices, mel_slices = enc.compute_partial_slices(len(clip), 1.3, 0.75)  # embed_utterance's defaults
        if wav_slices[-1].stop >= len(clip):
            clip = np.pad(clip, (0, wav_slices[-1].stop - len(clip)))
        mel = rz_audio.wav_to_mel_spectrogram(clip)
        for sl in mel_slices:
            mels.append(mel[sl])
            owner.append(i)
    if not mels:
        return out
    batch = torch.from_numpy(np.array(mels))
    with _LOCK, torch.no_grad():
        partials = torch.cat([enc(batch[s : s + 128]) for s in range(0, len(batch), 128)]).cpu().numpy()
    owner_ = np.array(owner)
    for i in set(owner):
        v = partials[owner_ == i].mean(axis=0)
        out[i] = v / np.linalg.norm(v)
    return out


def two_speakers(audio: np.ndarray, utterances: list[Utterance]) -> list[int]:
    """Speaker id (0 or 1) per utterance; all 0 when the call has one voice."""
    n = len(utterances)
    if n < 2:
        return [0] * n
    E = embed(audio, utterances)
    dur = np.array([u.end - u.start for u in utterances])
    good = np.flatnonzero((dur >= MIN_SECONDS) & (np.linalg.norm(E, axis=1) > 0))
    if len(good) < 2:
        return [0] * n
    from scipy.cluster.hierarchy import fcluster, linkage

    Z = linkage(E[good], method="average", metric="cosine")
    lab = fcluster(Z, 2, criterion="maxclust") - 1
    cents = []
    for k in (0, 1):
        m = good[lab == k]
        if not len(m):
            return [0] * n
        c = (E[m] * dur[m, None]).sum(0)
        cents.append(c / np.linalg.norm(c))
    a, b = good[lab == 0], good[lab == 1]
    if float((E[a] @ E[b].T).mean()) > SAME_VOICE or min(dur[a].sum(), dur[b].sum()) < MIN_SECOND_VOICE_SECONDS:
        return [0] * n
    C = np.stack(cents)
    speakers = []
    for i in range(n):
        if np.linalg.norm(E[i]) > 0:
            speakers.append(int(np.argmax(C @ (E[i] / np.linalg.norm(E[i])))))
        else:  # too short to embed: the speaker of the nearest utterance in time
            j = min(good, key=lambda g: abs(utterances[g].start - utterances[i].start))
            speakers.append(int(np.argmax(C @ E[j] / np.linalg.norm(E[j]))))
    return speakers
