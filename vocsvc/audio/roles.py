"""Which party is the agent: metadata when given, otherwise scored from what each side says and when.

Agents greet, introduce themselves, name the company, offer help and speak first; customers state problems. The
score per speaker adds those cues (Russian and English), so a call where the customer speaks first still goes to
the side that says "меня зовут ..., чем могу помочь".
"""
from __future__ import annotations

import re

from vocsvc.audio.types import Utterance

_AGENT_CUES = [
    r"\bmy name is\b", r"\bthis is \w+ (from|at|speaking)\b", r"\bspeaking\b", r"\bhow (can|may) i help\b",
    r"\bthank you for (calling|waiting|holding|your patience)\b", r"\bwelcome to\b", r"\bcustomer (service|support)\b",
    r"\bis there anything else\b", r"\bhave a (nice|great|good) day\b", r"\blet me check\b", r"\bi can see\b",
    r"\bcould you (please )?(confirm|tell me|give me)\b", r"\bsorry for the inconvenience\b",
    r"\bменя зовут\b", r"\bчем (я )?могу (вам )?помочь\b", r"\bслужба (поддержки|заботы)\b", r"\bкомпания\b",
    r"\bспасибо за (звонок|ожидание|обращение|терпение)\b", r"\bоператор\b", r"\bсейчас (я )?проверю\b",
    r"\bподскажите,? пожалуйста,? (ваш|номер)\b", r"\bмогу (ли )?я еще чем-?то\b", r"\bвсего (доброго|хорошего)\b",
    r"\bхорошего дня\b", r"\bприносим извинения\b", r"\bоставайтесь на линии\b",
]
_CUSTOMER_CUES = [
    r"\bi (want|need|would like)\b", r"\bmy (order|card|account|parcel|package|bill|refund)\b", r"\bi('m| am) calling\b",
    r"\bwhere is my\b", r"\bi (have|had) a problem\b",
    r"\bя хочу\b", r"\bмне нужно\b", r"\bмой (заказ|счет|счёт|номер)\b", r"\bмоя (карта|посылка)\b", r"\bя звоню\b",
    r"\bу меня (проблема|вопрос)\b", r"\bверните\b",
]
_AGENT_RE = [re.compile(p, re.IGNORECASE) for p in _AGENT_CUES]
_CUSTOMER_RE = [re.compile(p, re.IGNORECASE) for p in _CUSTOMER_CUES]


def agent_score(utterances: list[Utterance], spoke_first: bool) -> float:
    text = " ".join(u.text for u in utterances)
    head = " ".join(u.text for u in utterances[:3])  # greetings and introductions come early
    score = sum(2.0 if r.search(head) else (1.0 if r.search(text) else 0.0) for r in _AGENT_RE)
    score -= sum(1.0 for r in _CUSTOMER_RE if r.search(text))
    return score + (0.75 if spoke_first else 0.0)


def choose_agent(by_speaker: dict[int, list[Utterance]], hint: int | None = None) -> int | None:
    """The agent's channel/speaker id: ``hint`` if given, else the higher cue score (None if nobody spoke)."""
    if hint is not None:
        return hint
    spoken = {k: v for k, v in by_speaker.items() if v}
    if not spoken:
        return None
    if len(spoken) == 1:
        (k, v), = spoken.items()
        return k if agent_score(v, True) >= 2.0 else None
    first = min(spoken, key=lambda k: spoken[k][0].start)
    return max(spoken, key=lambda k: (agent_score(spoken[k], k == first), k == first))


def assign_roles(utterances: list[Utterance], agent: int | None, key=lambda u: u.channel) -> None:
    for u in utterances:
        if agent is None:
            u.role = "unknown"
        else:
            u.role = "agent" if key(u) == agent else "customer"
