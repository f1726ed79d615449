"""The JSON array walker (load/files.JsonArrayWalk) numbers elements the same for the loader, the writers and
export detection: dedup and redact drop or rewrite an array element by the number the audit gave it."""

from __future__ import annotations

import io
import json
import math
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataaudit.fix.writers import DROP, rewrite
from dataaudit.load import files
from dataaudit.load.annotation_tools import _first_element
from dataaudit.load.files import rows_of

# Strings that look like JSON structure: brackets, braces, commas, quotes (escaped when dumped), backslashes.
TRICKY = st.text(alphabet=st.sampled_from(list('ab []{},:"\\\n\t/') + ["é", "\u2028", "😀"]), max_size=12)
SCALARS = (st.none() | st.booleans() | st.integers(-10**20, 10**20) | TRICKY
           | st.floats(allow_nan=True, allow_infinity=True))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY, inner, max_size=4),
                      max_leaves=12)
SPACE = st.text(alphabet=st.sampled_from([" ", "\t", "\r", "\n"]), max_size=3)


def has_nan(value) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, list):
        return any(has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(has_nan(v) for v in value.values())
    return False


def same(a, b) -> bool:
    """JSON equality that holds for NaN (dumped, NaN reads as NaN)."""
    return json.dumps(a, allow_nan=True) == json.dumps(b, allow_nan=True)


@st.composite
def arrays(draw) -> tuple[list, str]:
    elements = draw(st.lists(VALUES, max_size=8))
    texts = [json.dumps(e, allow_nan=True, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 0, 2])))
             for e in elements]
    parts = ["[", draw(SPACE)]
    for n, text in enumerate(texts):
        if n:
            parts += [draw(SPACE), ",", draw(SPACE)]
        parts.append(text)
    parts += [draw(SPACE), "]", draw(SPACE)]
    return elements, "".join(parts)


# Tiny read blocks put a read boundary inside every element, `1.|5` and `1e|-7` included, where a number
# decoded before its block ends would be taken short; the default block is kept so the usual path runs too.
READ_CHUNKS = st.sampled_from([1, 2, 3, 5, 13, files._READ_CHUNK])


@settings(max_examples=300, deadline=None)
@given(arrays(), st.data(), READ_CHUNKS)
def test_loader_writer_and_detection_give_every_element_the_same_number(array, data, read_chunk):
    default_chunk = files._READ_CHUNK
    files._READ_CHUNK = read_chunk  # hypothesis runs many examples per call, so pytest's monkeypatch cannot undo each
    try:
        _check_every_element_numbered_alike(array, data)
    finally:
        files._READ_CHUNK = default_chunk


def _check_every_element_numbered_alike(array, data):
    elements, text = array
    bom = data.draw(st.booleans())
    dropped = data.draw(st.sets(st.integers(1, max(len(elements), 1))))
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "records.json"
        source.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))

        rows = list(rows_of(source, Counter()))
        assert [row.line for row in rows] == list(range(1, len(elements) + 1))
        for row, element in zip(rows, elements):
            if has_nan(element):  # numbered and reported, as the writer must number it
                assert row.data is None and "not valid JSON" in row.error.message
            else:
                assert row.error is None and same(row.data, element)

        seen: list[tuple[int, str]] = []

        def edit(number: int, element: str):
            seen.append((number, element))
            return DROP if number in dropped else element

        copy = Path(folder) / "copy.json"
        stats = rewrite(source, copy, edit)
        assert [number for number, _ in seen] == list(range(1, len(elements) + 1))
        assert all(same(json.loads(element), expected) for (_, element), expected in zip(seen, elements))
        kept = [e for n, e in enumerate(elements, start=1) if n not in dropped]
        assert stats.kept == len(kept)
        reread = list(rows_of(copy, Counter()))
        assert len(reread) == len(kept) and all(same(row.data, e) for row, e in zip(reread, kept) if not has_nan(e))
        if elements and not dropped:  # (an empty array is written as `[]`, whatever spaces it held)
            assert copy.read_bytes() == source.read_bytes()

        if elements:
            cut = data.draw(st.integers(0, len(text)))
            with source.open("rb") as handle:
                first = _first_element(handle, handle.read(cut))
            assert first is not None and same(json.loads(first), elements[0])


def test_a_number_cut_at_a_read_boundary_after_its_point_is_read_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "_READ_CHUNK", len('[{"a": 1}, 1.'))  # the first block ends right after `1.`
    source = tmp_path / "records.json"
    source.write_text('[{"a": 1}, 1.5, 2e-3, {"b": 2}]', encoding="utf-8")

    rows = list(rows_of(source, Counter()))

    assert [(row.line, row.data) for row in rows] == [(1, {"a": 1}), (2, 1.5), (3, 2e-3), (4, {"b": 2})]


def test_an_element_text_is_sliced_on_request_and_only_while_the_walk_holds_it(monkeypatch):
    monkeypatch.setattr(files, "_READ_CHUNK", 4)  # each later read drops the text already walked past
    data = '[ {"a": [1, 2]} ,\n"two", 3.25 ]'.encode("utf-8")
    walk = files.JsonArrayWalk(io.BytesIO(data).read)
    elements = []
    for element in walk:
        elements.append(element)
        assert data.decode("utf-8")[element.start:element.end] == walk.text_of(element)

    assert [data.decode("utf-8")[e.start:e.end] for e in elements] == ['{"a": [1, 2]}', '"two"', "3.25"]
    with pytest.raises(ValueError, match="element 1's text is no longer held"):
        walk.text_of(elements[0])
