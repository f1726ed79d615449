"""plots: the SVG figures report.html shows; what they draw, read back from the SVG text."""

from __future__ import annotations

import re

from dataaudit.render import plots


def _texts(svg: str) -> list[str]:
    return [t.strip() for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_the_heatmap_shows_every_annotator_of_the_matrix_not_the_first_25_by_name():
    """The check puts its 40 most active annotators in the matrix; the plot showed the first 25 of them."""
    names = [f"W{n:03d}" for n in range(40)]
    matrix = {a: {b: (1.0 if a == b else 0.5) for b in names} for a in names}
    shown = _texts(plots.agreement_heatmap(matrix))
    assert all(shown.count(name) == 2 for name in names)  # once on each axis
    small = {a: {b: 0.25 for b in names[:3]} for a in names[:3]}
    assert _texts(plots.agreement_heatmap(small)).count("0.25") == 9  # a small matrix writes its values


def test_counts_are_plotted_on_whole_number_ticks():
    """The duplicate-group plot read "0.5 groups" on its y-axis."""
    texts = _texts(plots.group_sizes([2, 2, 3]))
    assert "groups" in texts and {"0", "1", "2"} <= set(texts)
    assert not any(re.fullmatch(r"\d+\.\d+", t) for t in texts)


def test_token_histograms_name_both_axes_and_count_records_in_whole_numbers():
    texts = _texts(plots.token_histograms([10, 12, 15], [2, 3, 3], 4096))
    assert texts.count("records") == 2 and texts.count("tokens") == 2
    counts = [t for t in texts if re.fullmatch(r"[\d.]+", t)]
    assert {"0", "1", "2"} <= set(counts) and not any("." in t for t in counts)  # no 0.5 record, no 2.5 tokens


def test_the_size_checks_context_limit_is_drawn_only_where_it_judges_length():
    near = [3000, 3500, 3900]
    assert "context limit 4096" in _texts(plots.token_histograms(near, [], 4096))
    # a target model with a training limit judges length (the format condition): its limit, not this one, counts
    assert not any("context limit" in t for t in _texts(plots.token_histograms(near, [], None)))
