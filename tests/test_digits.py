"""A figure next to its bound: the text compares the way the numbers do, in the condition and the regressions alike."""

from __future__ import annotations

from dataaudit.digits import against, bound_text, value_text


def test_a_value_is_written_with_the_places_that_keep_it_on_its_side_of_the_bound():
    assert against(0.79996, 0.8) == ("0.79996", "0.800")
    assert against(0.266237, 0.26623) == ("0.26624", "0.26623")
    assert against(0.743, 0.8) == ("0.743", "0.800")
    assert against(0.7434211, 0.74342) == ("0.743421", "0.74342")  # above, not "equal", the bound
    assert against(0.8, 0.8) == ("0.800", "0.800")


def test_no_place_count_separates_them_then_repr():
    # 0.8 - 1e-13 reads 0.800000000000 to twelve places, which would say "0.800000000000 < 0.800"
    assert against(0.8 - 1e-13, 0.8) == (repr(0.8 - 1e-13), "0.800")
    assert value_text(0.55 - 0.5, 0.05) == repr(0.55 - 0.5)  # 0.050000000000000044: a drop just beyond 0.05
    assert bound_text(0.1 + 0.2) == repr(0.1 + 0.2)


def test_every_bound_is_kept_on_its_side():
    # tentative from 0.667, reliable from 0.8: 0.79996 must read below 0.8 and above 0.667
    assert value_text(0.79996, 0.8, 0.667) == "0.79996"
    assert value_text(0.66698, 0.8, 0.667) == "0.66698"


def test_the_regressions_write_a_drop_by_the_same_rule():
    from dataaudit.config import HistoryConfig
    from dataaudit.history.regressions import find_regressions

    # a drop past the bound by more than float noise (digits.FLOAT_NOISE) is written with the digits that show it
    (found,) = find_regressions({"krippendorff_alpha": 0.8}, {"krippendorff_alpha": 0.8 - 0.1 - 1e-7}, HistoryConfig(max_alpha_drop=0.1))
    assert found["detail"] == f"dropped by {value_text(0.8 - (0.8 - 0.1 - 1e-7), 0.1)} (bound 0.1)"
    assert float(found["detail"].split()[2]) > 0.1
    # one within float noise of it is the bound itself, no regression (0.75 -> 0.70 dropped 0.050000000000000044)
    assert find_regressions({"krippendorff_alpha": 0.8}, {"krippendorff_alpha": 0.8 - 0.1 - 1e-13}, HistoryConfig(max_alpha_drop=0.1)) == []
