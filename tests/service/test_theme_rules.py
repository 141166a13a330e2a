"""The rules behind theme edits and impacts, as pure functions: merge chains, label checks, impact arithmetic.
(The API flows over both databases: tests/api/test_theme_edits.py.)"""
import pytest


def test_merge_chains_resolve_to_their_end_and_loops_are_left_out():
    from vocsvc.themes import resolve_merges

    assert resolve_merges({}) == {}
    assert resolve_merges({"a": "b", "b": "c", "c": "d"}) == {"a": "d", "b": "d", "c": "d"}
    assert resolve_merges({"a": "b", "x": "y", "y": "x", "p": "x"}) == {"a": "b"}


@pytest.mark.parametrize("label", ["", "   ", "x" * 81, "bell\x07", "a\nb", "tab\there", "nul\x00", "\ud800",
                                   "line\u2028sep"])
def test_bad_labels_are_refused(label):
    from vocsvc.errors import InvalidInput
    from vocsvc.service.themes import clean_label

    with pytest.raises(InvalidInput):
        clean_label(label)


def test_good_labels_are_stripped():
    from vocsvc.service.themes import clean_label

    assert clean_label("  Доставка карты ✓ ") == "Доставка карты ✓"
    assert clean_label("x" * 80 + "  ") == "x" * 80


def test_impacts():
    from vocsvc.kpi import csat, csat_impact, nps, nps_impact

    # all: NPS 10, 9, 2, 8, 3, 10 (16.67); the group: 10, 9, 2; without it: 8, 3, 10 (0)
    assert nps_impact(3, 2, 6, 2, 1, 3) == 16.7
    assert nps(3, 2, 6) == 16.7  # the same definition as the overall figure
    assert nps_impact(3, 2, 6, 0, 0, 0) is None  # the group has no answers
    assert nps_impact(3, 2, 6, 3, 2, 6) is None  # nothing left without it
    assert nps_impact(1, 0, 2, 0, 0, 1) == 50.0 - 100.0
    assert csat_impact(3, 5, 1, 2) == -6.7 and csat(3, 5) == 60.0
    assert csat_impact(3, 5, 0, 0) is None and csat_impact(3, 5, 3, 5) is None
