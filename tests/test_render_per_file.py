"""The per-file table names each file by what tells it apart, and counts its rows in the words that fit them."""

from __future__ import annotations

from types import SimpleNamespace

from dataaudit.checks.batches import BatchSummary
from dataaudit.excerpt import sanitise
from dataaudit.render.sections.per_file import SECTION, shown_names

UUID = "0f3c2b1e-7d8a-4c6e-9b1a-2e3f4a5b6c7d"


def test_spark_parts_that_share_a_uuid_are_named_by_their_part_number():
    paths = [f"/data/export/part-0000{n}-{UUID}-c000.json" for n in range(3)]
    assert shown_names(paths) == ["part-00000…-c000.json", "part-00001…-c000.json", "part-00002…-c000.json"]


def test_shards_with_a_long_shared_end_are_named_by_their_number():
    paths = [f"data/shard_{n:04d}_{'x' * 120}.jsonl" for n in (5, 66, 187)]
    shown = shown_names(paths)
    assert [name.split("…")[0] for name in shown] == ["shard_0005", "shard_0066", "shard_0187"]
    assert all(len(name) <= 32 and name.endswith(".jsonl") for name in shown)


def test_short_names_are_shown_whole_without_their_shared_folders():
    assert shown_names(["/x/exports/batch1.jsonl", "/x/exports/batch2.jsonl"]) == ["batch1.jsonl", "batch2.jsonl"]


def test_names_that_differ_only_inside_a_long_run_still_read_apart():
    paths = ["a" * 20 + "1" + "b" * 20 + ".jsonl", "a" * 20 + "2" + "b" * 20 + ".jsonl"]
    shown = shown_names(paths)
    assert len(set(shown)) == 2 and all(len(name) <= 32 for name in shown)


def _summary(file: str, records: int, valid: int, items: int) -> BatchSummary:
    return BatchSummary(file=file, records=records, valid=valid, invalid=records - valid, items=items, krippendorff_alpha=None,
                        label_shares={"a": 1.0}, duplicate_share=0.0, cross_batch_duplicates=0, labelled=items)


def _examples_cells(files, grouped: bool) -> list[str]:
    checks = {"format": SimpleNamespace(grouped=grouped)}
    report = SimpleNamespace(per_file=files, checks=checks, config={"agreement": {"reliable_alpha": 0.8, "tentative_alpha": 0.667}})
    return [row[1] for row in SECTION.build(report).tables[0].rows]


def test_a_plain_files_invalid_rows_are_not_called_export_rows():
    files = [_summary("a.jsonl", 3, 2, 2), _summary("b.jsonl", 5, 3, 3)]
    assert _examples_cells(files, grouped=False) == ["2 (1 invalid row)", "3 (2 invalid rows)"]


def test_an_exports_rows_grouped_into_items_are_counted_as_export_rows():
    files = [_summary("a.csv", 30, 30, 10), _summary("b.csv", 31, 30, 10)]
    assert _examples_cells(files, grouped=True) == ["10 (30 export rows)", "10 (1 invalid row, 31 export rows)"]


def test_an_address_in_long_file_names_is_masked_before_the_names_are_cut():
    # Cut first, the differing piece "jane.doe@example…" no longer read as an address to the masker and showed.
    paths = [f"exports/{user}@example.com-{'q' * 30}.jsonl" for user in ("jane.doe", "john.roe", "ann.smith")]
    shown = shown_names(paths)
    assert len(set(shown)) == 3
    assert not any(user in name for name in shown for user in ("jane", "john", "ann.s", "@example"))


def test_short_names_that_read_alike_once_masked_are_told_apart():
    """Every name under FILE_WIDTH returned early, and both files read "call <PHONE …958>.jsonl"."""
    shown = shown_names(["d/call +1 415 555 0958.jsonl", "d/call +1 416 555 0958.jsonl"])
    assert shown == ["call <PHONE …958>.jsonl #1", "call <PHONE …958>.jsonl #2"]


def test_no_cut_falls_inside_a_masked_values_placeholder():
    """The shared start ran into "<EMAIL ….com #" (a placeholder holds separators) and the cut split it."""
    paths = [f"/d/{user}@corp.com_shared_with_the_team_final_labels.jsonl" for user in ("alice", "bob", "carol")]
    shown = shown_names(paths)
    assert len(set(shown)) == 3 and all(len(name) <= 32 for name in shown)
    for name, path in zip(shown, paths):
        placeholder = name.split(">")[0] + ">"
        assert placeholder in sanitise(path) and name == placeholder + "…_labels.jsonl"
        assert "alice" not in name and "bob" not in name and "carol" not in name


def test_a_name_with_context_on_both_sides_stays_within_the_width():
    """16 characters of context each side and 8 of the difference made names of 40 against FILE_WIDTH 32."""
    paths = [f"/d/shared_long_prefix_name_{part}_differs_here_{part}x-averyveryverylongpieceofname.jsonl"
             for part in ("aaaaaaaaaaaa", "bbbbbbbbbbbbbb")]
    shown = shown_names(paths)
    assert len(set(shown)) == 2 and all(len(name) <= 32 for name in shown)
    assert shown[0].endswith("name.jsonl") and "aaaa" in shown[0] and "bbbb" in shown[1]


def test_a_line_break_in_a_file_name_reads_as_in_every_other_table():
    """"part\ntwo.jsonl" read "part two.jsonl" here (a file that does not exist) and "part ⏎ two.jsonl" elsewhere."""
    assert shown_names(["b/part one.jsonl", "b/part\ntwo.jsonl"]) == ["part one.jsonl", "part ⏎ two.jsonl"]
