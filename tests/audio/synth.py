"""Synthetic two-party calls with known truth: espeak-ng (English, two voices) or festival (Russian; the second
voice pitch-shifted with sox), placed on a timeline with chosen gaps and overlaps, written as stereo and mono."""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vocsvc.audio.wavio import write_wav

SR = 16_000


@dataclass
class Turn:
    role: str  # agent | customer
    text: str
    gap: float = 0.6  # seconds after the previous turn ends; negative = overtalk


@dataclass
class Truth:
    role: str
    text: str
    start: float
    end: float


def have_tools(lang: str) -> bool:
    need = ["espeak-ng", "sox"] if lang == "en" else ["text2wave", "sox"]
    return all(shutil.which(t) for t in need)


def _read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        sr, n, ch = w.getframerate(), w.getnframes(), w.getnchannels()
        x = np.frombuffer(w.readframes(n), "<i2").astype(np.float32) / 32768
    if ch > 1:
        x = x.reshape(-1, ch).mean(axis=1)
    if sr != SR:
        t = np.arange(int(len(x) * SR / sr)) * sr / SR
        x = np.interp(t, np.arange(len(x)), x).astype(np.float32)
    # trim the synthesiser's leading/trailing silence so the truth times are the speech times
    idx = np.flatnonzero(np.abs(x) > 0.01)
    return x[idx[0] : idx[-1] + 1] if len(idx) else x


def speak(text: str, role: str, lang: str, workdir: Path) -> np.ndarray:
    out = workdir / f"tts_{abs(hash((text, role))) % 10**9}.wav"
    if lang == "en":
        voice = "en-us" if role == "agent" else "en-gb+f3"
        raw = workdir / "raw.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw if role == "customer" else out), text],
                       check=True, capture_output=True)
        if role == "customer":  # espeak's voices share one synthesiser; a pitch shift makes them two people
            subprocess.run(["sox", "-R", str(raw), str(out), "pitch", "500"], check=True, capture_output=True)
    else:
        txt = workdir / "in.txt"
        txt.write_text(text, encoding="utf-8")
        raw = workdir / "raw.wav"
        subprocess.run(["text2wave", "-eval", "(voice_msu_ru_nsh_clunits)", str(txt), "-o", str(raw)],
                       check=True, capture_output=True)
        if role == "customer":  # a second voice: pitch up
            subprocess.run(["sox", "-R", str(raw), str(out), "pitch", "400"], check=True, capture_output=True)
        else:
            raw.replace(out)
    return _read_wav(out)


def build_call(turns: list[Turn], lang: str, out_dir: Path, name: str, lead: float = 0.8, tail: float = 1.0
               ) -> tuple[Path, Path, list[Truth]]:
    """Write ``name.stereo.wav`` (agent left, customer right) and ``name.mono.wav``; return them and the truth."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as td:
        clips = [speak(t.text, t.role, lang, Path(td)) for t in turns]
    truth, cursor = [], lead
    for t, clip in zip(turns, clips):
        start = max(0.0, cursor + t.gap) if truth else lead
        end = start + len(clip) / SR
        truth.append(Truth(t.role, t.text, start, end))
        cursor = max(cursor, end)
    total = int((cursor + tail) * SR)
    left, right = np.zeros(total, np.float32), np.zeros(total, np.float32)
    for tr, clip in zip(truth, clips):
        a = int(tr.start * SR)
        (left if tr.role == "agent" else right)[a : a + len(clip)] += clip * 0.8
    stereo, mono = out_dir / f"{name}.stereo.wav", out_dir / f"{name}.mono.wav"
    write_wav(stereo, np.stack([left, right], 1), SR)
    write_wav(mono, (left + right) / 1.6, SR)
    return stereo, mono, truth


EN_CALL = [
    Turn("agent", "Thank you for calling ShopCo, my name is Emma. How can I help you today?"),
    Turn("customer", "Hi Emma. I am really upset. My order never arrived and I want a refund."),
    Turn("agent", "I am sorry to hear that. Could you please give me your order number?", 0.8),
    Turn("customer", "Sure, it is four seven one two nine.", 2.5),
    Turn("agent", "Thank you. I can see the parcel was lost by the courier. I will refund you today.", 1.0),
    Turn("customer", "Wait, will I get all the money back?", -0.7),
    Turn("agent", "Yes, the full amount, within three days.", 0.6),
    Turn("customer", "Great, thank you so much, that is wonderful news.", 0.6),
]
RU_CALL = [
    Turn("agent", "Здравствуйте, меня зовут Ольга, служба поддержки. Чем могу помочь?"),
    Turn("customer", "Здравствуйте. Мой заказ так и не пришёл, я очень недоволен."),
    Turn("agent", "Приносим извинения. Подскажите, пожалуйста, номер заказа.", 0.8),
    Turn("customer", "Номер заказа сорок семь двенадцать.", 2.0),
    Turn("agent", "Спасибо. Я оформлю возврат денег сегодня.", 1.0),
    Turn("customer", "Отлично, большое спасибо, вы мне очень помогли.", 0.6),
]


# Quick-turn dialogues (replies 0.1-0.2 s after the question, one overtalk): tests/audio/test_diarize.py and
# bench/diarize.py. The diarizer's SWITCH and MIN_PART_SECONDS were chosen on the *_DEV pair only.
EN_DEV = [
    Turn("agent", "Good morning, you are through to ShopCo support, my name is Emma. How can I help?"),
    Turn("customer", "Hi. My parcel did not come."),
    Turn("agent", "Oh no. What is the order number?", 0.15),
    Turn("customer", "Four seven one two nine.", 0.1),
    Turn("agent", "Thanks. And your surname?", 0.15),
    Turn("customer", "Smith. S M I T H.", 0.1),
    Turn("agent", "Okay, I see it. The courier lost it.", 0.2),
    Turn("customer", "Lost it? Seriously? I paid for express delivery!", -0.2),
    Turn("agent", "I know, I am sorry. I will send a new one today.", 0.1),
    Turn("customer", "Fine. Thank you.", 0.1),
    Turn("agent", "Anything else?", 0.1),
    Turn("customer", "No, that is all. Bye.", 0.15),
]
EN_QUICK = [
    Turn("agent", "Hello, this is Mark from NetLine customer service. How can I help you today?"),
    Turn("customer", "Hi Mark. My internet keeps dropping every evening."),
    Turn("agent", "I see. Since when?", 0.15),
    Turn("customer", "Since Monday, maybe Tuesday.", 0.1),
    Turn("agent", "And which router do you have?", 0.15),
    Turn("customer", "The white one you sent me last year.", 0.1),
    Turn("agent", "Right. I will restart it from here.", 0.1),
    Turn("customer", "Okay, it is blinking now.", -0.2),
    Turn("agent", "Good, that means it is updating.", 0.1),
    Turn("customer", "Great. Thanks a lot.", 0.1),
]
RU_DEV = [
    Turn("agent", "Добрый день, служба поддержки, меня зовут Ольга. Чем могу помочь?"),
    Turn("customer", "Здравствуйте. Посылка не пришла."),
    Turn("agent", "Понимаю. Номер заказа?", 0.15),
    Turn("customer", "Сорок семь двенадцать.", 0.1),
    Turn("agent", "Спасибо. Ваша фамилия?", 0.15),
    Turn("customer", "Смирнов.", 0.1),
    Turn("agent", "Вижу заказ. Курьер его потерял.", 0.2),
    Turn("customer", "Как потерял? Я же платил за срочную доставку!", -0.2),
    Turn("agent", "Приносим извинения. Отправим новый сегодня.", 0.1),
    Turn("customer", "Хорошо. Спасибо.", 0.1),
    Turn("agent", "Ещё вопросы есть?", 0.1),
    Turn("customer", "Нет, это всё. До свидания.", 0.15),
]
RU_QUICK = [
    Turn("agent", "Здравствуйте, банк Восток, меня зовут Анна. Чем могу помочь?"),
    Turn("customer", "Здравствуйте. Я потеряла карту."),
    Turn("agent", "Поняла. Когда это случилось?", 0.15),
    Turn("customer", "Вчера вечером, в магазине.", 0.1),
    Turn("agent", "Я заблокирую её прямо сейчас.", 0.15),
    Turn("customer", "Да, пожалуйста, и побыстрее.", 0.1),
    Turn("agent", "Готово, карта заблокирована.", 0.1),
    Turn("customer", "А новую когда сделаете?", -0.2),
    Turn("agent", "Через пять дней, в отделении.", 0.1),
    Turn("customer", "Хорошо, спасибо большое.", 0.1),
]

# A customer who speaks up, then quietly (gain 0.02, -34 dB) after a minute of silence and again after minute 2:
# tests/audio/test_quiet_speech.py and bench/quiet_speech.py.
QUIET_LINES = ["Hello, I have a problem with my internet connection at home.",
               "It worked yesterday but since this morning nothing loads at all.",
               "Okay, I am restarting the router now, please wait a moment.",
               "It worked! You are a miracle worker, you saved me a trip to the shop.",
               "Thank you so much, have a lovely evening, goodbye."]
QUIET_PLAN = [(1.0, 1.0), (6.0, 1.0), (70.0, 0.02), (130.0, 0.02), (140.0, 0.02)]  # (start s, gain)


def Utterance_from_truth(truth: list[Truth]):
    """Truth turns as utterances, to compute the constructed call's metrics with the same function."""
    from vocsvc.audio.types import Utterance

    return [Utterance(t.role, 0 if t.role == "agent" else 1, t.start, t.end, t.text) for t in truth]


def covered_role_accuracy(utts, truth: list[Truth]) -> float:
    """Of the truth speech time that some utterance covers, the share covered with the right role."""
    ok = cov = 0.0
    for t in truth:
        for u in utts:
            ov = min(u.end, t.end) - max(u.start, t.start)
            if ov > 0:
                cov += ov
                ok += ov * (u.role == t.role)
    return ok / cov if cov else 0.0


def merge_pairs(utts):
    """Whisper's utterances joined two by two (each question with its answer), as Whisper does when nobody pauses:
    no utterance then has one voice to itself."""
    from vocsvc.audio.types import Utterance

    out = []
    for k in range(0, len(utts) - 1, 2):
        words = utts[k].words + utts[k + 1].words
        out.append(Utterance("unknown", 0, words[0].start, words[-1].end, "".join(w.word for w in words).strip(),
                             words=words))
    return out


def speech_coverage(spans: list[tuple[float, float]], x: np.ndarray, rel_db: float = -35.0) -> float:
    """Share of a channel's speech time that the given (start, end) spans cover. Speech time is loudness, not the
    script: 20-ms frames within ``rel_db`` of the channel's loud speech (its 99th-percentile frame level), so the
    silence a synthesiser leaves around a clip counts for no one. This is how the issue measured real calls."""
    frame = SR // 50
    n = len(x) // frame
    rms = np.sqrt(np.mean(x[: n * frame].astype(np.float64).reshape(n, frame) ** 2, axis=1))
    speech = rms > max(float(np.percentile(rms, 99)) * 10 ** (rel_db / 20), 1e-5)
    inside = np.zeros(n, bool)
    centres = (np.arange(n) + 0.5) * frame / SR
    for a, b in spans:
        inside |= (centres >= a) & (centres < b)
    return float((speech & inside).sum() / max(1, speech.sum()))
