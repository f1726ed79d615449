"""Reading config files: [tool.dataaudit] decided on the parsed pyproject, a byte-order mark, and the line of
the key an error names."""

from __future__ import annotations

import pytest

from dataaudit.config import ConfigError, find_config_file, load_config


@pytest.mark.parametrize("text", [
    '[project]\nname = "x"\n[tool]\ndataaudit = { size = { min_examples_classification = 100 } }\n',
    '[project]\nname = "x"\n[tool."dataaudit".size]\nmin_examples_classification = 100\n',
    '[tool.dataaudit.size]\nmin_examples_classification = 100\n',
])
def test_every_toml_spelling_of_the_pyproject_table_is_found(tmp_path, text):
    """QA: a byte search for `tool.dataaudit` missed the inline and quoted spellings, and ran on the defaults."""
    (tmp_path / "pyproject.toml").write_text(text)
    sub = tmp_path / "sub"
    sub.mkdir()
    assert find_config_file(sub) == tmp_path / "pyproject.toml"
    assert load_config(search_from=sub).size.min_examples_classification == 100


def test_a_pyproject_naming_the_table_only_in_a_comment_does_not_shadow_the_parent_config(tmp_path):
    (tmp_path / "dataaudit.toml").write_text("[size]\nmin_examples_classification = 100\n")
    child = tmp_path / "child"
    child.mkdir()
    (child / "pyproject.toml").write_text('[project]\nname = "x"\n# our tool.dataaudit settings live in ../dataaudit.toml\n')
    assert find_config_file(child) == tmp_path / "dataaudit.toml"
    assert load_config(search_from=child).size.min_examples_classification == 100


def test_a_pyproject_passed_by_name_without_the_table_is_an_error(tmp_path):
    """QA: --config pyproject.toml with no [tool.dataaudit] silently ran on the defaults."""
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n')
    with pytest.raises(ConfigError, match=f"^{path}: no \\[tool.dataaudit\\] table; add one, or pass a dataaudit.toml$"):
        load_config(path)


@pytest.mark.parametrize("found", [True, False])
def test_a_tool_dataaudit_that_is_not_a_table_is_an_error_not_a_traceback(tmp_path, found):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n[tool]\ndataaudit = 5\n')
    with pytest.raises(ConfigError, match=f"^{path}: \\[tool.dataaudit\\] must be a table \\(got int\\)"):
        load_config(search_from=tmp_path) if found else load_config(path)


@pytest.mark.parametrize("text, message", [
    ("coverage = 5\n", "coverage: expected a table [coverage]"),
    ("[conditions]\nskip = 5\n", "conditions.skip: expected a table, got int"),
    ("maintenance = 5\n", "maintenance: expected a table [maintenance]"),
])
def test_a_section_that_is_not_a_table_names_it(tmp_path, text, message):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_a_byte_order_mark_is_read_past(tmp_path):
    """Notepad writes one; tomllib refused the file at line 1, column 1."""
    path = tmp_path / "dataaudit.toml"
    path.write_bytes(b"\xef\xbb\xbf[size]\nmin_examples_classification = 100\n")
    assert load_config(path).size.min_examples_classification == 100
    (tmp_path / "pyproject.toml").write_bytes(b"\xef\xbb\xbf[tool.dataaudit.size]\ncontext_limit = 2048\n")
    path.unlink()
    assert load_config(search_from=tmp_path).size.context_limit == 2048


@pytest.mark.parametrize("text, line", [
    ("# c\n\n[size]\ncontext_limit = 1024\nmin_examples_clasification = 10\n", 5),
    ("[agreement]\nseed = 0\n\n[size]\ncontext_limit = \"big\"\n", 5),
    ("dataset_name = 'x'\nsize.context_limit = 0\n", 2),
    ("[ agreement ]   # bars\nreliable_alpha = 1.2\n", 2),
    ("[conditions]\nfull_decision = false\nskip = { hygiene = \"\" }\n", 3),
    ("[label_noise]\nseed = 0\nwarn_error_rate = 0.2\n", 1),  # a message about the table: its header
])
def test_an_error_names_the_line_of_its_key(tmp_path, text, line):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).endswith(f"(at line {line})")


def test_the_line_is_found_inside_a_pyproject_table(tmp_path):
    path = tmp_path / "pyproject.toml"
    path.write_text('[project]\nname = "x"\n[tool.dataaudit.size]\ncontext_limit = 1024\nmin_examples_clasification = 10\n')
    with pytest.raises(ConfigError, match=r"unknown key size.'min_examples_clasification' .*\(at line 5\)$"):
        load_config(path)


def test_a_top_level_key_below_a_table_says_to_move_it_up(tmp_path):
    path = tmp_path / "dataaudit.toml"
    path.write_text('[size]\nmin_examples_classification = 100\n\ntask_type = "format"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).endswith("; task_type is a top-level key: move it above the first [table] (below [size] it is "
                                      "read as part of that table) (at line 4)")


def test_an_unparsable_pyproject_that_only_names_dataaudit_as_a_dependency_is_skipped(tmp_path):
    """The pre-filter widened to b"dataaudit" made a half-typed `[tool.poetry` in a project that depends on us
    stop discovery with 'invalid TOML' though the file holds no table of ours (QA rev39 7)."""
    (tmp_path / "dataaudit.toml").write_text("[size]\nmin_examples_classification = 100\n")
    child = tmp_path / "child"
    child.mkdir()
    (child / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["dataaudit>=0.1"]\n[tool.poetry\n')
    assert find_config_file(child) == tmp_path / "dataaudit.toml"
    assert load_config(search_from=child).size.min_examples_classification == 100


@pytest.mark.parametrize("ours", ['[tool.dataaudit]\ntask_type = \n', '[tool."dataaudit".size]\nx = \n',
                                  '[tool]\ndataaudit = { task_type = \n', '[tool]\ndataaudit.task_type = \n',
                                  'tool.dataaudit.task_type = \n'])
def test_an_unparsable_pyproject_that_may_hold_our_table_is_still_an_error(tmp_path, ours):
    (tmp_path / "dataaudit.toml").write_text("[size]\nmin_examples_classification = 100\n")
    child = tmp_path / "child"
    child.mkdir()
    (child / "pyproject.toml").write_text('[project]\nname = "x"\n' + ours)
    with pytest.raises(ConfigError, match=r"child/pyproject.toml: invalid TOML: .*; fix the file or pass config_path="):
        find_config_file(child)


def test_a_byte_that_is_not_utf8_is_counted_from_the_file_start_after_a_byte_order_mark(tmp_path):
    """exc.start counts after the mark utf-8-sig reads past: the byte was named 3 too early."""
    raw = 'task_type = "caf\xe9"\n'.encode("latin-1")
    path = tmp_path / "dataaudit.toml"
    for mark in (b"", b"\xef\xbb\xbf"):
        path.write_bytes(mark + raw)
        with pytest.raises(ConfigError) as caught:
            load_config(path)
        at = len(mark) + raw.index(b"\xe9")  # 0-based, in the file
        assert (mark + raw)[at] == 0xE9 and f"not UTF-8 text (byte {at + 1});" in str(caught.value)
