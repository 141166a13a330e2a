"""vocsvc.nlp.sentiment: the sentiment decision and the complaint it implies for the CX intents."""
import numpy as np

from vocsvc.nlp.sentiment import decide, decide_all, with_complaint


def test_negative_is_decided_first_and_the_score_never_contradicts_the_label():
    thr = np.array([0.4, 0.0, 0.4])
    assert decide(np.array([0.45, 0.05, 0.5]), thr) == ("negative", -0.01)  # "thanks" does not undo a complaint
    assert decide(np.array([0.1, 0.3, 0.6]), thr) == ("positive", 0.5)
    assert decide(np.array([0.3, 0.5, 0.2]), thr) == ("neutral", -0.1)
    assert decide_all(np.array([[0.45, 0.05, 0.5], [0.1, 0.3, 0.6], [0.3, 0.5, 0.2]]), thr).tolist() == [0, 2, 1]


def test_a_negative_row_carries_complaint_and_nothing_else_changes():
    labels = ["complaint", "billing", "other"]
    chosen = np.array([[False, False, True], [False, True, False], [False, False, True]])
    out = with_complaint(chosen, labels, np.array([True, True, False]))
    assert out.tolist() == [[True, False, True], [True, True, False], [False, False, True]]
    assert chosen[0, 0] == False  # noqa: E712  (the input is not changed in place)


def test_your_own_taxonomy_without_complaint_is_left_alone():
    chosen = np.array([[False, True]])
    assert with_complaint(chosen, ["loyalty_points", "refund"], np.array([True])).tolist() == [[False, True]]
