"""`dedup` writes the input's own format: Parquet stays Parquet, gzip stays gzip, long annotation items go whole."""

from __future__ import annotations

import gzip
import json

import pandas as pd
import pytest

from dataaudit.api import audit
from dataaudit.config import Config, FieldsConfig
from dataaudit.errors import InputError
from dataaudit.fix.dedup import deduplicate, deduplicate_files

from tests.conftest import chat

TEXTS = ["Where is my parcel, it is a week late", "I was charged twice for one order", "How do I reset my password",
         "Where is my parcel, it is a week late", "The app crashes on start", "I was charged twice for one order"]
LABELS = ["shipping", "billing", "account", "shipping", "technical", "billing"]


def _dropped(summary) -> list[int]:
    return [json.loads(line)["line"] for line in summary.sidecar.read_text().splitlines()]


def test_parquet_dedup_writes_parquet_that_pandas_reads_back_with_the_kept_rows(tmp_path):
    source = tmp_path / "tickets.parquet"
    pd.DataFrame({"text": TEXTS, "label": LABELS, "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}).to_parquet(source)
    summary = deduplicate(source, tmp_path / "clean.parquet", Config(), embed=False)
    back = pd.read_parquet(tmp_path / "clean.parquet")
    assert list(back["text"]) == [TEXTS[i] for i in (0, 1, 2, 4)]
    assert list(back["score"]) == [0.1, 0.2, 0.3, 0.5] and back["score"].dtype == "float64"
    assert (summary.records, summary.kept, summary.dropped) == (6, 4, 2) and _dropped(summary) == [4, 6]


def test_gzip_jsonl_dedup_stays_gzip_and_keeps_lines_byte_for_byte(tmp_path):
    lines = [json.dumps(chat(t, label), ensure_ascii=False) for t, label in zip(TEXTS, LABELS)]
    lines[2] = lines[2].replace('": "', '":"')  # an odd but valid spacing that must survive
    source = tmp_path / "tickets.jsonl.gz"
    source.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8")))
    summary = deduplicate(source, tmp_path / "clean.jsonl.gz", Config(), embed=False)
    kept = gzip.decompress((tmp_path / "clean.jsonl.gz").read_bytes()).decode("utf-8").splitlines()
    assert kept == [lines[i] for i in (0, 1, 2, 4)]
    assert _dropped(summary) == [4, 6]


def test_gzip_output_must_be_named_as_gzip(tmp_path):
    source = tmp_path / "tickets.jsonl.gz"
    source.write_bytes(gzip.compress(b'{"text": "a", "label": "b"}\n'))
    with pytest.raises(InputError, match=r"JSONL \(gzip\).*clean.jsonl.gz"):
        deduplicate(source, tmp_path / "clean.jsonl", Config(), embed=False)


def test_an_object_store_uri_is_refused_by_name_before_anything_is_read(tmp_path):
    with pytest.raises(InputError, match=r"^s3://bucket/tickets.jsonl: the input must be a local file .*aws s3 cp"):
        deduplicate("s3://bucket/tickets.jsonl", tmp_path / "clean.jsonl", Config(), embed=False)
    source = tmp_path / "tickets.jsonl"
    source.write_text("".join(json.dumps({"text": t, "label": label}) + "\n" for t, label in zip(TEXTS, LABELS)))
    with pytest.raises(InputError, match=r"^gs://bucket/clean.jsonl: the output must be a local file"):
        deduplicate(source, "gs://bucket/clean.jsonl", Config(), embed=False)


def test_long_annotation_layout_keeps_or_drops_whole_items(tmp_path):
    source = tmp_path / "batch.csv"
    rows = ["item_id,annotator,label,text"]
    for item, (text, label) in enumerate(zip(TEXTS, LABELS), start=1):
        rows += [f'I{item},a,{label},"{text}"', f"I{item},b,{label},", f"I{item},c,{label},"]
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    summary = deduplicate(source, tmp_path / "clean.csv", config, embed=False)
    back = pd.read_csv(tmp_path / "clean.csv", dtype=str, keep_default_na=False)
    assert sorted(set(back["item_id"])) == ["I1", "I2", "I3", "I5"]
    assert len(back) == 12 and (back.groupby("item_id").size() == 3).all()  # no orphan annotation rows
    assert _dropped(summary) == [10, 11, 12, 16, 17, 18]
    assert (tmp_path / "clean.csv").read_text().splitlines() == [rows[0]] + [rows[n] for n in range(1, 19) if n not in (10, 11, 12, 16, 17, 18)]


def test_a_conflict_kept_without_drop_conflicts_is_counted_and_its_dropped_copies_name_the_labels(tmp_path, capsys):
    from dataaudit.cli import main

    rows = [{"text": "Where is my order?", "label": "shipping"}, {"text": "where is my order", "label": "shipping"},
            {"text": "Where is my ordr?", "label": "returns"}, {"text": "Cancel my subscription", "label": "account"},
            {"text": "cancel my subscription!", "label": "account"}]
    source = tmp_path / "d.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), embed=False)
    assert (summary.kept, summary.dropped, summary.run_conflicts_kept) == (2, 3, 1)
    listed = {e["line"]: e for e in map(json.loads, summary.sidecar.read_text().splitlines())}
    assert listed[2]["conflicting_labels"] == listed[3]["conflicting_labels"] == ["shipping", "returns"]
    assert "conflicting_labels" not in listed[5]
    assert deduplicate(source, tmp_path / "strict.jsonl", Config(), embed=False, drop_conflicts=True).run_conflicts_kept == 0
    assert main(["dedup", str(source), "--out", str(tmp_path / "cli.jsonl"), "--no-embeddings"]) == 0
    assert ("1 group of copies with different labels kept the first record's label; their dropped copies are listed "
            "with conflicting_labels; review it (--drop-conflicts drops every record of the audit's conflicts instead)"
            in capsys.readouterr().out)


def test_the_summary_tells_unreadable_rows_from_copies(tmp_path, capsys):
    from dataaudit.cli import main

    source = tmp_path / "d.jsonl"
    source.write_text('{"text": "hello there", "label": "a"}\n{"text": "hello there", "label": "a"}\n{broken\n'
                      '{"text": "", "label": "a"}\n{"text": "bye", "label": "b"}\n', encoding="utf-8")
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), embed=False)
    assert (summary.kept, summary.dropped, summary.invalid) == (2, 3, 2)
    assert main(["dedup", str(source), "--out", str(tmp_path / "cli.jsonl"), "--no-embeddings"]) == 0
    assert "dropped 3: 1 as copies, 2 unreadable (listed in" in capsys.readouterr().out


def test_several_files_are_deduplicated_together_into_a_folder(tmp_path, capsys):
    """A group that spans two batch files keeps one record in all (file by file, each copy kept its own)."""
    from dataaudit.cli import main

    batches = tmp_path / "batches"
    batches.mkdir()
    first = [{"text": "Where is my parcel?", "label": "shipping"}, {"text": "Reset my password", "label": "account"},
             {"text": "Reset my password", "label": "account"}]
    second = [{"text": "where is my parcel", "label": "shipping"}, {"text": "Cancel my order", "label": "returns"}, "{broken"]
    for name, rows in (("a.jsonl", first), ("b.jsonl", second)):
        (batches / name).write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    before = {name: (batches / name).read_bytes() for name in ("a.jsonl", "b.jsonl")}
    out = tmp_path / "clean"
    assert main(["dedup", str(batches), "--out", str(out), "--no-embeddings"]) == 0
    kept = {name: [json.loads(line)["text"] for line in (out / name).read_text().splitlines()] for name in ("a.jsonl", "b.jsonl")}
    assert kept == {"a.jsonl": ["Where is my parcel?", "Reset my password"], "b.jsonl": ["Cancel my order"]}
    dropped = [json.loads(line) for line in (out / "b.jsonl.dropped.jsonl").read_text().splitlines()]
    assert [(d["line"], d["reason"].split(":")[0], d.get("kept_file"), d.get("kept_line")) for d in dropped] == [
        (1, "near duplicate", str(batches / "a.jsonl"), 1), (3, "invalid", None, None)]
    printed = capsys.readouterr().out
    assert f"kept 2 of 3 records in {out / 'a.jsonl'}; dropped 1" in printed and f"kept 1 of 3 records in {out / 'b.jsonl'}" in printed
    assert {name: (batches / name).read_bytes() for name in before} == before  # inputs untouched
    (tmp_path / "taken").write_text("x")
    assert main(["dedup", str(batches / "a.jsonl"), str(batches / "b.jsonl"), "--out", str(tmp_path / "taken"), "--no-embeddings"]) == 2


def test_a_conflict_in_the_second_of_several_files_is_the_runs_count_in_every_summary_and_printed_once(tmp_path, capsys):
    from dataaudit.cli import main
    from dataaudit.fix.dedup import deduplicate_files

    first = [{"text": "Reset my password", "label": "account"}, {"text": "Cancel my order", "label": "returns"}]
    second = [{"text": "Where is my order?", "label": "shipping"}, {"text": "where is my order", "label": "returns"},
              {"text": "Track my parcel", "label": "shipping"}]
    for name, rows in (("a.jsonl", first), ("b.jsonl", second)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    inputs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    summaries = deduplicate_files(inputs, tmp_path / "clean", Config(), embed=False)
    assert [(s.kept, s.dropped, s.run_conflicts_kept) for s in summaries] == [(2, 0, 1), (2, 1, 1)]
    assert main(["dedup", *map(str, inputs), "--out", str(tmp_path / "cli"), "--no-embeddings"]) == 0
    assert capsys.readouterr().out.count("1 group of copies with different labels kept the first record's label") == 1


PAIRS = [{"prompt": "Explain lists.", "chosen": "Lists hold items in order.", "rejected": "No idea."},        # 1
         {"prompt": "Explain lists.", "chosen": "A list is an ordered sequence.", "rejected": "Dunno."},   # 2 another pair, same prompt
         {"prompt": "Explain sets.", "chosen": "Sets hold unique items.", "rejected": "Sets are lists."},  # 3
         {"prompt": "Explain lists.", "chosen": "Lists hold items in order.", "rejected": "No idea."},    # 4 copy of 1
         {"prompt": "explain  sets.", "chosen": "Sets are lists.", "rejected": "Sets hold unique items."},  # 5 contradicts 3
         {"prompt": "Say hi.", "completion": "Hi!", "label": True},                                      # 6
         {"prompt": "Say hi.", "completion": "Hi!", "label": False}]                                     # 7 contradicts 6


def _write_pairs(tmp_path):
    source = tmp_path / "pairs.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in PAIRS))
    return source


def test_dedup_keeps_every_pair_of_a_prompt_and_every_record_of_a_contradiction(tmp_path):
    summary = deduplicate(_write_pairs(tmp_path), tmp_path / "clean.jsonl", Config(task_type="generation"), embed=False)
    reasons = {json.loads(line)["line"]: json.loads(line) for line in summary.sidecar.read_text().splitlines()}
    assert list(reasons) == [4] and reasons[4]["reason"] == "exact duplicate" and reasons[4]["kept_line"] == 1
    assert (summary.kept, summary.run_contradictions_kept) == (6, 2)  # no silent winner for 3 vs 5, nor 6 vs 7


def test_drop_conflicts_drops_every_record_of_a_preference_contradiction(tmp_path):
    summary = deduplicate(_write_pairs(tmp_path), tmp_path / "clean.jsonl", Config(task_type="generation"), embed=False,
                          drop_conflicts=True)
    reasons = {json.loads(line)["line"]: json.loads(line)["reason"] for line in summary.sidecar.read_text().splitlines()}
    assert reasons == {3: "contradicting preferences", 4: "exact duplicate", 5: "contradicting preferences",
                       6: "contradicting preferences", 7: "contradicting preferences"}
    assert (summary.kept, summary.run_contradictions_kept) == (2, 0)


def test_dedup_drops_a_pair_whose_chosen_is_its_rejected(tmp_path):
    source = tmp_path / "pairs.jsonl"
    rows = PAIRS[:3] + [{"prompt": "Explain maps.", "chosen": "Maps pair keys with values.", "rejected": "maps pair keys  with values."}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(task_type="generation"), embed=False)
    reasons = {json.loads(line)["line"]: json.loads(line)["reason"] for line in summary.sidecar.read_text().splitlines()}
    assert reasons == {4: "chosen identical to rejected"} and summary.kept == 3  # nothing to prefer: no signal


@pytest.mark.parametrize("indent", [1, None], ids=["pretty", "one-line"])
def test_a_json_array_is_deduplicated_by_element_into_an_array_of_the_same_layout(tmp_path, indent):
    records = [{"text": t, "label": label} for t, label in zip(TEXTS, LABELS)]
    source = tmp_path / "tickets.json"
    source.write_text(json.dumps(records, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")
    summary = deduplicate(source, tmp_path / "clean.json", Config(), embed=False)
    kept = [records[i] for i in (0, 1, 2, 4)]
    assert (tmp_path / "clean.json").read_text(encoding="utf-8") == json.dumps(kept, indent=indent, ensure_ascii=False) + "\n"
    assert (summary.records, summary.kept, summary.dropped) == (6, 4, 2) and _dropped(summary) == [4, 6]


def test_a_gzip_json_array_whose_first_element_goes_keeps_the_space_after_its_bracket(tmp_path):
    records = [{"text": "", "label": "x"}] + [{"text": t, "label": label} for t, label in zip(TEXTS, LABELS)]  # 1 is invalid
    source = tmp_path / "tickets.json.gz"
    source.write_bytes(gzip.compress(("[\n  " + ",\n  ".join(json.dumps(r) for r in records) + "\n]").encode("utf-8")))
    summary = deduplicate(source, tmp_path / "clean.json.gz", Config(), embed=False)
    out = gzip.decompress((tmp_path / "clean.json.gz").read_bytes()).decode("utf-8")
    assert out == "[\n  " + ",\n  ".join(json.dumps(records[i]) for i in (1, 2, 3, 5)) + "\n]"
    assert _dropped(summary) == [1, 5, 7]


def test_a_jsonl_output_name_for_a_json_array_is_refused_with_the_name_to_use(tmp_path):
    source = tmp_path / "tickets.json"
    source.write_text(json.dumps([{"text": t, "label": label} for t, label in zip(TEXTS, LABELS)]))
    with pytest.raises(InputError, match=r"written as JSON array .*clean.json\)"):
        deduplicate(source, tmp_path / "clean.jsonl", Config(), embed=False)


def test_a_csv_line_of_spaces_has_no_row_number_in_the_copy_either(tmp_path):
    source = tmp_path / "tickets.csv"
    lines = ["text,label", *[f'"{t}",{label}' for t, label in zip(TEXTS[:3], LABELS[:3])], "   ",
             *[f'"{t}",{label}' for t, label in zip(TEXTS[3:], LABELS[3:])]]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = deduplicate(source, tmp_path / "clean.csv", Config(), embed=False)
    assert _dropped(summary) == [4, 6]  # data rows, the blank line skipped as the loader skips it
    assert (tmp_path / "clean.csv").read_text(encoding="utf-8").splitlines() == lines[:5] + [lines[6]]


def test_a_json_array_that_stops_mid_way_is_refused_with_the_reason_it_stops(tmp_path):
    records = [json.dumps({"text": f"{t} (ticket {n})", "label": label})
               for n, (t, label) in enumerate(zip(TEXTS + TEXTS[:4], LABELS + LABELS[:4]), start=1)]
    too_deep = '{"text": "x", "label": "a", "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"
    source = tmp_path / "tickets.json"
    source.write_text("[\n" + ",\n".join(records + [too_deep, records[0]]) + "\n]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^\S*tickets.json: element 11 is nested too deeply to read; elements after it "
                                         r"were not read; so no copy of any file was written") as refused:
        deduplicate(source, tmp_path / "clean.json", Config(), embed=False)
    assert "none of its" not in str(refused.value)  # its 10 rows read fine: they are not what is wrong
    assert not (tmp_path / "clean.json").exists()


def test_a_csv_row_that_is_not_utf8_is_dropped_as_unreadable_and_the_rest_copied_byte_for_byte(tmp_path):
    """One Latin-1 byte made dedup refuse the whole CSV, while the audit reads every other row."""
    source = tmp_path / "t.csv"
    source.write_bytes(b"text,label\nwhere is my order,a\ncaf\xe9 latte,b\nwhere is my order,a\nrefund please,c\n")
    summary = deduplicate(source, tmp_path / "clean.csv", Config(), embed=False)
    assert (tmp_path / "clean.csv").read_bytes() == b"text,label\nwhere is my order,a\nrefund please,c\n"
    dropped = [json.loads(line) for line in (tmp_path / "clean.csv.dropped.jsonl").read_text().splitlines()]
    assert [(d["line"], d["reason"].split(":")[0]) for d in dropped] == [(2, "invalid"), (3, "exact duplicate")]
    assert (summary.records, summary.kept, summary.dropped, summary.invalid) == (4, 2, 2, 1)


def test_a_quote_left_open_is_refused_at_its_row_and_no_copy_is_written(tmp_path):
    source = tmp_path / "q.csv"
    source.write_text('text,label\nwhere is my order,a\n"never closed,b\nrefund please,c\nlost card,d\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q.csv: row 2: a quote opened in this row \(column 'text'\), on line 3 of the "
                                         r"file, is never closed: the rest of the file \(3 lines\) .*no copy of any file"):
        deduplicate(source, tmp_path / "clean.csv", Config(), embed=False)
    assert not (tmp_path / "clean.csv").exists() and not (tmp_path / "clean.csv.dropped.jsonl").exists()


def test_a_csv_in_another_encoding_is_refused_naming_how_many_rows_are_not_utf8(tmp_path):
    source = tmp_path / "fr.csv"
    source.write_bytes("text,label\nrésumé one,a\ncafé two,b\nnaïve three,a\nplain four,b\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"fr.csv: 3 of its 4 rows are not valid UTF-8.*re-export it as UTF-8"):
        deduplicate(source, tmp_path / "clean.csv", Config(), embed=False)
    assert not (tmp_path / "clean.csv").exists()


def test_two_stray_bytes_in_a_large_csv_drop_their_rows_alone(tmp_path):
    rows = [f"ticket number {i} about an order,{'ab'[i % 2]}" for i in range(300)]
    source = tmp_path / "big.csv"
    body = "\n".join(["text,label"] + rows) + "\n"
    source.write_bytes(body.encode().replace(b"ticket number 7 ", b"ticket n\xe9 7 ").replace(b"ticket number 8 ", b"ticket n\xe9 8 "))
    summary = deduplicate(source, tmp_path / "clean.csv", Config(), embed=False)
    assert (summary.records, summary.kept, summary.invalid) == (300, 298, 2)


def _listed(summary) -> dict[int, dict]:
    return {e["line"]: e for e in map(json.loads, summary.sidecar.read_text().splitlines())}


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_drop_conflicts_keeps_the_reworded_copy_of_a_conflicting_first_record_in_its_place(tmp_path, embedder):
    source = _write(tmp_path / "dc.jsonl", [
        {"text": "how do i activate my new card", "label": "activate_my_card"},
        {"text": "how do i activate my new card please", "label": "card_arrival"},
        {"text": "what steps do i take to activate my new card", "label": "activate_my_card"},
        {"text": "I need to change my PIN number", "label": "change_pin"}])
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), drop_conflicts=True, embedder=embedder)
    assert [json.loads(line)["text"] for line in (tmp_path / "clean.jsonl").read_text().splitlines()] == [
        "what steps do i take to activate my new card", "I need to change my PIN number"]
    assert {line: e["reason"] for line, e in _listed(summary).items()} == {1: "conflicting labels", 2: "conflicting labels"}


def test_drop_conflicts_keeps_the_first_copy_that_stays_and_never_names_a_dropped_line_as_kept(tmp_path):
    rows = [{"text": "Where is my card?", "label": "a"}, {"text": "where is my card", "label": "a"},
            {"text": "Where is my card?", "label": "b"}, {"text": "where is my card", "label": "a"},
            {"text": "Where is my card?", "label": "a"}, {"text": "where is my card", "label": "a"},
            {"text": "Cancel my subscription", "label": "c"}]
    summary = deduplicate(_write(tmp_path / "big.jsonl", rows), tmp_path / "clean.jsonl", Config(), drop_conflicts=True,
                          embed=False)
    listed = _listed(summary)
    assert {line: (e["reason"], e.get("kept_line")) for line, e in listed.items()} == {
        1: ("conflicting labels", None), 3: ("conflicting labels", None), 5: ("conflicting labels", None),
        4: ("exact duplicate", 2), 6: ("exact duplicate", 2)}
    assert (summary.kept, summary.dropped) == (2, 5)


def test_a_reworded_copy_with_another_label_goes_listing_both_labels_and_its_group_is_counted(tmp_path, embedder):
    # The audit counts it as a duplicate (usable, duplicate_records): kept, its advice to run dedup would loop.
    source = _write(tmp_path / "b77.jsonl", [
        {"text": "Can you explain why my payment is still pending?", "label": "pending_transfer"},
        {"text": "Why is my payment still pending?", "label": "pending_card_payment"},
        {"text": "how do i activate my new card", "label": "activate_my_card"},
        {"text": "what steps do i take to activate my new card", "label": "activate_my_card"}])
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), embedder=embedder)
    assert {line: (e["reason"], e["kept_line"], e.get("conflicting_labels")) for line, e in _listed(summary).items()} == {
        2: ("near duplicate", 1, ["pending_transfer", "pending_card_payment"]), 4: ("near duplicate", 3, None)}
    assert (summary.kept, summary.run_conflicts_kept) == (2, 1)
    assert deduplicate(source, tmp_path / "strict.jsonl", Config(), embedder=embedder, drop_conflicts=True).run_conflicts_kept == 1
    duplicates = audit(tmp_path / "clean.jsonl", Config(), embedder=embedder).checks["duplicates"]
    assert (duplicates.all_groups, duplicates.duplicate_records) == ([], 0)


def test_a_prompt_asked_twice_with_another_reply_goes_saying_its_target_differs(tmp_path):
    rows = [chat("How do I reset my password?", "Open Settings, then Security, then Reset password."),
            chat("How do I cancel my order?", "Open Orders and press Cancel next to it."),
            chat("How do I reset my password?", "Use the Forgot password link on the sign-in page."),
            chat("How do I cancel my order?", "Open Orders and press Cancel next to it.")]
    config = Config(task_type="generation")
    summary = deduplicate(_write(tmp_path / "chat.jsonl", rows), tmp_path / "clean.jsonl", config, embed=False)
    assert _listed(summary) == {3: {"file": str(tmp_path / "chat.jsonl"), "line": 3, "reason": "exact duplicate",
                                    "kept_line": 1, "target_differs": True},
                                4: {"file": str(tmp_path / "chat.jsonl"), "line": 4, "reason": "exact duplicate",
                                    "kept_line": 2}}


def test_an_exact_copy_of_a_near_copy_is_listed_as_near_the_record_it_names(tmp_path):
    from dataaudit.fix.dedup import deduplicate_files

    a = _write(tmp_path / "a.jsonl", [{"text": "How do I top up my card?", "label": "top_up"},
                                      {"text": "I forgot my passcode", "label": "passcode"},
                                      {"text": "hi, how do i top up my card", "label": "top_up"},
                                      {"text": "How do I top up my card?", "label": "top_up"}])
    b = _write(tmp_path / "b.jsonl", [{"text": "Hi, how do I top up my card", "label": "top_up"},
                                      {"text": "where is my refund", "label": "refund"}])
    first, second = deduplicate_files([a, b], tmp_path / "clean", Config(), embed=False)
    assert {line: (e["reason"], e["kept_line"]) for line, e in _listed(first).items()} == {
        3: ("near duplicate", 1), 4: ("exact duplicate", 1)}
    assert _listed(second)[1] == {"file": str(b), "line": 1, "reason": "near duplicate", "kept_line": 1, "kept_file": str(a)}


def _reaudited(path, config=None, **embedding):
    """The copy's own audit: what a user runs after dedup, expecting no copy or conflict left."""
    duplicates = audit(path, config or Config(), **(embedding or {"embed": False})).checks["duplicates"]
    return duplicates.all_groups, duplicates.all_conflicts


# Lines 1 and 2 are an exact conflict; 3 and 4 are lexical copies of them (and of each other), 3 with the
# label the conflict's first record lost. The audit judges no near conflict on records of an exact conflict.
TOP_UP = [{"text": "how do i top up my card", "label": "a"}, {"text": "how do i top up my card", "label": "b"},
          {"text": "hi, how do i top up my card", "label": "b"}, {"text": "where is my refund", "label": "r"}]


@pytest.mark.parametrize("drop_conflicts", [False, True])
def test_a_lexical_copy_with_another_label_outside_a_conflict_goes_and_the_copy_reaudits_clean(tmp_path, drop_conflicts):
    source = _write(tmp_path / "t.jsonl", TOP_UP)
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), drop_conflicts=drop_conflicts, embed=False)
    kept = [json.loads(line)["text"] for line in (tmp_path / "clean.jsonl").read_text().splitlines()]
    assert kept == (["hi, how do i top up my card", "where is my refund"] if drop_conflicts
                    else ["how do i top up my card", "where is my refund"])
    assert _reaudited(tmp_path / "clean.jsonl") == ([], [])
    if not drop_conflicts:
        assert _listed(summary)[3]["conflicting_labels"] == ["a", "b"] and summary.run_conflicts_kept == 1


def test_with_the_kept_record_dropped_a_lexical_copy_of_the_first_that_stays_goes_as_its_near_duplicate(tmp_path):
    rows = [*TOP_UP[:2], {"text": "hi, how do i top up my card", "label": "a"},
            {"text": "how do i top up my card please", "label": "a"}, TOP_UP[3]]
    summary = deduplicate(_write(tmp_path / "t.jsonl", rows), tmp_path / "clean.jsonl", Config(), drop_conflicts=True,
                          embed=False)
    assert {line: (e["reason"], e.get("kept_line")) for line, e in _listed(summary).items()} == {
        1: ("conflicting labels", None), 2: ("conflicting labels", None), 4: ("near duplicate", 3)}
    assert _reaudited(tmp_path / "clean.jsonl") == ([], [])


def test_long_annotation_items_whose_kept_item_is_a_conflict_keep_one_lexical_copy_whole(tmp_path):
    items = [("how do i top up my card", "aaa"), ("how do i top up my card", "bbb"), ("hi, how do i top up my card", "aaa"),
             ("hi, how do i top up my card", "aaa"), ("how do i top up my card please", "aaa"), ("where is my refund", "rrr")]
    rows = ["item_id,annotator,label,text"]
    for item, (text, labels) in enumerate(items, start=1):
        rows += [f'I{item},{annotator},{label},"{text}"' for annotator, label in zip("xyz", labels)]
    source = tmp_path / "b.csv"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    config = Config(fields=FieldsConfig(annotator="annotator", id="item_id"))
    summary = deduplicate(source, tmp_path / "clean.csv", config, drop_conflicts=True, embed=False)
    back = pd.read_csv(tmp_path / "clean.csv", dtype=str, keep_default_na=False)
    assert sorted(set(back["item_id"])) == ["I3", "I6"] and len(back) == 6
    assert {line: e.get("kept_line") for line, e in _listed(summary).items() if line >= 10} == {
        10: 7, 11: 7, 12: 7, 13: 7, 14: 7, 15: 7}
    assert _reaudited(tmp_path / "clean.csv", config) == ([], [])


def test_a_conflict_across_files_names_the_file_of_each_of_its_lines(tmp_path):
    from dataaudit.fix.dedup import deduplicate_files

    a = _write(tmp_path / "a.jsonl", [TOP_UP[0], TOP_UP[3], {"text": "hi, how do i top up my card", "label": "a"}])
    b = _write(tmp_path / "b.jsonl", [TOP_UP[1], {"text": "cancel my subscription", "label": "c"},
                                      {"text": "hi, how do i top up my card", "label": "a"}])
    first, second = deduplicate_files([a, b], tmp_path / "clean", Config(), drop_conflicts=True, embed=False)
    assert _listed(first)[1] == {"file": str(a), "line": 1, "reason": "conflicting labels", "group_lines": [1, 1],
                                 "labels": ["a", "b"], "group_files": [str(a), str(b)]}
    assert _listed(second)[1]["group_files"] == [str(a), str(b)]
    assert _reaudited([tmp_path / "clean" / "a.jsonl", tmp_path / "clean" / "b.jsonl"]) == ([], [])


def test_a_lexical_copys_two_long_labels_that_start_alike_are_named_apart(tmp_path):
    # Cut to the excerpt alone they read as one label twice; named as the audit names a conflict's labels.
    long_a, long_b = "x" * 300 + " alpha", "x" * 300 + " beta"
    rows = [{"text": "how do i top up my card", "label": long_a}, {"text": "how do i top up my card", "label": long_b},
            {"text": "hi, how do i top up my card", "label": long_b}, {"text": "where is my refund", "label": "r"}]
    summary = deduplicate(_write(tmp_path / "t.jsonl", rows), tmp_path / "clean.jsonl", Config(), embed=False)
    labels = _listed(summary)[3]["conflicting_labels"]
    assert len(labels) == 2 and labels[0] != labels[1] and all("[sha256 " in label for label in labels)


def _batches(tmp_path):
    rows = [{"text": t, "label": label} for t, label in zip(TEXTS, LABELS)]
    paths = []
    for name, part in (("b1.jsonl", rows[:3]), ("b2.jsonl", rows[3:])):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in part))
        paths.append(tmp_path / name)
    return paths


def test_a_folder_where_the_list_goes_is_refused_before_the_audit_and_nothing_is_written(tmp_path, monkeypatch):
    import dataaudit.api

    def no_audit(*args, **kwargs):
        raise AssertionError("the audit ran before the list's place was checked")

    monkeypatch.setattr(dataaudit.api, "audit", no_audit)
    b1, b2 = _batches(tmp_path)
    (tmp_path / "clean.jsonl.dropped.jsonl").mkdir()
    with pytest.raises(InputError, match=r"clean.jsonl.dropped.jsonl: the list written beside the output is a folder"):
        deduplicate(b1, tmp_path / "clean.jsonl", Config(), embed=False)
    (tmp_path / "clean" / "b2.jsonl.dropped.jsonl").mkdir(parents=True)
    with pytest.raises(InputError, match=r"b2.jsonl.dropped.jsonl: the list written beside the output is a folder"):
        deduplicate_files([b1, b2], tmp_path / "clean", Config(), embed=False)
    assert not (tmp_path / "clean.jsonl").exists()
    assert sorted(p.name for p in (tmp_path / "clean").iterdir()) == ["b2.jsonl.dropped.jsonl"]


@pytest.mark.parametrize("several", [False, True], ids=["one file", "two files"])
def test_a_list_that_cannot_be_written_leaves_no_copy_and_no_file_of_the_run(tmp_path, monkeypatch, several):
    import dataaudit.io

    staged = dataaudit.io._stage

    def disk_full_at_last_list(path, payload):
        if path.name == ("b2.jsonl" if several else "clean.jsonl") + ".dropped.jsonl":
            raise OSError(28, "No space left on device")
        return staged(path, payload)

    monkeypatch.setattr(dataaudit.io, "_stage", disk_full_at_last_list)
    b1, b2 = _batches(tmp_path)
    out = tmp_path / "clean"
    with pytest.raises(InputError, match=r"dropped.jsonl: cannot be written \(No space left on device\); free some space"):
        if several:
            deduplicate_files([b1, b2], out, Config(), embed=False)
        else:
            out.mkdir()
            deduplicate(b1, out / "clean.jsonl", Config(), embed=False)
    assert list(out.iterdir()) == []  # neither a copy nor a list, nor a staged temporary file


def test_a_blank_line_is_kept_as_redact_keeps_it_so_the_list_maps_every_line_of_the_copy_back(tmp_path):
    lines = [json.dumps({"text": t, "label": label}).encode() for t, label in zip(TEXTS, LABELS)]
    source = tmp_path / "tickets.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines[:3] + [b""] + lines[3:]))  # BOM, CRLF, line 4 blank, no final newline
    summary = deduplicate(source, tmp_path / "clean.jsonl", Config(), embed=False)
    assert _dropped(summary) == [5, 7]
    assert (summary.records, summary.kept, summary.dropped) == (6, 4, 2)
    # the input without the listed lines, line for line; only the last line gains the file's ending
    assert (tmp_path / "clean.jsonl").read_bytes() == b"\xef\xbb\xbf" + b"\r\n".join(lines[:3] + [b"", lines[4]]) + b"\r\n"


def test_a_gzip_line_over_the_audits_limit_is_dropped_as_unreadable_and_listed_with_the_audits_words(tmp_path, monkeypatch):
    import dataaudit.fix.writers as writers
    import dataaudit.load.files as files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 1024 * 1024)  # 256 MB in use: too big to write in a test
    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 1024 * 1024)
    lines = [json.dumps({"text": t, "label": label}) for t, label in zip(TEXTS, LABELS)]
    huge = json.dumps({"text": "x" * (3 * 1024 * 1024), "label": "shipping"})
    source = tmp_path / "bomb.jsonl.gz"
    source.write_bytes(gzip.compress(("\n".join(lines[:3] + [huge] + lines[3:]) + "\n").encode("utf-8")))
    summary = deduplicate(source, tmp_path / "clean.jsonl.gz", Config(), embed=False)
    kept = gzip.decompress((tmp_path / "clean.jsonl.gz").read_bytes()).decode("utf-8").splitlines()
    assert kept == [lines[i] for i in (0, 1, 2, 4)]
    listed = [json.loads(line) for line in summary.sidecar.read_text().splitlines()]
    assert [(e["line"], e["reason"]) for e in listed][0] == (
        4, "invalid: (line): line is longer than 1 MB; it was skipped")
    assert [e["line"] for e in listed] == [4, 5, 7] and (summary.records, summary.dropped, summary.invalid) == (7, 3, 1)
