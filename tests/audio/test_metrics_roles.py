import pytest

from vocsvc.audio.metrics import call_metrics
from vocsvc.audio.roles import assign_roles, choose_agent
from vocsvc.audio.types import Utterance
from vocsvc.audio.wer import wer


def U(role, start, end, text="a b c", channel=0):
    return Utterance(role, channel, start, end, text)


def test_metrics_from_constructed_call():
    utts = [U("agent", 1.0, 4.0, "hello how can i help"), U("customer", 5.0, 9.0, "my parcel never came at all"),
            U("agent", 8.0, 12.0, "let me check that for you"),  # starts 1 s before the customer stops
            U("customer", 20.0, 22.0, "ok thanks")]
    m = call_metrics(utts, 25.0)
    assert m.talk_time == {"agent": 7.0, "customer": 6.0}
    assert m.silence_total == pytest.approx(1.0 + 1.0 + 8.0 + 3.0)
    assert m.silence_longest == pytest.approx(8.0)
    assert m.overtalk_count == 1 and m.overtalk_seconds == pytest.approx(1.0)
    assert m.interruptions == {"agent": 1, "customer": 0}
    assert m.agent_customer_talk_ratio == pytest.approx(7 / 6, abs=0.01)
    assert m.speech_rate_wpm["customer"] == pytest.approx(60 * 8 / 6, abs=0.1)


def test_agent_detected_from_cues_not_just_order():
    cust = [U("unknown", 0.0, 2.0, "Алло, я хочу вернуть деньги за заказ", 1)]
    agent = [U("unknown", 2.5, 6.0, "Здравствуйте, меня зовут Ольга, служба поддержки, чем могу помочь?", 0)]
    assert choose_agent({0: agent, 1: cust}) == 0
    en_agent = [U("unknown", 1.0, 3.0, "Thank you for calling ShopCo, my name is Tom, how can I help?", 1)]
    en_cust = [U("unknown", 0.0, 1.0, "Hello? I need a refund for my order", 0)]
    assert choose_agent({0: en_cust, 1: en_agent}) == 1
    assert choose_agent({0: en_cust, 1: en_agent}, hint=0) == 0
    utts = cust + agent
    assign_roles(utts, 0)
    assert [u.role for u in utts] == ["customer", "agent"]


def test_wer():
    assert wer("Ask not, what your country", "ask not what your country") == 0
    assert wer("a b c d", "a x c") == pytest.approx(0.5)
    assert wer("Всё ёлки", "все елки") == 0
    assert wer("номер сорок семь двенадцать", "номер 47-12") == 0
    assert wer("four seven one two nine", "47129") == 0
    assert wer("it is 4712", "it is 4713") == pytest.approx(1 / 6)
