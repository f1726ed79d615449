"""Assembling a Dataset: what a record error advises is what fixes the file it was read in."""

from __future__ import annotations

import pytest

from dataaudit.config import Config, FieldsConfig
from dataaudit.errors import InputError
from dataaudit.load.dataset import load_dataset
from tests.conftest import write_jsonl

ROWS = [{"txt": "where is my card"}, {"txt": "reset my pin"}]


@pytest.mark.parametrize("role, advice, not_advised", [
    ("train", "with --text-field / --label-field", "--production-text-field"),
    ("production", "name the production file's text field with --production-text-field", "or with --text-field"),
    ("eval", "the eval set is read with the training file's field names", "--production-text-field"),
])
def test_an_unrecognised_row_names_the_flags_of_the_role_it_was_read_in(tmp_path, role, advice, not_advised):
    ds = load_dataset(write_jsonl(tmp_path / "rows.jsonl", ROWS), Config(task_type="classification"), role=role)
    assert [(e.line, e.field) for e in ds.errors] == [(1, "(record)"), (2, "(record)")]
    assert advice in ds.errors[0].message and not_advised not in ds.errors[0].message


def test_following_the_production_advice_reads_the_production_file(tmp_path):
    fields = FieldsConfig(production_text="txt")
    ds = load_dataset(write_jsonl(tmp_path / "rows.jsonl", ROWS), Config(task_type="classification", fields=fields),
                      role="production")
    assert ds.errors == [] and [r.input_text for r in ds.records] == ["where is my card", "reset my pin"]


def test_several_files_are_named_after_their_folder_even_the_current_one(tmp_path, monkeypatch):
    rows = [{"text": "hello", "label": "a"}]
    write_jsonl(tmp_path / "a.jsonl", rows)
    write_jsonl(tmp_path / "b.jsonl", rows)
    monkeypatch.chdir(tmp_path)
    assert load_dataset(["a.jsonl", "b.jsonl"], Config()).name == tmp_path.name
    assert load_dataset(["a.jsonl"], Config()).name == "a"


def _closed(monkeypatch, *closed):
    """Files this process may not open, as for another user's mode-000 file (tests may run as root)."""
    from pathlib import Path

    shut = {str(Path(p).resolve()) for p in closed}
    real_open = Path.open

    def path_open(path, *args, **kwargs):
        if str(path.resolve()) in shut:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", path_open)


def test_an_unreadable_file_beside_readable_ones_is_a_file_error_and_alone_an_input_error_saying_what_to_do(tmp_path, monkeypatch):
    """One mode-000 batch in a folder of batches stopped the whole audit (exit 2), where an empty one is a file
    error the format condition warns on; its message said "permission denied" and nothing to do."""
    rows = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(4)]
    readable, closed = write_jsonl(tmp_path / "a.jsonl", rows), write_jsonl(tmp_path / "b.jsonl", rows)
    _closed(monkeypatch, closed)
    dataset = load_dataset([str(readable), str(closed)], Config())
    assert len(dataset.records) == 4 and [(f.path, f.records) for f in dataset.files] == [(str(readable), 4), (str(closed), 0)]
    assert [(e.source, e.line, e.field, e.message) for e in dataset.errors] == [
        (str(closed), 0, "(file)", "permission denied; make it readable to the user running the audit, or leave it out")]
    with pytest.raises(InputError) as raised:
        load_dataset([str(closed)], Config())
    assert str(raised.value) == f"{closed}: permission denied; make it readable to the user running the audit, or leave it out"


def test_a_missing_file_stops_the_read_and_says_what_to_do(tmp_path):
    readable = write_jsonl(tmp_path / "a.jsonl", [{"text": "t", "label": "a"}])
    with pytest.raises(InputError) as raised:
        load_dataset([str(readable), str(tmp_path / "nope.jsonl")], Config())  # a typo, not a batch to set aside
    assert str(raised.value) == f"{tmp_path / 'nope.jsonl'}: no such file; check the name, or name a file, a folder or a glob that exists"


def test_an_unreadable_file_inside_a_folder_is_named_itself_and_has_no_digest(tmp_path, monkeypatch):
    """Given a folder, the warning must name the file inside it that could not be read, not only the folder; its
    sha256 is "" in report.json, and report.html and report.md say it was not read (an empty cell in md)."""
    from dataaudit.api import audit
    from dataaudit.render.html import render_html

    folder = tmp_path / "batches"
    folder.mkdir()
    rows = [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(4)]
    write_jsonl(folder / "a.jsonl", rows)
    closed = write_jsonl(folder / "b.jsonl", [{"text": f"u{i}", "label": "ab"[i % 2]} for i in range(4)])
    _closed(monkeypatch, closed)
    report = audit(str(folder), Config(task_type="classification"), embed=False)
    format_condition = next(c for c in report.verdict.conditions if c.id == "format")
    assert format_condition.status == "warn" and f"{closed}: permission denied" in format_condition.summary
    assert [(i.path, i.records, i.sha256) for i in report.inputs if i.path == str(closed)] == [(str(closed), 0, "")]
    assert report.to_dict()["inputs"][1]["sha256"] == ""
    page = render_html(report)
    assert f"{closed} (not read)" in page and "sha256 …" not in page
    from dataaudit.render.markdown import render_markdown

    assert "| (not read) |" in render_markdown(report)


def test_a_file_read_in_its_own_task_among_other_inputs_is_a_file_error_not_the_end_of_the_audit(tmp_path, monkeypatch):
    """The Ray engine reads each input file in its own task: alone in its task, an unreadable file stopped the
    whole audit, where the local engine, reading them together, audits the others beside a file error."""
    pytest.importorskip("ray")
    from dataaudit.engine.ray_engine import _read_file

    closed = write_jsonl(tmp_path / "b.jsonl", [{"text": "u", "label": "a"}])
    _closed(monkeypatch, closed)
    config = Config(task_type="classification")
    part, keys = _read_file([str(closed)], config, "train", "", True)
    assert [(e.source, e.line, e.field) for e in part.errors] == [(str(closed), 0, "(file)")] and keys == {}
    alone, _ = _read_file([str(closed)], config, "train", "", False)
    assert str(alone) == f"{closed}: permission denied; make it readable to the user running the audit, or leave it out"


def test_each_file_is_read_with_the_annotator_columns_it_has(tmp_path):
    # whether a column is in no file at all is asked once over every file (api.require_named_fields): a batch
    # without one annotator's column is read, alone or among others, never refused by itself
    wide = tmp_path / "wide.csv"
    wide.write_text("id,text,a1,a3\n1,foo,x,y\n2,bar,y,y\n", encoding="utf-8")
    config = Config(fields=FieldsConfig(annotator_columns=["a1", "a2", "a3"]))
    for among_others in (False, True):
        dataset = load_dataset(wide, config, among_others=among_others)
        assert [[(a.annotator, a.label) for a in r.annotations] for r in dataset.records] == [
            [("a1", "x"), ("a3", "y")], [("a1", "y"), ("a3", "y")]]


def test_one_annotators_missing_answer_is_one_rating_fewer_in_every_layout_never_a_lost_item(tmp_path):
    # QA (probe41): a blank cell, a "nan" cell or `"label": null` turned the whole item invalid and took the other
    # annotators' ratings with it (Krippendorff 2011: 41 ratings -> 32, alpha 0.743 -> 0.653)
    wide = tmp_path / "wide.csv"
    wide.write_text("id,text,A,B,C\n1,foo,x, ,x\n2,bar,y,nan,z\n3,baz,NaN,\t,x\n", encoding="utf-8")
    ds = load_dataset(wide, Config(fields=FieldsConfig(annotator_columns=["A", "B", "C"])))
    assert (ds.invalid, ds.errors) == (0, [])
    assert [[(a.annotator, a.label) for a in r.annotations] for r in ds.records] == [
        [("A", "x"), ("C", "x")], [("A", "y"), ("C", "z")], [("C", "x")]]

    nested = write_jsonl(tmp_path / "nested.jsonl", [
        {"text": "t", "annotations": [{"annotator": "a", "label": "p"}, {"annotator": "b", "label": None},
                                      {"annotator": "c", "label": "q"}]},
        {"text": "u", "annotations": [{"annotator": "a", "label": " "}, {"annotator": "b", "label": "p"}]},
        {"text": "v", "annotations": [{"annotator": None, "label": "p"}]},
        {"text": "w", "annotations": [{"annotator": "a", "label": None}, {"annotator": "b", "label": ""}]}])
    ds = load_dataset(nested, Config())
    assert [[(a.annotator, a.label) for a in r.annotations] for r in ds.records] == [[("a", "p"), ("c", "q")], [("b", "p")]]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [
        (3, "annotations[0].annotator", "missing"),
        (4, "annotations", "no annotator gave a label (each entry's label is null, empty or NaN)")]

    long = tmp_path / "long.csv"
    long.write_text("item_id,annotator,label,text\n1,a,x,first\n1,b, ,\n1,c,x,\n2,a,,second\n2,b,nan,\n", encoding="utf-8")
    ds = load_dataset(long, Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    assert [(r.record_id, r.all_lines, [(a.annotator, a.label) for a in r.annotations]) for r in ds.records] == [
        ("1", (1, 2, 3), [("a", "x"), ("c", "x")])]
    # an item no row of which answers is still named, row by row, as before
    assert (ds.invalid, [(e.line, e.field, e.message) for e in ds.errors]) == (2, [(4, "label", "missing"), (5, "label", "missing")])


def test_annotator_names_are_spelt_as_labels_are_so_a_padded_cell_is_the_same_annotator(tmp_path):
    # QA (probe41): " B " beside "B" was two annotators, B's figures split in two and a second rating unnoticed
    long = tmp_path / "long.csv"
    long.write_text('item_id,annotator,label,text\n1,B,x,first\n1," B ",y,\n2,"  Ann   Lee ",x,second\n2,b,x,\n',
                    encoding="utf-8")
    ds = load_dataset(long, Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    assert [[a.annotator for a in r.annotations] for r in ds.records] == [["B"], ["Ann Lee", "b"]]
    assert [(e.line, e.field, e.message) for e in ds.errors] == [(2, "annotator", "annotator 'B' labelled item '1' twice (lines 1 and 2)")]

    nested = write_jsonl(tmp_path / "nested.jsonl", [
        {"text": "t", "annotations": [{"annotator": " a\t", "label": "p"}, {"annotator": "x  y", "label": "q"}]},
        {"text": "u", "annotations": [{"annotator": "a", "label": "p"}, {"annotator": "a ", "label": "q"}]}])
    ds = load_dataset(nested, Config())
    assert [[a.annotator for a in r.annotations] for r in ds.records] == [["a", "x y"]]
    assert [(e.line, e.field) for e in ds.errors] == [(2, "annotations[1].annotator")]


def test_a_long_layout_without_the_default_id_field_names_the_id_flag_and_the_fields_seen(tmp_path):
    # QA (probe41): every row was "id: missing" and the advice named --text-field / --label-field
    long = tmp_path / "long.csv"
    long.write_text("item_id,text,annotator,label\n1,foo,a,x\n1,,b,y\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_dataset(long, Config(fields=FieldsConfig(annotator="annotator")))
    assert str(raised.value) == (
        f"--id-field: no record in {long} has a field 'id', which the long layout (--annotator-field) groups an item's rows "
        "by (fields seen: item_id, text, annotator, label); name the item id field with --id-field (or fields.id in the config)")
    # a row or two without an id among rows with one stay row errors; a flag naming an absent field is the API's to say
    long.write_text("id,text,annotator,label\n1,foo,a,x\n,bar,b,y\n", encoding="utf-8")
    ds = load_dataset(long, Config(fields=FieldsConfig(annotator="annotator")))
    assert [(e.line, e.field, e.message) for e in ds.errors] == [(2, "id", "missing")]
    named = Config(fields=FieldsConfig(annotator="annotator", id="nope"), set_by={"fields.id": "--id-field"})
    assert [e.field for e in load_dataset(long, named).errors] == ["nope", "nope"]



def test_a_zero_padded_score_is_its_number_in_the_training_label_as_in_the_agreement_check(tmp_path):
    """Review: ratings 3, 03, 7, 7, 1 read "1 ties (resolved to the lower median answer)" in the agreement section
    (03 is 3 there) while the training label counted "03" apart and took 7."""
    wide = tmp_path / "scores.csv"
    wide.write_text("id,text,r1,r2,r3,r4,r5\n1,essay one,3,03,7,7,1\n2,essay two,5,05,05,2,1\n", encoding="utf-8")
    config = Config(fields=FieldsConfig(annotator_columns=["r1", "r2", "r3", "r4", "r5"]))
    config.agreement.level = "interval"
    assert [r.label for r in load_dataset(wide, config).records] == ["3", "5"]  # 1 3 | 3 7 7: the lower median, 3
    config.agreement.level = "nominal"  # a code: "03" is its own label, the tie goes to the first sorted
    assert [r.label for r in load_dataset(wide, config).records] == ["7", "05"]

def test_a_tied_item_of_ordered_scores_takes_the_lower_median_answer_not_the_string_smallest(tmp_path):
    # QA (probe41): 62, 64, 59 and a careless 100 gave the training label "100" ("10" sorts before "5" and "6")
    wide = tmp_path / "scores.csv"
    wide.write_text("id,text,r1,r2,r3,r4\n6,essay six,62,64,59,100\n8,essay eight,95,92,90,56\n9,essay nine,7,7,10,10\n"
                    "10,essay ten,3,3,3,100\n", encoding="utf-8")

    def labels(level: str, **fields) -> list[str]:
        config = Config(fields=FieldsConfig(**fields))
        config.agreement.level = level
        return [r.label for r in load_dataset(wide if "annotator_columns" in fields else long, config).records]

    columns = {"annotator_columns": ["r1", "r2", "r3", "r4"]}
    # lower medians: 59 62 | 64 100 -> 62; 56 90 | 92 95 -> 90; 7 7 | 10 10 -> 7; a clear majority stays
    assert labels("interval", **columns) == labels("ratio", **columns) == labels("ordinal", **columns) == ["62", "90", "7", "3"]
    assert labels("nominal", **columns) == ["100", "56", "10", "3"]  # a nominal tie: the first label sorted, as documented
    long = tmp_path / "long.csv"
    long.write_text("item_id,annotator,label,text\n1,a,62,foo\n1,b,64,\n1,c,59,\n1,d,100,\n", encoding="utf-8")
    assert labels("interval", annotator="annotator", id="item_id") == ["62"]
    nested = write_jsonl(tmp_path / "nested.jsonl", [{"text": "t", "annotations": [
        {"annotator": "a", "label": "high"}, {"annotator": "b", "label": "low"}, {"annotator": "c", "label": "mid"}]}])
    config = Config()
    config.agreement.level, config.agreement.ordinal_order = "ordinal", ["low", "mid", "high"]
    assert [r.label for r in load_dataset(nested, config).records] == ["mid"]  # by the order, not "high" alphabetically


def test_long_rows_of_one_id_with_different_texts_stay_apart_and_are_named(tmp_path):
    # QA (probe41): an annotator's rows carrying other texts (a misaligned join) were compared as ratings of one item
    from dataaudit.errors import InputWarning

    long = tmp_path / "long.csv"
    long.write_text("item_id,annotator,label,text\n1,a,x,first text\n1,b,x,\n1,c,y,SOMETHING ELSE\n2,a,y,second\n"
                    "2,b,y,second\n2,c,x,OTHER\n", encoding="utf-8")
    with pytest.warns(InputWarning) as caught:
        ds = load_dataset(long, Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    assert [(r.record_id, r.input_text, r.all_lines, [a.annotator for a in r.annotations]) for r in ds.records] == [
        ("1", "first text", (1, 2), ["a", "b"]), ("1", "SOMETHING ELSE", (3,), ["c"]),
        ("2", "second", (4, 5), ["a", "b"]), ("2", "OTHER", (6,), ["c"])]
    assert [str(w.message) for w in caught] == [
        f"{long}: 2 item ids carry rows with different texts (the first: item '1', line 3 beside line 1); each text is read "
        "as an item of its own, not compared as one item's ratings (a misaligned join?); an item's later rows may leave the text empty"]



def test_long_rows_whose_texts_differ_only_in_spacing_accent_form_or_line_ends_are_one_item(tmp_path):
    """Review: each annotator's file from another spreadsheet pads a text, decomposes its accents or writes CR LF:
    Krippendorff's 2011 data went from 12 items to 22 (alpha 0.743 -> 0.704) on one padded annotator."""
    import warnings

    long = tmp_path / "long.jsonl"
    write_jsonl(long, [{"item_id": 1, "annotator": "a", "label": "x", "text": "caf\u00e9 line\nnext"},
                       {"item_id": 1, "annotator": "b", "label": "x", "text": "cafe\u0301 line\r\nnext "},
                       {"item_id": 1, "annotator": "c", "label": "y", "text": "  caf\u00e9  line next"}])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset(long, Config(fields=FieldsConfig(annotator="annotator", id="item_id")))
    assert [(r.record_id, [a.annotator for a in r.annotations]) for r in ds.records] == [("1", ["a", "b", "c"])]

def test_answers_that_look_like_a_missing_value_marker_are_kept_as_labels_and_named_with_the_remedy(tmp_path):
    # QA (probe41): R's write.csv writes NA for an empty cell; read as a label 'NA' it lowered alpha in silence
    from dataaudit.errors import InputWarning

    wide = tmp_path / "wide.csv"
    wide.write_text("id,text,A,B,C\n1,foo,x,NA,x\n2,bar,NA,null,y\n3,baz,x,y,x\n", encoding="utf-8")
    with pytest.warns(InputWarning) as caught:
        ds = load_dataset(wide, Config(fields=FieldsConfig(annotator_columns=["A", "B", "C"])))
    # "null" is a missing value as the plain loader reads it (values.label_text): one rating fewer, not a label
    assert [[a.label for a in r.annotations] for r in ds.records] == [["x", "NA", "x"], ["NA", "y"], ["x", "y", "x"]]
    assert [str(w.message) for w in caught] == [
        f"{wide}: annotators' answers 'NA' (2) are read as labels, though they look like a missing-value marker; "
        "if they mean no answer, leave those cells empty (or the nested label null): a missing answer is one rating fewer "
        "for its item, not a class"]


def test_a_named_label_field_the_records_lack_lists_the_fields_they_have_instead_of_asking_for_the_flag_given(tmp_path):
    """--label-field intent on a text,label export said "use --label-field to name it": the flag already given."""
    from dataaudit.config import config_from_dict

    path = tmp_path / "b.csv"
    path.write_text("text,Intent \nwhere is my card,card_arrival\nrefund please,refund\n", encoding="utf-8")
    named = load_dataset(path, config_from_dict({"fields": {"label": "intent"}, "task_type": "classification"}))
    assert {(e.field, e.message) for e in named.errors} == {(
        "intent", "missing (a text record needs a label; the record's fields: Intent, text; field 'Intent' differs from "
                  "'intent' only in case or surrounding spaces: name it exactly, or rename the column)")}
    path.write_text("text,intent\nwhere is my card,card_arrival\n", encoding="utf-8")
    default = load_dataset(path, config_from_dict({"task_type": "classification"}))
    assert [e.message for e in default.errors] == [
        "missing (a text record needs a label; use --label-field to name it, or --task-type generation for plain text)"]
    # the default name given on the command line is named too (review), and a near miss is named either way
    path.write_text("text,Label\nwhere is my card,card_arrival\n", encoding="utf-8")
    from dataaudit.config import config_with_overrides

    flagged = load_dataset(path, config_with_overrides(config_from_dict({"task_type": "classification"}), {"fields.label": "label"},
                                                       names={"fields.label": "--label-field"}))
    assert [e.message for e in flagged.errors] == [
        "missing (a text record needs a label; the record's fields: Label, text; field 'Label' differs from 'label' only "
        "in case or surrounding spaces: name it exactly, or rename the column)"]
    assert load_dataset(path, config_from_dict({"task_type": "classification"})).errors[0].message.endswith(
        "for plain text; field 'Label' differs from 'label' only in case or surrounding spaces: name it exactly, or rename the column)")


def test_a_class_target_refused_as_a_missing_value_is_named_by_the_field_the_record_writes(tmp_path):
    """Review: a completion "null" was refused under field 'target', a name the file does not have."""
    from tests.conftest import chat

    path = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "where is my card", "completion": " card"},
                                               {"prompt": "refund please", "completion": "null"},
                                               chat("hello", "NaN", system=None)])
    assert [(e.line, e.field) for e in load_dataset(path, Config()).errors] == [(2, "completion"), (3, "the assistant reply")]
