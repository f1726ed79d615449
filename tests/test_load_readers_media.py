"""Hugging Face media parts in every shape a reader takes: a part that points into the row's `images` column
(by index, or by none: TRL's usual vision format) stands in the input as a digest of the item it takes, so two
rows asking the same question of two images are two inputs and the same image is one input whatever it is
called."""

from __future__ import annotations

import hashlib

from dataaudit.config import Config
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

ANSWER = {"role": "assistant", "content": [{"type": "text", "text": "A cat."}]}


def sha(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:12]


def asking(*image_parts: dict, images: list | None = None) -> dict:
    row = {"messages": [{"role": "user", "content": [*image_parts, {"type": "text", "text": "Describe this."}]}, ANSWER]}
    return row if images is None else {**row, "images": images}


def inputs(tmp_path, rows: list[dict]) -> list[str]:
    ds = load_dataset(write_jsonl(tmp_path / "vlm.jsonl", rows), Config(task_type="generation"))
    assert ds.errors == []
    return [r.input_text for r in ds.records]


def test_an_image_part_without_an_index_takes_the_rows_next_image(tmp_path):
    a, b = {"bytes": None, "path": "a.png"}, {"bytes": None, "path": "b.png"}
    rows = [asking({"type": "image"}, images=[a]),
            asking({"type": "image"}, images=[b]),
            asking({"type": "image", "index": None, "text": None}, images=[a]),  # as Parquet stores TRL's rows
            asking({"type": "image", "index": 0}, images=[a]),
            asking({"type": "image"}, {"type": "image"}, images=[a, b]),
            asking({"type": "image", "index": 0}, {"type": "image", "index": 1}, images=[a, b])]
    bare_a, bare_b, null_a, indexed_a, two_bare, two_indexed = inputs(tmp_path, rows)
    assert bare_a == null_a == indexed_a == f"[image {sha('a.png')}]\nDescribe this."
    assert bare_b == f"[image {sha('b.png')}]\nDescribe this."
    assert two_bare == two_indexed == f"[image {sha('a.png')}]\n[image {sha('b.png')}]\nDescribe this."


def test_each_message_list_of_an_implicit_pair_takes_its_images_from_the_start(tmp_path):
    """chosen and rejected each hold the whole conversation: each list's first image part is the row's first image."""
    def pair(path: str, part: dict) -> dict:
        ask = {"role": "user", "content": [part, {"type": "text", "text": "Q"}]}
        return {"images": [{"bytes": None, "path": path}], "chosen": [ask, {"role": "assistant", "content": "A"}],
                "rejected": [ask, {"role": "assistant", "content": "B"}]}
    rows = [pair("b.png", {"type": "image", "index": 0}), pair("c.png", {"type": "image", "index": 0}),
            pair("b.png", {"type": "image"}),
            {"images": [{"bytes": None, "path": "b.png"}],
             "prompt": [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Q"}]}],
             "chosen": [{"role": "assistant", "content": "A"}], "rejected": [{"role": "assistant", "content": "B"}]}]
    b_indexed, c_indexed, b_bare, b_explicit = inputs(tmp_path, rows)
    assert b_indexed == b_bare == b_explicit == f"[image {sha('b.png')}]\nQ"
    assert c_indexed == f"[image {sha('c.png')}]\nQ"


def test_an_image_cell_is_known_by_its_bytes_whatever_its_path(tmp_path):
    rows = [asking({"type": "image", "index": 0}, images=[{"bytes": "cat bytes", "path": "cat.jpg"}]),
            asking({"type": "image", "index": 0}, images=[{"bytes": "cat bytes", "path": "copy/of/cat.jpg"}]),
            asking({"type": "image", "index": 0}, images=[{"bytes": "dog bytes", "path": "cat.jpg"}]),
            asking({"type": "image", "path": "a.png"}),
            asking({"type": "image", "index": 0}, images=[{"bytes": None, "path": "a.png"}])]
    cat, cat_elsewhere, dog, by_part, by_cell = inputs(tmp_path, rows)
    assert cat == cat_elsewhere == f"[image {sha('cat bytes')}]\nDescribe this."
    assert dog == f"[image {sha('dog bytes')}]\nDescribe this."
    assert by_part == by_cell == f"[image {sha('a.png')}]\nDescribe this."


def test_a_parquet_image_column_is_known_by_its_bytes(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    png = b"\x89PNG cat"
    rows = [asking({"type": "image", "index": None}, images=[{"bytes": png, "path": path}])
            for path in ("cat.png", "renamed.png")]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "vlm.parquet")
    ds = load_dataset([str(tmp_path / "vlm.parquet")], Config(task_type="generation"))
    assert ds.errors == []
    assert [r.input_text for r in ds.records] == [f"[image {sha(png)}]\nDescribe this."] * 2
