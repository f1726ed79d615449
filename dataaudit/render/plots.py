"""Plots for the HTML report: matplotlib figures rendered to inline SVG strings (no files, no network).

Text is kept as SVG text (small files, selectable) and matplotlib escapes it as XML. The SVG preamble
(XML declaration, DOCTYPE with its DTD address), the namespace declarations and matplotlib's RDF metadata
(Creative Commons and Dublin Core addresses) are left out, so the page holds no address outside itself.
A fixed hash salt and no date metadata keep the output byte-identical from run to run.
"""

from __future__ import annotations

import io
import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

# text.parse_math off: labels, annotator and scenario names come from the dataset, and matplotlib would draw
# "price $5 to $10" as math (an italic "price 5to10"); every text here is drawn as typed.
plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "dataaudit", "font.size": 9, "axes.spines.top": False,
                     "axes.spines.right": False, "text.parse_math": False})
COLOURS = {"train": "#7a8ca3", "production": "#2e7d32", "uncovered": "#c62828", "bar": "#3f6fb5", "accent": "#c62828"}
MAX_BARS = 30
# Every key matplotlib's SVG writer fills by default set to None: with any left, it writes an RDF block naming
# the Creative Commons and Dublin Core schemas by URL, and the page must hold no external address at all.
NO_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}


def _svg(figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=NO_METADATA)
    plt.close(figure)
    text = buffer.getvalue()
    text = re.sub(r"<\?xml[^>]*\?>\s*", "", text)
    text = re.sub(r"<!DOCTYPE[^>]*>\s*", "", text)
    # The namespace declarations are addresses too, and an HTML page needs none: its parser puts <svg> in the
    # SVG namespace and reads xlink:href (the markers' <use>) as XLink by itself.
    text = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", text)
    return text.strip()


_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
# A tag; matplotlib writes '<' and '>' in text and attributes as entities, so drawn text never holds one.
_TAG = re.compile(r"<[^>]*>")


def scoped_ids(svg: str, scope: str) -> str:
    """svg with every id it defines, and every reference to one (url(#...), href="#..."), prefixed with scope:
    matplotlib numbers each figure's ids from 1 (figure_1, axes_1, patch_2), so a page of several held each of
    them several times, and a marker or clip path could resolve to another figure's. Only tags are read and
    rewritten: a label 'x url(#axes_1) y' is dataset text drawn between them, and was drawn rewritten."""
    defined = {name for tag in _TAG.findall(svg) for name in _ID.findall(tag)}
    scope_one = lambda m: m.group(1) + (f"{scope}-{m.group(2)}" if m.group(2) in defined else m.group(2))  # noqa: E731
    return _TAG.sub(lambda tag: _REFERENCE.sub(scope_one, tag.group()), svg)


def label_distribution(counts: dict[str, int], rare: list[str]) -> str:
    items = list(counts.items())[:MAX_BARS]
    figure, axis = plt.subplots(figsize=(7, max(1.6, 0.28 * len(items) + 0.6)))
    names = [k for k, _ in items][::-1]
    values = [v for _, v in items][::-1]
    axis.barh(names, values, color=[COLOURS["accent"] if n in rare else COLOURS["bar"] for n in names])
    axis.set_xlabel("examples" + (f" (top {MAX_BARS} labels)" if len(counts) > MAX_BARS else "") + "; red: under the minimum count")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # a count: "2.5 examples" is no tick
    return _svg(figure)


def token_histograms(input_counts: list[int], target_counts: list[int], context_limit: int | None) -> str:
    """context_limit: the size check's limit, drawn where counts come near it; None where a target model's
    training limit judges length instead (the format condition's, on the model's own tokens)."""
    panels = [("input tokens", input_counts)] + ([("target tokens", target_counts)] if target_counts else [])
    figure, axes = plt.subplots(1, len(panels), figsize=(7, 2.4), squeeze=False)
    for axis, (title, counts) in zip(axes[0], panels):
        axis.hist(counts, bins=40, color=COLOURS["bar"])
        axis.set_title(title)
        axis.set_xlabel("tokens")
        axis.set_ylabel("records")
        for counted in (axis.xaxis, axis.yaxis):  # tokens and records are whole numbers: no "2.5" tick
            counted.set_major_locator(MaxNLocator(integer=True))
        if context_limit and counts and max(counts) >= 0.5 * context_limit:
            axis.axvline(context_limit, color=COLOURS["accent"], linestyle="--", label=f"context limit {context_limit}")
            axis.legend(frameon=False)
    return _svg(figure)


# Inches per annotator in the heatmap, up to this many of them; a larger matrix gets smaller cells and labels so
# that the page (which scales a figure to its width) still shows every name.
ROOMY_MATRIX = 25


def agreement_heatmap(matrix: dict[str, dict[str, float | None]]) -> str:
    """Every annotator of `matrix`: the check chooses who is in it (the most active ones) and the report says so;
    the heatmap showed the first 25 of them by name while the text named the matrix's 40."""
    names = list(matrix)
    values = np.array([[np.nan if matrix[a].get(b) is None else matrix[a][b] for b in names] for a in names], dtype=float)
    cell = 0.45 if len(names) <= ROOMY_MATRIX else 0.3
    figure, axis = plt.subplots(figsize=(1.6 + cell * len(names), 1.2 + cell * len(names)))
    image = axis.imshow(values, vmin=-0.2, vmax=1, cmap="RdYlGn")
    fontsize = None if len(names) <= ROOMY_MATRIX else 6
    axis.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=fontsize)
    axis.set_yticks(range(len(names)), names, fontsize=fontsize)
    if len(names) <= 12:
        for i in range(len(names)):
            for j in range(len(names)):
                if not np.isnan(values[i, j]):
                    axis.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axis, label="Cohen's kappa")
    return _svg(figure)


def annotator_bars(names: list[str], agreement: list[float], flagged: list[bool]) -> str:
    figure, axis = plt.subplots(figsize=(7, max(1.6, 0.28 * len(names) + 0.6)))
    axis.barh(names[::-1], agreement[::-1], color=[COLOURS["accent"] if f else COLOURS["bar"] for f in flagged[::-1]])
    axis.set_xlim(0, 1)
    axis.set_xlabel("agreement with the other annotators' majority (red: flagged)")
    return _svg(figure)


def coverage_map(train: list[list[float]], production: list[list[float]], uncovered: list[bool],
                 labels: list[tuple[str, list[float]]]) -> str:
    figure, axis = plt.subplots(figsize=(7, 5))
    t = np.array(train).reshape(-1, 2)
    p = np.array(production).reshape(-1, 2)
    mask = np.array(uncovered, dtype=bool)
    axis.scatter(t[:, 0], t[:, 1], s=6, c=COLOURS["train"], alpha=0.45, label="training", linewidths=0)
    axis.scatter(p[~mask, 0], p[~mask, 1], s=9, c=COLOURS["production"], alpha=0.7, label="production (covered)", linewidths=0)
    axis.scatter(p[mask, 0], p[mask, 1], s=16, c=COLOURS["uncovered"], marker="x", label="production (uncovered)", linewidths=1)
    _place_labels(figure, axis, labels[:8])
    axis.set_xticks([])
    axis.set_yticks([])
    axis.legend(frameon=False, loc="best")
    axis.set_title("training and production inputs (PCA of embeddings, seeded sample)")
    return _svg(figure)


# Vertical offsets (points) tried in turn for a scenario label until its box overlaps no label placed before it:
# scenarios that lie close together on the map otherwise print their names over each other.
LABEL_OFFSETS = (0, -13, 13, -26, 26, -39, 39, -52, 52)


def _text_box(note, renderer):
    """The label's text with room for its frame; an annotation's own extent also spans its leader line."""
    from matplotlib.text import Text

    note.update_positions(renderer)  # the text's place follows its offset only once this runs (or a draw)
    return Text.get_window_extent(note, renderer).expanded(1.04, 1.5)


def _place_labels(figure, axis, labels: list[tuple[str, list[float]]]) -> None:
    figure.canvas.draw()  # fixes the axis limits, so the boxes measured below are where they will be drawn
    renderer = figure.canvas.get_renderer()
    placed = []
    for text, (x, y) in labels:
        note = axis.annotate(text, (x, y), xytext=(3, 0), textcoords="offset points", fontsize=8, color=COLOURS["uncovered"],
                             weight="bold", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": COLOURS["uncovered"], "alpha": 0.85},
                             arrowprops={"arrowstyle": "-", "color": COLOURS["uncovered"], "lw": 0.6})
        for offset in LABEL_OFFSETS:
            note.set_position((3, offset))
            box = _text_box(note, renderer)
            if not any(box.overlaps(other) for other in placed):
                break
        placed.append(box)


def group_sizes(sizes: list[int]) -> str:
    figure, axis = plt.subplots(figsize=(7, 2.2))
    values, counts = np.unique(np.array(sizes), return_counts=True)
    axis.bar([str(v) for v in values[:30]], counts[:30], color=COLOURS["bar"])
    axis.set_xlabel("records in a duplicate group")
    axis.set_ylabel("groups")
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of groups: "0.5 groups" is no tick
    return _svg(figure)
