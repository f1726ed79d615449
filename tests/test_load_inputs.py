"""Inputs named by path, folder, glob and file:// URI: the same files, read the same way, each once."""

from __future__ import annotations

import gzip
import hashlib
import json
import warnings
from pathlib import Path

import pytest

from dataaudit.api import audit
from dataaudit.cli import main
from dataaudit.config import Config
from dataaudit.engine.local import LocalEngine
from dataaudit.errors import InputError, InputWarning
from dataaudit.load.inputs import expand_inputs
from tests.conftest import write_jsonl
from tests.engine_data import clinc_shards

ANNOTATION_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "annotation_tools"


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return clinc_shards(tmp_path_factory.mktemp("shards"))


def file_uri(path) -> str:
    return Path(path).resolve().as_uri()


def records_text(count: int, start: int = 0) -> str:
    return "".join(json.dumps({"prompt": f"question number {i} about topic {i % 7}", "completion": f"answer {i}"}) + "\n"
                   for i in range(start, start + count))


def test_a_gzip_uri_is_hashed_and_decompressed_as_the_local_path_is(tmp_path):
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(gzip.compress(records_text(40).encode()))
    by_path = LocalEngine().read(str(whole), Config())
    by_uri = LocalEngine().read(file_uri(whole), Config())
    assert by_uri.files[0].sha256 == by_path.files[0].sha256 == hashlib.sha256(whole.read_bytes()).hexdigest()
    assert len(by_uri.records) == len(by_path.records) == 40


def test_a_truncated_gzip_uri_is_a_file_error_of_that_input_and_the_others_are_read(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(records_text(30))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(records_text(400, start=100).encode())[:1500])
    by_path = LocalEngine().read([str(good), str(cut)], Config())
    by_uri = LocalEngine().read([str(good), file_uri(cut)], Config())
    assert [(e.line, e.field) for e in by_uri.errors] == [(e.line, e.field) for e in by_path.errors]
    assert by_uri.errors and by_uri.errors[-1].source == file_uri(cut)
    assert by_uri.errors[-1].message == by_path.errors[-1].message and "file ends early" in by_uri.errors[-1].message
    assert len(by_uri.records) == len(by_path.records) >= 30


def shards_with_subfolders(root: Path) -> Path:
    folder = root / "shards"
    (folder / "a").mkdir(parents=True)
    (folder / "b").mkdir()
    (folder / "f.jsonl").write_text(records_text(20))
    (folder / "c.json").write_text(records_text(10, start=20))
    (folder / "a" / "part.jsonl").write_text(records_text(15, start=30))
    (folder / "a" / "notes.txt").write_text("about part a\n")
    (folder / "b" / "part.jsonl").write_text(records_text(5, start=45))
    (folder / "README.md").write_text("# card\n")
    (folder / ".hidden.jsonl").write_text(records_text(3, start=90))
    return folder


def expanded(given) -> tuple[list[str], list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        files = expand_inputs(given)
    return files, [str(w.message) for w in caught if issubclass(w.category, InputWarning)]


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_folder_and_its_glob_take_the_same_files_subfolders_included_and_name_every_skipped_file(tmp_path, as_uri):
    folder = shards_with_subfolders(tmp_path)
    name = file_uri if as_uri else str
    by_folder, folder_warnings = expanded(name(folder))
    by_glob, glob_warnings = expanded(name(folder) + "/*")
    relative = [str(Path(f.removeprefix("file://")).relative_to(folder)) for f in by_folder]
    assert relative == ["a/part.jsonl", "b/part.jsonl", "c.json", "f.jsonl"]
    assert by_glob == by_folder
    assert folder_warnings == [f"{name(folder)}: skipped 2 files in the folder that are not data files "
                               "(README.md, a/notes.txt); name a file to have it read"]
    # the glob names README.md (its own match) and the matched folder a names its notes.txt: each once
    assert sorted(glob_warnings) == sorted([
        f"{name(folder)}/*: skipped 1 matched file that is not a data file (README.md), as a folder's scan does; "
        "name a file to have it read",
        f"{name(folder / 'a')}: skipped 1 file in the folder that is not a data file (notes.txt); name a file to have it read"])
    assert len(LocalEngine().read(name(folder), Config()).records) == 50


def test_one_file_named_as_a_path_and_as_a_file_uri_is_read_once_under_its_first_name(tmp_path):
    data = tmp_path / "f.jsonl"
    data.write_text(records_text(25))
    files, said = expanded([str(data), file_uri(data)])
    assert files == [str(data)]
    assert said == [f"{file_uri(data)}: the same file as {data}, named twice: read once"]
    files, said = expanded([file_uri(data), str(tmp_path / "." / "f.jsonl")])
    assert files == [file_uri(data)] and len(said) == 1
    assert len(LocalEngine().read([str(data), file_uri(data)], Config()).records) == 25


def test_long_layout_ratings_given_as_uris_are_grouped_by_item_across_files_as_local_paths_are(tmp_path):
    from dataaudit.config import config_from_dict
    from tests.engine_data import ANNOTATION_CONFIG, annotation_shards

    folder = annotation_shards(tmp_path / "ann")
    config = config_from_dict(ANNOTATION_CONFIG)
    by_path = LocalEngine().read(str(folder), config)
    by_uri = LocalEngine().read(file_uri(folder), config)
    assert len(by_uri.records) == len(by_path.records) == 40 + 15 + 40 + 30 + 6  # a spanning item is one record
    assert [(r.line, r.label) for r in by_uri.records] == [(r.line, r.label) for r in by_path.records]
    assert [f.path for f in by_uri.files] == [file_uri(f.path) for f in by_path.files]
    assert by_uri.name == by_path.name == "ann"
    local = audit(str(folder), config, embed=False).to_dict()["checks"]["agreement"]
    remote = audit(file_uri(folder), config, embed=False).to_dict()["checks"]["agreement"]
    assert [remote[k] for k in ("items", "ratings", "krippendorff_alpha", "ties")] == [local[k] for k in ("items", "ratings", "krippendorff_alpha", "ties")]
    assert local["items"] == 131


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_glob_skips_a_matched_folder_without_data_files_as_a_folders_scan_does(tmp_path, as_uri):
    name = file_uri if as_uri else str
    data = tmp_path / "data"
    (data / "docs").mkdir(parents=True)
    (data / "empty").mkdir()
    (data / "a.jsonl").write_text(records_text(4))
    (data / "docs" / "notes.txt").write_text("about the data\n")
    by_folder, _ = expanded(name(data))
    by_glob, glob_warnings = expanded(name(data) + "/*")
    assert by_glob == by_folder == [name(data / "a.jsonl")]
    assert glob_warnings == [f"{name(data / 'docs')}: skipped 1 file in the folder that is not a data file (notes.txt); "
                             "name a file to have it read"]
    (data / "a.jsonl").unlink()
    with pytest.raises(InputError) as caught:
        expanded(name(data) + "/*")
    assert str(caught.value) == (f"{name(data)}/*: matches 2 folders and none holds a data file "
                                 "(.jsonl, .ndjson, .json, .csv, .tsv, .tab, .parquet, .pq, compressed or not)")
    with pytest.raises(InputError, match="directory holds no data files"):
        expanded(name(data / "empty"))


def test_a_subfolder_that_cannot_be_read_is_skipped_and_named_and_an_unreadable_named_folder_is_an_error(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "lost+found").mkdir(parents=True)
    (data / "a.jsonl").write_text(records_text(4))
    closed = {data / "lost+found"}
    real_iterdir, real_is_file = Path.iterdir, Path.is_file

    # as for a root-only folder read by another user (tests may run as root, for whom modes do not hold)
    def iterdir(path):
        if path in closed:
            raise PermissionError(13, "Permission denied", str(path))
        return real_iterdir(path)

    def is_file(path):
        if path.parent in closed:
            raise PermissionError(13, "Permission denied", str(path))
        return real_is_file(path)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    monkeypatch.setattr(Path, "is_file", is_file)
    files, said = expanded(str(data))
    assert files == [str(data / "a.jsonl")]
    assert said == [f"{data}: skipped 1 subfolder it may not read (lost+found); name a file to have it read"]
    closed.add(data)
    with pytest.raises(InputError) as caught:
        expanded(str(data))
    assert str(caught.value) == f"{data}: cannot read this folder (Permission denied); name one you may read"


def test_a_uri_folder_keeps_an_argilla_export_as_one_input_read_with_its_settings_as_locally(tmp_path):
    labels = [f"topic {n}" for n in range(12)]
    export = tmp_path / "data" / "argilla_export"
    export.mkdir(parents=True)
    (export / "records.json").write_text(json.dumps(
        [{"id": f"r{i}", "fields": {"text": f"message {i}"},
          "responses": {"topic": [{"value": labels[i], "user_id": "u1"}, {"value": labels[i + 6 * (i % 2)], "user_id": "u2"}]}}
         for i in range(6)]))
    (export / "settings.json").write_text(json.dumps(
        {"questions": [{"name": "topic", "settings": {"type": "label_selection", "options": [{"value": v} for v in labels]}}]}))
    folder = tmp_path / "data"
    assert expanded(str(folder)) == ([str(export)], [])
    assert expanded(file_uri(folder)) == ([file_uri(export / "records.json")], [])
    assert expanded(file_uri(folder) + "/*") == ([file_uri(export / "records.json")], [])
    by_path = LocalEngine().read(str(folder), Config())
    by_uri = LocalEngine().read(file_uri(folder), Config())
    # without settings.json the 12-label question reads as free text ('textarea'), not judged
    assert by_uri.annotation_export.questions == by_path.annotation_export.questions == {"topic": "choices"}
    assert [r.input_text for r in by_uri.records] == [r.input_text for r in by_path.records]
    assert len(by_uri.records) == 6


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_subfolder_holding_a_report_set_is_skipped_and_named(tmp_path, as_uri):
    name = file_uri if as_uri else str
    data = tmp_path / "data"
    (data / "audit").mkdir(parents=True)
    (data / "a.jsonl").write_text(records_text(4))
    (data / "audit" / "report.json").write_text("{}")
    (data / "audit" / "duplicates.jsonl").write_text('{"line": 1}\n')
    files, said = expanded(name(data))
    assert files == [name(data / "a.jsonl")]
    assert said == [f"{name(data)}: skipped 1 subfolder holding a dataaudit report set, whose duplicates.jsonl and "
                    "report.json are reports, not training data (audit); name a file to have it read"]
    (data / "audit" / "duplicates.jsonl").unlink()  # report.json alone is a JSON file like another
    assert expanded(name(data))[0] == [name(data / "a.jsonl"), name(data / "audit" / "report.json")]


def test_a_uri_folder_and_its_subfolders_are_listed_in_one_request(tmp_path, monkeypatch):
    from dataaudit.load import inputs

    folder = shards_with_subfolders(tmp_path)
    (folder / "a" / "deeper" / "deepest").mkdir(parents=True)
    (folder / "a" / "deeper" / "deepest" / "x.jsonl").write_text(records_text(2))
    listings = []
    real_listing = inputs._listing
    monkeypatch.setattr(inputs, "_listing", lambda uri, recursive: listings.append(recursive) or real_listing(uri, recursive))
    files, _ = expanded(file_uri(folder))
    assert [str(Path(f.removeprefix("file://")).relative_to(folder)) for f in files] == [
        "a/deeper/deepest/x.jsonl", "a/part.jsonl", "b/part.jsonl", "c.json", "f.jsonl"]
    assert listings == [True]


@pytest.mark.parametrize("as_uri", [False, True])
def test_a_glob_skips_a_matched_folder_that_is_itself_a_report_set_and_names_it(tmp_path, as_uri):
    name = file_uri if as_uri else str
    runs = tmp_path / "runs"
    (runs / "data").mkdir(parents=True)
    (runs / "report").mkdir()
    (runs / "data" / "train.jsonl").write_text(records_text(4))
    for report in ("report.json", "report.md", "duplicates.jsonl"):
        (runs / "report" / report).write_text("{}\n")
    files, said = expanded(name(runs) + "/*")
    assert files == [name(runs / "data" / "train.jsonl")]
    assert said == [f"{name(runs)}/*: skipped 1 matched folder holding a dataaudit report set, whose duplicates.jsonl "
                    "and report.json are reports, not training data (report); name a file to have it read"]
    assert expanded(name(runs))[0] == files
    # a report folder named itself is read as named: its name is a choice, as a file's is
    assert expanded(name(runs / "report"))[0] == [name(runs / "report" / "duplicates.jsonl"),
                                                  name(runs / "report" / "report.json")]


def test_a_glob_skips_a_matched_folder_it_may_not_read_and_names_it(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    (data / "lost+found").mkdir()
    (data / "a" / "t.jsonl").write_text(records_text(4))
    real_iterdir = Path.iterdir

    def iterdir(path):  # as for a root-only folder read by another user (tests may run as root)
        if path == data / "lost+found":
            raise PermissionError(13, "Permission denied", str(path))
        return real_iterdir(path)

    monkeypatch.setattr(Path, "iterdir", iterdir)
    files, said = expanded(str(data / "*"))
    assert files == [str(data / "a" / "t.jsonl")]
    assert said == [f"{data}/*: skipped 1 matched folder it may not read (lost+found); name a file to have it read"]
    with pytest.raises(InputError) as caught:
        expanded(str(data / "l*"))
    assert str(caught.value) == (f"{data}/l*: matches 1 folder and none holds a data file "
                                 "(.jsonl, .ndjson, .json, .csv, .tsv, .tab, .parquet, .pq, compressed or not)")


def test_a_directory_is_its_data_files_sorted_and_a_glob_its_matches(shards):
    names = [Path(p).name for p in expand_inputs(shards.train)]
    assert names == ["train_0.jsonl", "train_1.csv", "train_2.parquet"]  # README.md left out
    assert [Path(p).name for p in expand_inputs(str(shards.production / "prod_*.jsonl"))] == ["prod_0.jsonl", "prod_1.jsonl"]
    both = expand_inputs([shards.train, str(shards.train / "train_1.csv")])
    assert len(both) == 3  # a file named twice is read once


def test_one_file_under_two_names_is_read_once_with_a_note_and_a_copy_stays_an_input(tmp_path, capsys):
    rows = [{"text": f"ticket {i}", "label": "a" if i % 2 else "b"} for i in range(40)]
    first = write_jsonl(tmp_path / "t.jsonl", rows)
    (tmp_path / "link.jsonl").symlink_to(first)
    (tmp_path / "copy.jsonl").write_bytes(first.read_bytes())
    with pytest.warns(Warning, match="link.jsonl: the same file as .*t.jsonl, named twice: read once"):
        assert expand_inputs([first, tmp_path / "link.jsonl", str(tmp_path / "." / "t.jsonl")]) == [str(first)]
    report = audit([first, tmp_path / "link.jsonl", tmp_path / "copy.jsonl"], Config(), embed=False).to_dict()
    assert [Path(i["path"]).name for i in report["inputs"]] == ["t.jsonl", "copy.jsonl"]
    assert report["warnings"] == [f"{tmp_path / 'link.jsonl'}: the same file as {first}, named twice: read once"]
    assert report["checks"]["duplicates"]["exact_group_count"] == 40  # each record of the copy copies one of the first file's
    capsys.readouterr()
    assert main(["dedup", str(first), str(tmp_path / "link.jsonl"), "--no-embeddings", "--out", str(tmp_path / "clean")]) == 0
    assert "dataaudit: note: " in capsys.readouterr().err
    assert sum(1 for _ in (tmp_path / "clean" / "t.jsonl").open()) == 40


def test_an_annotation_export_folder_is_one_input_and_other_folders_still_expand(tmp_path, shards):
    # An Argilla 2.x folder (records.json beside settings.json) is one export: expanded into its JSON files it
    # was refused as "an annotation-tool export ... together with files of another kind".
    argilla = tmp_path / "argilla"
    argilla.mkdir()
    for name in ("records.json", "settings.json"):
        (argilla / name).write_bytes((ANNOTATION_FIXTURES / "argilla" / name).read_bytes())
    assert expand_inputs(argilla) == [str(argilla)]
    assert LocalEngine().read([argilla], Config()).name == "argilla"  # the folder's name, as on Ray; not "records"
    assert [Path(p).name for p in expand_inputs([argilla, shards.train])] == ["argilla", "train_0.jsonl", "train_1.csv", "train_2.parquet"]
    assert main(["audit", str(argilla), "--no-embeddings", "--out", str(tmp_path / "out")]) == 1  # audited: not ready
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["checks"]["format"]["formats"] == {"argilla": 30}


def test_an_empty_path_is_an_input_error_not_the_current_folder(tmp_path, monkeypatch):
    write_jsonl(tmp_path / "some.jsonl", [{"text": "x", "label": "a"}])
    monkeypatch.chdir(tmp_path)
    for given in ("", [str(tmp_path / "some.jsonl"), ""]):
        with pytest.raises(InputError, match="^the input path is empty: "):
            expand_inputs(given)


def test_an_empty_directory_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="no data files"):
        expand_inputs(tmp_path)


def test_a_uri_directory_is_its_data_files_and_a_uri_glob_its_matches_on_that_filesystem(shards):
    assert expand_inputs(file_uri(shards.train)) == [file_uri(p) for p in expand_inputs(shards.train)]
    assert expand_inputs(file_uri(shards.production) + "/prod_*.jsonl") == [
        file_uri(shards.production / "prod_0.jsonl"), file_uri(shards.production / "prod_1.jsonl")]
    # A pattern over folders lists recursively and matches segment by segment.
    assert expand_inputs(file_uri(shards.train.parent) + "/*/*_1.*") == [
        file_uri(shards.production / "prod_1.jsonl"), file_uri(shards.train / "train_1.csv")]
    one = file_uri(shards.train / "train_1.csv")
    assert expand_inputs([one, file_uri(shards.train)])[0] == one and len(expand_inputs([one, file_uri(shards.train)])) == 3


def test_a_uri_glob_or_directory_with_nothing_to_read_is_an_input_error(shards, tmp_path):
    with pytest.raises(InputError, match="no file matches this pattern"):
        expand_inputs(file_uri(shards.train) + "/*.xlsx")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match="directory holds no data files"):
        expand_inputs(file_uri(tmp_path))


def test_a_folder_and_its_glob_skip_a_broken_link_alike_and_name_it_as_one(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.jsonl").write_text(records_text(4))
    (data / "b.jsonl").symlink_to(tmp_path / "nowhere" / "x.jsonl")
    (data / "b2.jsonl").symlink_to("b2.jsonl")  # a link to itself: stat fails with ELOOP, not ENOENT
    by_folder, folder_warnings = expanded(str(data))
    by_glob, glob_warnings = expanded(str(data / "*.jsonl"))
    assert by_folder == by_glob == [str(data / "a.jsonl")]
    assert folder_warnings == [f"{data}: skipped 2 broken symbolic links in the folder (b.jsonl, b2.jsonl); fix a broken "
                               "link (or name the file it should point to) to have it read"]
    assert glob_warnings == [f"{data / '*.jsonl'}: skipped 2 broken symbolic links (b.jsonl, b2.jsonl), as a folder's "
                             "scan does; fix a broken link (or name the file it should point to) to have it read"]
    assert len(LocalEngine().read(str(data / "*.jsonl"), Config()).records) == 4
    with pytest.raises(InputError, match=r"matches only 2 broken symbolic links \(b.jsonl, b2.jsonl\)"):
        expanded(str(data / "b*"))


def test_a_broken_link_named_on_its_own_is_said_to_be_one(tmp_path):
    link = tmp_path / "b.jsonl"
    link.symlink_to(tmp_path / "gone.jsonl")
    with pytest.raises(InputError) as caught:
        LocalEngine().read(str(link), Config())
    assert str(caught.value) == (f"{link}: is a broken symbolic link (to {tmp_path / 'gone.jsonl'}); fix the link or "
                                 "name the file it should point to")


def test_folder_links_back_up_the_tree_are_skipped_and_named_by_the_folder_and_its_glob(tmp_path):
    data = tmp_path / "loop"
    (data / "sub").mkdir(parents=True)
    (data / "a.jsonl").write_text(records_text(4))
    (data / "sub" / "up").symlink_to("..")
    (data / "sub" / "self").symlink_to("../loop")  # relative to sub: loop/loop, which does not exist
    by_folder, folder_warnings = expanded(str(data))
    by_glob, glob_warnings = expanded(str(data / "*"))
    assert by_folder == by_glob == [str(data / "a.jsonl")]
    assert folder_warnings == [f"{data}: skipped 1 broken symbolic link in the folder (sub/self); and 1 folder link that "
                               "leads back to a folder above or to one read anyway (sub/up); fix a broken link (or name the "
                               "file it should point to) to have it read"]
    assert glob_warnings == [f"{data / 'sub'}: skipped 1 broken symbolic link in the folder (self); and 1 folder link "
                             "that leads back to a folder above or to one read anyway (up); fix a broken link (or name the "
                             "file it should point to) to have it read"]


def test_a_second_link_to_a_folder_already_read_is_named_not_read_twice(tmp_path):
    data = tmp_path / "data"
    (data / "real").mkdir(parents=True)
    (data / "real" / "a.jsonl").write_text(records_text(4))
    (data / "zlink").symlink_to("real")
    files, said = expanded(str(data))
    assert files == [str(data / "real" / "a.jsonl")]
    assert said == [f"{data}: skipped 1 folder link that leads back to a folder above or to one read anyway (zlink)"]


@pytest.mark.parametrize("link_name", ["a_link", "zz_link"])
def test_a_link_to_a_folder_inside_is_skipped_and_the_real_folder_read_whichever_sorts_first(tmp_path, link_name):
    data = tmp_path / "lk"
    (data / "m_real").mkdir(parents=True)
    (data / "m_real" / "d.jsonl").write_text(records_text(4))
    (data / link_name).symlink_to("m_real")
    files, said = expanded(str(data))
    assert files == [str(data / "m_real" / "d.jsonl")]
    assert said == [f"{data}: skipped 1 folder link that leads back to a folder above or to one read anyway ({link_name})"]


def test_a_link_to_a_hidden_folder_inside_is_read_through_the_link(tmp_path):
    data = tmp_path / "data"
    (data / ".store").mkdir(parents=True)
    (data / ".store" / "d.jsonl").write_text(records_text(4))
    (data / "shown").symlink_to(".store")
    files, said = expanded(str(data))
    assert files == [str(data / "shown" / "d.jsonl")] and said == []


def test_a_link_from_one_matched_folder_into_another_is_skipped_by_the_glob_as_by_the_folder(tmp_path):
    """`lk/*` read lk/b's file through the link lk/a/l -> ../b (and lk/b's own copy was "named twice"), where `lk`
    skips the link and reads lk/b as itself (second review); a glob matching lk/a alone reads it as `lk/a` does."""
    data = tmp_path / "lk"
    (data / "a").mkdir(parents=True)
    (data / "b").mkdir()
    (data / "a" / "e.jsonl").write_text(records_text(2))
    (data / "b" / "d.jsonl").write_text(records_text(3))
    (data / "a" / "l").symlink_to("../b")
    by_folder, _ = expanded(str(data))
    by_glob, said = expanded(str(data / "*"))
    assert by_glob == by_folder == [str(data / "a" / "e.jsonl"), str(data / "b" / "d.jsonl")]
    assert said == [f"{data / 'a'}: skipped 1 folder link that leads back to a folder above or to one read anyway (l)"]
    assert expanded(str(data / "a*"))[0] == expanded(str(data / "a"))[0] == [str(data / "a" / "e.jsonl"), str(data / "a" / "l" / "d.jsonl")]


def test_files_merged_per_file_are_named_after_their_folder_the_current_one_too(tmp_path, monkeypatch):
    from dataaudit.load.inputs import dataset_name

    monkeypatch.chdir(tmp_path)
    assert dataset_name(["a.jsonl", "b.jsonl"], Config()) == tmp_path.name
    assert dataset_name(["s3://bucket/batches/a.jsonl", "s3://bucket/batches/b.jsonl"], Config()) == "batches"
    assert dataset_name(["a.jsonl"], Config()) == "a"
