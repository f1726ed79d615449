"""output_places: where the audit writes, checked before it runs (the CLI's end-to-end cases are in test_cli)."""

from __future__ import annotations

import pytest

from dataaudit.errors import InputError
from dataaudit.output_places import prepare_out_folder, refuse_outputs_over_inputs, refuse_unfit_output_file, remove_empty


def test_the_folders_made_are_returned_deepest_first_and_taken_away_only_while_empty(tmp_path):
    made = prepare_out_folder(str(tmp_path / "a" / "b" / "c"))
    assert made == [tmp_path / "a" / "b" / "c", tmp_path / "a" / "b", tmp_path / "a"]
    (tmp_path / "a" / "keep.txt").write_text("x")
    remove_empty(made)
    assert not (tmp_path / "a" / "b").exists() and (tmp_path / "a" / "keep.txt").exists()  # stops at a folder in use
    assert prepare_out_folder(str(tmp_path / "a")) == []  # there already: nothing of this run's to take away


def test_an_out_folder_under_a_file_is_refused_and_nothing_is_left(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match="--out cannot be made"):
        prepare_out_folder(str(tmp_path / "f" / "out"))
    with pytest.raises(InputError, match="this is a file"):
        prepare_out_folder(str(tmp_path / "f"))


def test_an_output_below_a_file_names_the_file_in_the_way_as_dedup_and_redact_do(tmp_path):
    """mkdir and open said "(Not a directory)" and "(File exists)", the latter of a --suspects file not there."""
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    with pytest.raises(InputError) as refused:
        prepare_out_folder(str(blocker / "sub" / "deeper"))
    assert str(refused.value) == (f"{blocker}/sub/deeper: --out cannot be made: {blocker} is a file, not a folder; "
                                  "name a folder you can write to")
    assert not (tmp_path / "afile").is_dir()
    for flag in ("--suspects", "--timings"):
        with pytest.raises(InputError) as refused:
            refuse_unfit_output_file(flag, str(blocker / "s.csv"))
        assert str(refused.value) == (f"{blocker}/s.csv: {flag} cannot be written: {blocker} is a file, not a folder; "
                                      "name a place you can write to")
    refuse_unfit_output_file("--suspects", str(tmp_path / "new" / "s.csv"))  # a folder still to be made is no file


def test_outputs_over_inputs_and_report_folders_holding_data_are_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "duplicates.jsonl").write_text("{}\n")
    with pytest.raises(InputError, match=r"--out \(duplicates.jsonl\) would overwrite this input"):
        refuse_outputs_over_inputs(str(data), {}, data_inputs=[str(data / "duplicates.jsonl")], other_inputs=[])
    (data / "duplicates.jsonl").unlink()
    (data / "train.jsonl").write_text("{}\n")
    for named in (data, data / "train.jsonl", data / "*.jsonl"):
        with pytest.raises(InputError, match="--out is also an input folder"):
            refuse_outputs_over_inputs(str(data), {}, data_inputs=[str(named)], other_inputs=[])
    config = tmp_path / "dataaudit.toml"
    config.write_text("")
    with pytest.raises(InputError, match="--timings would overwrite this input"):
        refuse_outputs_over_inputs(None, {"--timings": str(config)}, data_inputs=[], other_inputs=[str(config)])
    # A config or history beside the reports is no data folder; another folder for the reports is fine.
    refuse_outputs_over_inputs(str(tmp_path), {}, data_inputs=[str(data / "train.jsonl")], other_inputs=[str(config)])


def test_a_dangling_out_symlink_is_named_as_one(tmp_path):
    link = tmp_path / "out"
    link.symlink_to(tmp_path / "gone")
    with pytest.raises(InputError) as raised:
        prepare_out_folder(str(link))
    assert str(raised.value) == (f"{link}: --out is a symlink to {tmp_path / 'gone'}, which does not exist; make that folder "
                                 "or name another")
    with pytest.raises(InputError, match=rf"--out \({link} in it\) is a symlink to .*gone, which does not exist"):
        prepare_out_folder(str(link / "reports"))
    assert not (tmp_path / "gone").exists()


def test_an_out_folder_inside_an_input_folder_is_refused_on_the_first_run_before_it_exists(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text("{}\n")
    out = data / "audit"
    for named in (data, tmp_path / "*"):
        with pytest.raises(InputError) as caught:
            refuse_outputs_over_inputs(str(out), {}, data_inputs=[str(named)], other_inputs=[])
        kind = "folder" if named == data else "glob"
        assert str(caught.value) == (f"{out}: --out is inside the input {kind} {named}, so the next audit of it would "
                                     "read this run's reports as training data; name a folder outside it for --out")
    assert not out.exists()
    with pytest.raises(InputError, match="--out is inside the input folder"):
        refuse_outputs_over_inputs(str(out / "deeper"), {}, data_inputs=[str(data)], other_inputs=[])
    with pytest.raises(InputError, match="--out is also an input folder"):
        refuse_outputs_over_inputs(str(tmp_path / "." / "data"), {}, data_inputs=[str(data)], other_inputs=[])
    # a glob of files reads no folder, and a file's folder is walked by no audit of that file
    refuse_outputs_over_inputs(str(out), {}, data_inputs=[str(data / "*.jsonl")], other_inputs=[])
    refuse_outputs_over_inputs(str(out), {}, data_inputs=[str(data / "a.jsonl")], other_inputs=[])
    refuse_outputs_over_inputs(str(tmp_path / "reports"), {}, data_inputs=[str(data)], other_inputs=[])


def test_a_hidden_out_folder_inside_an_input_folder_or_glob_is_allowed_as_neither_reads_it(tmp_path):
    from dataaudit.load.inputs import expand_inputs

    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    (data / "a" / "t.jsonl").write_text('{"text": "a"}\n')
    for out in (data / ".reports", data / "a" / ".reports", data / ".cache" / "reports"):
        for named in (data, data / "*", tmp_path / "d*"):
            refuse_outputs_over_inputs(str(out), {}, data_inputs=[str(named)], other_inputs=[])
    # as the inputs show: a report set there is read by none of them
    (data / ".reports").mkdir()
    (data / ".reports" / "duplicates.jsonl").write_text('{"line": 1}\n')
    for named in (data, data / "*", tmp_path / "d*"):
        assert expand_inputs(str(named)) == [str(data / "a" / "t.jsonl")]
    # a glob that spells the dot matches the hidden folder, and walks it
    with pytest.raises(InputError, match="--out is inside the input glob"):
        refuse_outputs_over_inputs(str(data / ".audit"), {}, data_inputs=[str(data / ".*")], other_inputs=[])
    with pytest.raises(InputError, match="--out is inside the input glob"):
        refuse_outputs_over_inputs(str(data / "a" / "reports"), {}, data_inputs=[str(data / "*")], other_inputs=[])


@pytest.mark.parametrize("flag, name", [("--suspects", "s.csv"), ("--timings", "t.json")])
def test_a_single_file_output_an_input_folder_or_glob_would_read_is_refused_before_it_exists(tmp_path, flag, name):
    from dataaudit.load.inputs import expand_inputs

    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.jsonl").write_text('{"text": "a"}\n')
    for named, output in ((data, data / name), (data, data / "sub" / name), (tmp_path / "d*", data / name),
                          (data / "*", data / name)):
        with pytest.raises(InputError) as caught:
            refuse_outputs_over_inputs(None, {flag: str(output)}, data_inputs=[str(named)], other_inputs=[])
        kind = "folder" if named == data else "glob"
        assert str(caught.value) == (f"{output}: {flag} is inside the input {kind} {named}, so the next audit of it would "
                                     f"read this file as training data; name a file outside it for {flag}")
        assert not output.exists()
    # what the same inputs would not read: beside a named file, unmatched by the glob, hidden, outside
    for named, output in ((data / "a.jsonl", data / name), (data / "*.jsonl", data / name), (data, data / f".{name}"),
                          (data, tmp_path / name)):
        refuse_outputs_over_inputs(None, {flag: str(output)}, data_inputs=[str(named)], other_inputs=[])
        output.write_text("{}\n" if name.endswith("json") else "x\n")
        assert str(output) not in expand_inputs(str(named))
        output.unlink()


def test_a_report_name_in_out_or_out_itself_that_is_a_fifo_is_refused_and_left_alone(tmp_path):
    import os
    import stat

    if not hasattr(os, "mkfifo"):
        pytest.skip("FIFOs are POSIX")
    out = tmp_path / "out"
    out.mkdir()
    os.mkfifo(out / "report.md")
    with pytest.raises(InputError) as caught:
        prepare_out_folder(str(out), ["report.json", "report.md"])
    assert str(caught.value) == (f"{out / 'report.md'}: not a regular file (a device, FIFO or socket): name a file for "
                                 "--out (report.md)")
    assert prepare_out_folder(str(out), ["report.json"]) == []  # a name the command does not write is not its business
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(InputError) as caught:
        prepare_out_folder(str(tmp_path / "pipe"))
    assert str(caught.value) == (f"{tmp_path / 'pipe'}: --out must be a folder for the reports, and this is not a "
                                 "regular file (a device, FIFO or socket); name a folder")
    assert stat.S_ISFIFO(os.stat(out / "report.md").st_mode) and stat.S_ISFIFO(os.stat(tmp_path / "pipe").st_mode)


def test_a_single_file_output_the_walk_would_not_read_as_data_is_allowed_inside_an_input_folder(tmp_path):
    from dataaudit.load.inputs import expand_inputs

    data = tmp_path / "dd"
    (data / "sub").mkdir(parents=True)
    (data / "a.jsonl").write_text('{"text": "a"}\n')
    for named, output in ((data, data / "timings.log"), (data, data / "sub" / "timings.log"),
                          (tmp_path / "d*", data / "timings.log"), (data / "*", data / "timings.log")):
        refuse_outputs_over_inputs(None, {"--timings": str(output)}, data_inputs=[str(named)], other_inputs=[])
        output.write_text("x\n")
        assert str(output) not in expand_inputs(str(named))
        output.unlink()
    # a glob that spells the suffix takes that file, and one in a folder it matches is walked past
    with pytest.raises(InputError, match=r"--timings is inside the input glob .*\*\.log, so the next audit"):
        refuse_outputs_over_inputs(None, {"--timings": str(data / "t.log")}, data_inputs=[str(data / "*.log")],
                                   other_inputs=[])
    refuse_outputs_over_inputs(None, {"--timings": str(data / "sub" / "t.log")}, data_inputs=[str(tmp_path / "d*" / "*.log")],
                               other_inputs=[])
