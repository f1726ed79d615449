"""The suspects file: every line confident learning flags as probably mislabelled, for a reviewer to re-check.

One CSV row per suspect, most likely wrong first: file, line, text, given label, suggested label,
confidence (the classifier's out-of-fold probability of the suggested label), label_quality (its probability
of the given label: the order, lowest first; a suggestion can be confident where the given label is right too,
so the order is by how little the given label is believed, as cleanlab ranks). Every cell goes through
`excerpt()` (masked, control characters visible: labels and file names come from the dataset too); the csv
module does the quoting, so Markdown characters are kept as they are. A cell that a spreadsheet would read
as a formula (starting with = + - @, tab or carriage return) gets a leading single quote (OWASP's CSV
injection advice), so opening the file in Excel or LibreOffice runs nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Mapping

from ..excerpt import DEFAULT_LIMIT, excerpt
from ..load.records import Record

COLUMNS = ["file", "line", "text", "given_label", "suggested_label", "confidence", "label_quality"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CELL_LIMIT = 1000  # labels and file names are shown whole up to this length (the text keeps the excerpt's)


def cell(value: object, limit: int = CELL_LIMIT) -> str:
    """One CSV cell of dataset-made text: excerpted (masked, controls visible, Markdown kept), and a cell a
    spreadsheet would evaluate as a formula prefixed with a single quote."""
    text = excerpt(value, limit, markdown=False)
    return "'" + text if text.startswith(FORMULA_START) else text


def texts_by_line(records: list[Record]) -> dict[tuple[str, int], str]:
    """(file, line) -> input text, the lookup `render_suspects_csv` takes."""
    return {(r.source, r.line): r.input_text for r in records}


def render_suspects_csv(result, texts_by_line: Mapping[tuple[str, int], str]) -> str:
    """result: a LabelNoiseResult; every flagged line (not only the ones listed in the report). An estimate
    marked not reliable gives the header alone: a classifier that cannot learn the labels disagrees with many
    of them at random, and a re-labelling queue fed from this file would fill with lines nothing points at."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    trusted = result is not None and result.reliable
    for suspect in (result.all_suspects or result.suspects) if trusted else []:
        text = cell(texts_by_line.get((suspect["file"], suspect["line"]), ""), DEFAULT_LIMIT)
        writer.writerow([cell(suspect["file"]), suspect["line"], text, cell(suspect["label"]), cell(suspect["suggested"]),
                         f"{suspect['confidence']:.4f}", _quality(suspect)])
    return buffer.getvalue()


def _quality(suspect: Mapping) -> str:
    quality = suspect.get("label_quality")  # a result cached by an older version lacks it
    return "" if quality is None else f"{quality:.4f}"
