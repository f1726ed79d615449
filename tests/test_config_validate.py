"""Config.validate(): a Config built or changed in code is checked as a file is (README, Python API)."""

from __future__ import annotations

import re

import pytest

from dataaudit.config import Config, ConfigError, load_config


@pytest.mark.parametrize("key, value, message", [
    ("size.min_examples_classification", "100", "size.min_examples_classification: expected an integer, got str '100'"),
    ("coverage.label_neighbours", 2.5, "coverage.label_neighbours: expected an integer, got float 2.5"),
    ("duplicates.lexical", "yes", "duplicates.lexical: expected true or false, got str 'yes'"),
    ("agreement.ordinal_order", "low,high", "agreement.ordinal_order: expected a list, got str"),
    ("label_noise.max_train_rows", "x", "label_noise.max_train_rows: expected an integer, got str 'x'"),
    ("coverage.label_neighbours", -5, "coverage.label_neighbours: must be between 1 and 1000 (k of a nearest-neighbour search: every input keeps k neighbours in memory), got -5"),
])
def test_a_value_set_in_code_is_checked_as_loading_checks_it(key, value, message):
    config = Config()
    section, name = key.split(".")
    setattr(getattr(config, section), name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        config.validate()


def test_a_table_replaced_in_code_by_a_value_is_refused():
    config = Config()
    config.size = 5
    with pytest.raises(ConfigError, match=r"^size: expected a table \[size\] \(SizeConfig\), got int"):
        config.validate()


def test_a_config_from_a_file_names_the_file_in_a_later_type_error(tmp_path):
    path = tmp_path / "dataaudit.toml"
    path.write_text("[size]\ncontext_limit = 2048\n")
    config = load_config(path)
    config.size.context_limit = "2048"
    with pytest.raises(ConfigError, match=f"^{path}: size.context_limit: expected an integer"):
        config.validate()


def test_a_level_listed_twice_in_ordinal_order_is_refused(tmp_path):
    """QA: ["account", "billing", "account"] was accepted and alpha computed over a shifted order."""
    path = tmp_path / "dataaudit.toml"
    path.write_text('[agreement]\nlevel = "ordinal"\nordinal_order = ["account", "billing", "account"]\n')
    with pytest.raises(ConfigError, match=f"^{path}: agreement.ordinal_order: 'account' is listed twice"):
        load_config(path)
    path.write_text('[agreement]\nlevel = "ordinal"\nordinal_order = ["account", "billing"]\n')
    assert load_config(path).agreement.ordinal_order == ["account", "billing"]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_skipped_condition_needs_a_reason(tmp_path, reason):
    path = tmp_path / "dataaudit.toml"
    path.write_text(f'[conditions]\nskip = {{ hygiene = "{reason}" }}\n')
    with pytest.raises(ConfigError, match=f"^{path}: conditions.skip.hygiene: give the reason it is not judged"):
        load_config(path)
    path.write_text('[conditions]\nskip = { hygiene = "handled upstream" }\n')
    assert load_config(path).conditions.skip == {"hygiene": "handled upstream"}


def test_overrides_given_as_a_list_of_pairs_are_a_type_error_naming_the_parameter():
    from dataaudit.config import Config, config_with_overrides

    with pytest.raises(TypeError, match=r"overrides=.*dict of dotted keys"):
        config_with_overrides(Config(), [("size.min_examples_format", 10)])
