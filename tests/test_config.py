from __future__ import annotations

import pytest

from dataaudit.config import Config, ConfigError, config_with_overrides, default_config_text, load_config


def test_defaults_encode_the_field_figures():
    config = Config()
    assert (config.size.min_examples_format, config.size.min_examples_classification, config.size.min_examples_generation) == (100, 500, 1000)
    assert (config.agreement.reliable_alpha, config.agreement.tentative_alpha) == (0.8, 0.667)
    assert (config.coverage.min_covered_share, config.coverage.max_uncovered_scenario_share) == (0.9, 0.05)
    assert (config.duplicates.near_cosine, config.hygiene.max_duplicate_share, config.hygiene.max_conflict_share) == (0.95, 0.1, 0.01)


def test_unknown_key_names_the_key_and_file(tmp_path):
    path = tmp_path / "dataaudit.toml"
    path.write_text("[agreement]\nreliable_alpa = 0.9\n")
    with pytest.raises(ConfigError, match=r"dataaudit.toml: unknown key agreement.'reliable_alpa'"):
        load_config(path)


@pytest.mark.parametrize("text, message", [
    ("task_type = 3", "task_type: expected a string"),
    ("[size]\ncontext_limit = \"big\"", "size.context_limit: expected an integer"),
    ("[duplicates]\nlexical = 1", "duplicates.lexical: expected true or false"),
    ("[agreement]\nlevel = \"fuzzy\"", "agreement.level: 'fuzzy' is not one of"),
    ("task_type = \"poetry\"", "task_type: 'poetry' is not one of"),
    ("[conditions]\nskip = { vibes = \"no\" }", "conditions.skip: unknown condition 'vibes'"),
    ("size = 3", "size: expected a table"),
    ("[agreement]\nreliable_alpha = 0.5", "tentative_alpha <= reliable_alpha"),
    ("[embeddings]\ncache_format = \"zip\"", "embeddings.cache_format: 'zip' is not one of auto, sqlite, parquet"),
    ("[coverage]\nclassifier_weight = -0.5", "coverage.classifier_weight: must be between 0 and 1"),
    # QA: an empty label field made every record "missing" its label, and the data took the blame
    ("[fields]\nlabel = \"\"", "fields.label: '' names no field: name the field that holds it, or leave the key out for the default"),
    ("[fields]\nid = \" \"", "fields.id: ' ' names no field"),
    # QA: blanks named a text field no record has, and all 30 records were "missing" it
    ("[fields]\ntext = \" \"", "fields.text: ' ' names no field: name the field that holds it, or set \"\""),
    ("[fields]\nproduction_text = \"\t\"", "fields.production_text: '.t' names no field"),
])
def test_wrong_types_and_values_name_the_key(tmp_path, text, message):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_config(path)


def test_pyproject_table_is_found_from_a_subfolder(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n[tool.dataaudit]\ntask_type = \"generation\"\n[tool.dataaudit.size]\ncontext_limit = 2048\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    config = load_config(search_from=sub)
    assert (config.task_type, config.size.context_limit) == ("generation", 2048)


def test_a_pyproject_table_that_is_not_utf8_is_an_error_not_skipped(tmp_path):
    """Skipped, the parent folder's config ran instead, silently."""
    (tmp_path / "pyproject.toml").write_text('[tool.dataaudit]\ndataset_name = "from-parent"\n')
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_bytes('[tool.dataaudit]\ndataset_name = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="sub/pyproject.toml: not UTF-8 text"):
        load_config(search_from=sub)
    (sub / "pyproject.toml").write_bytes('[project]\nname = "caf\xe9"\n'.encode("latin-1"))  # no table of ours: skipped
    assert load_config(search_from=sub).dataset_name == "from-parent"


def test_dataaudit_toml_wins_and_no_file_means_defaults(tmp_path):
    assert load_config(search_from=tmp_path).task_type == ""  # unset: inferred from the data at audit time
    (tmp_path / "dataaudit.toml").write_text('task_type = "format"\n')
    assert load_config(search_from=tmp_path).min_examples() == 100


def test_invalid_toml_names_the_file(tmp_path):
    path = tmp_path / "dataaudit.toml"
    path.write_text("task_type = \n")
    with pytest.raises(ConfigError, match="dataaudit.toml: invalid TOML"):
        load_config(path)


def test_the_init_template_is_valid_and_equals_the_defaults(tmp_path):
    path = tmp_path / "dataaudit.toml"
    path.write_text(default_config_text())
    assert load_config(path).to_dict() == Config().to_dict()


def test_overrides_are_type_checked():
    config = config_with_overrides(Config(), {"fields.label": "category", "agreement.level": "ordinal"})
    assert (config.fields.label, config.agreement.level, config.fields.text) == ("category", "ordinal", "")
    with pytest.raises(ConfigError, match="agreement.level"):
        config_with_overrides(Config(), {"agreement.level": "nope"})


@pytest.mark.parametrize("override, message", [
    ({"size.min_examples_classification.x": 1}, "override 'size.min_examples_classification.x': size.min_examples_classification "
                                                 "is a value, not a table, so it has no key 'x'"),
    ({"task_type.x": 1}, "override 'task_type.x': task_type is a value, not a table, so it has no key 'x'"),
    ({"size.min_examples_classificaton": 3}, "override 'size.min_examples_classificaton': unknown key 'min_examples_classificaton' in size"),
    ({"fields.text": None}, "override 'fields.text': None is not a value for fields.text (it cannot be unset)"),
    ({"size.min_examples_classification": -5}, "override 'size.min_examples_classification': must be >= 1, got -5"),
])
def test_a_bad_override_is_a_config_error_naming_the_override_not_the_file(tmp_path, override, message):
    """The file was blamed for a key it does not hold; a key under a value was a bare TypeError; None was skipped."""
    path = tmp_path / "dataaudit.toml"
    path.write_text("[size]\ncontext_limit = 2048\n")
    with pytest.raises(ConfigError) as raised:
        config_with_overrides(load_config(path), override)
    assert str(raised.value).startswith(message) and str(path) not in str(raised.value)


def test_overrides_name_their_flag_and_unset_only_what_may_be_unset():
    with pytest.raises(ConfigError, match=r"^--device: 'tpu' is not a torch device"):
        config_with_overrides(Config(), {"embeddings.device": "tpu"}, names={"embeddings.device": "--device"})
    for device in ("xpu", "mps:0", "cuda:1", "npu:0"):  # torch devices sentence-transformers accepted before the check
        assert config_with_overrides(Config(), {"embeddings.device": device}).embeddings.device == device
    priced = config_with_overrides(Config(), {"economics.prompted_score": 0.7, "conditions.skip.coverage": "no sample yet"})
    unset = config_with_overrides(priced, {"economics.prompted_score": None})
    assert (priced.economics.prompted_score, unset.economics.prompted_score) == (0.7, None)
    assert unset.conditions.skip == {"coverage": "no sample yet"}
    assert unset.set_by == {"economics.prompted_score": "override 'economics.prompted_score'",
                            "conditions.skip.coverage": "override 'conditions.skip.coverage'"}
    assert "set_by" not in unset.to_dict()


def test_an_error_found_later_names_the_flag_that_set_the_value_else_the_file(tmp_path):
    from dataaudit.config import where_set

    path = tmp_path / "dataaudit.toml"
    path.write_text('[agreement]\nlevel = "ordinal"\n')
    config = config_with_overrides(load_config(path), {"tokens.target_model": "nope"}, names={"tokens.target_model": "--target-model"})
    assert where_set(config, "tokens.target_model: unknown model 'nope'") == "--target-model: unknown model 'nope'"
    assert where_set(config, "agreement: labels ['0'] are not in agreement.ordinal_order") == (
        f"{path}: agreement: labels ['0'] are not in agreement.ordinal_order")
    assert where_set(config, "data.jsonl:3: rejected", keyed_only=True) == "data.jsonl:3: rejected"
    assert where_set(Config(), "agreement: x") == "agreement: x"


@pytest.mark.parametrize("text, message", [
    ('[embeddings]\ndevice = "tpu"', "embeddings.device: 'tpu' is not a torch device"),
    ("[tokens]\nexample_limit = 0", "tokens.example_limit: must be >= 1, got 0"),
    ('[fields]\nformat = "chatt"', "fields.format: 'chatt' is not one of chat, prompt_completion"),
    ("[format]\nmax_invalid_share = 0.01\nwarn_invalid_share = 0.5",
     "format.warn_invalid_share: 0.5 is above format.max_invalid_share (0.01)"),
    ("[hygiene]\nmax_duplicate_share = 0.01\nwarn_duplicate_share = 0.5",
     "hygiene.warn_duplicate_share: 0.5 is above hygiene.max_duplicate_share (0.01)"),
    ("[hygiene]\nwarn_conflict_share = 0.02", "hygiene.warn_conflict_share: 0.02 is above hygiene.max_conflict_share (0.01)"),
    ("[agreement]\nbootstrap_resamples = 1", "agreement.bootstrap_resamples: must be 0 (no interval) or between 100 and 1_000_000 (fewer resamples give percentiles of a handful of draws), got 1"),
    ("[label_noise]\nbootstrap_resamples = 99", "label_noise.bootstrap_resamples: must be 0 (no interval) or between 100 and 1_000_000"),
])
def test_values_used_only_by_one_feature_are_checked_at_load_naming_file_and_key(tmp_path, text, message):
    """A device was checked only when the model loaded (never, with cached embeddings), a limit only with a target model."""
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value).startswith(f"{path}: {message}")


@pytest.mark.parametrize("text, section, key, value", [
    ('[embeddings]\ndevice = "cuda:1"', "embeddings", "device", "cuda:1"),
    ("[agreement]\nbootstrap_resamples = 0", "agreement", "bootstrap_resamples", 0),
    ("[agreement]\nbootstrap_resamples = 100", "agreement", "bootstrap_resamples", 100),
    ("[format]\nwarn_invalid_share = 0.05", "format", "warn_invalid_share", 0.05)])
def test_edge_values_that_stay_accepted(tmp_path, text, section, key, value):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    assert getattr(getattr(load_config(path), section), key) == value


@pytest.mark.parametrize("text, message", [('[tokens]\ntarget_model = "gpt-9"\n', "tokens.target_model: unknown model 'gpt-9'"),
                                           ('[engine]\nname = "spark"\n', "engine.name: 'spark' is not one of local, ray")])
def test_settings_found_wrong_when_used_name_their_file(tmp_path, text, message):
    from dataaudit.api import audit

    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        audit(tmp_path / "unused.jsonl", config_path=path, embed=False)
    assert str(raised.value).startswith(f"{path}: ") and message in str(raised.value)


def test_a_target_model_set_by_an_override_is_blamed_on_the_override(tmp_path):
    from dataaudit.api import audit

    path = tmp_path / "dataaudit.toml"
    path.write_text("[size]\ncontext_limit = 2048\n")
    config = config_with_overrides(load_config(path), {"tokens.target_model": "gpt-9"})
    with pytest.raises(ConfigError) as raised:
        audit(tmp_path / "unused.jsonl", config, embed=False)
    assert str(raised.value).startswith("override 'tokens.target_model': unknown model 'gpt-9'") and str(path) not in str(raised.value)


def test_config_and_config_path_together_are_refused(tmp_path):
    from dataaudit.api import audit

    path = tmp_path / "dataaudit.toml"
    path.write_text("[size]\nmin_examples_classification = -5\n")
    with pytest.raises(TypeError, match=r"takes a Config \(config=\) or a config file's path \(config_path=\), not both"):
        audit(tmp_path / "unused.jsonl", Config(), config_path=path, embed=False)


def _written_keys(text: str) -> set[str]:
    """The keys a config text names, set or commented out, as "section.key"."""
    import re

    written, section = set(), ""
    for line in text.splitlines():
        header = re.match(r"\s*#?\s*\[([a-z_.]+)\]", line)
        if header:
            section = header.group(1)
            continue
        key = re.match(r"\s*#?\s*([a-z_0-9]+)\s*=", line)
        if key:
            written.add(f"{section}.{key.group(1)}" if section else key.group(1))
    return written


def _every_key() -> set[str]:
    def keys(node, prefix=""):
        for name, value in node.items():
            if isinstance(value, dict) and value and name not in ("models", "skip", "engine_overrides"):
                yield from keys(value, f"{prefix}{name}.")
            else:
                yield f"{prefix}{name}"

    return {k for k in keys(Config().to_dict()) if not k.startswith("maintenance")}


def test_the_init_template_names_every_key():
    """README: `dataaudit init` writes every key at its default (22 were missing: the reader fields, training_price_per_1k)."""
    assert _every_key() - _written_keys(default_config_text()) == set()


def test_init_keeps_every_line_of_the_bundled_template():
    """The template's prose is what init writes for today's tables: generation only adds to it."""
    from dataaudit.config import TEMPLATE

    written = iter(default_config_text().splitlines())
    missing = [line for line in TEMPLATE.read_text(encoding="utf-8").splitlines() if line not in written]
    assert missing == []


def test_init_writes_a_new_checks_section_with_its_defaults_and_comments(add_check, tmp_path):
    """The README recipe's check had no [shouting] in `dataaudit init`, which read a hand-kept template."""
    from tests.test_checks_registry import SHOUTING_RECIPE, UNDER_TEST, under_test

    add_check(UNDER_TEST, under_test(SHOUTING_RECIPE.replace("class ShoutingConfig:\n", "class ShoutingConfig:\n    \"\"\"Inputs in capitals.\"\"\"\n")))
    text = default_config_text()
    assert (f"\n[{UNDER_TEST}]".ljust(29) + "# Inputs in capitals.\n"
            "max_share = 0.2             # warn above this share of inputs in capitals\n") in text
    assert {f"{UNDER_TEST}.max_share"} <= _written_keys(text) and _every_key() - _written_keys(text) == set()
    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    assert load_config(path).to_dict() == Config().to_dict() and Config().to_dict()[UNDER_TEST] == {"max_share": 0.2}


def test_init_writes_a_key_the_template_does_not_describe_in_its_own_table(monkeypatch, tmp_path):
    import dataaudit.config as config_module

    template = tmp_path / "template.toml"
    lines = config_module.TEMPLATE.read_text(encoding="utf-8").splitlines()
    template.write_text("\n".join(line for line in lines if not line.startswith(("near_cosine", "# dataset_name"))) + "\n")
    monkeypatch.setattr(config_module, "TEMPLATE", template)
    text = default_config_text()
    assert text.index("[duplicates]") < text.index("\nnear_cosine = 0.95\n") < text.index("[hygiene]")
    assert text.index("\ndataset_name = \"\"\n") < text.index("[fields]")
    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    assert load_config(path).to_dict() == Config().to_dict()


def test_init_leaves_out_a_table_no_check_owns_any_more(monkeypatch, tmp_path):
    """A template table of a removed check would make the written config refuse itself (unknown key)."""
    import dataaudit.config as config_module

    owned = config_module._check_sections()
    monkeypatch.setattr(config_module, "_check_sections", lambda: {k: v for k, v in owned.items() if k != "pii"})
    text = default_config_text()
    assert "[pii]" not in text and "phone_regions" not in text and "[repeated_targets]" in text
    path = tmp_path / "dataaudit.toml"
    path.write_text(text)
    assert load_config(path).to_dict() == Config().to_dict()


def test_listing_caps_are_marked_fields_and_max_listed():
    from dataaudit.config import listing_caps

    assert listing_caps() == {"duplicates": ("max_groups_listed",), "agreement": ("disputed_limit",), "tokens": ("max_listed",),
                              "pii": ("max_listed",), "repeated_targets": ("max_listed",), "label_noise": ("suspects_limit",),
                              "coverage": ("examples_per_scenario",)}


@pytest.mark.parametrize("text, message", [
    # a reader's name, not a field's: "names no field" sent the user looking for a field
    ('[fields]\nformat = " "', "fields.format: ' ' names no reader: name one of chat, prompt_completion, text, alpaca, "
                               'sharegpt, preference, unpaired_preference, or set "" (or leave the key out) to detect each '
                               "record's format"),
    ('[fields]\nuser_tag = " "', "fields.user_tag: ' ' names no speaker: write the speaker name the file uses for that "
                                 'role, or set "" (or leave the key out) for the usual names'),
    ('[fields]\nfunction_tag = "\t"', "fields.function_tag: '\\t' names no speaker"),
    ('[fields]\nquestion = " "', "fields.question: ' ' names no question: name the export's question, or set \"\" (or "
                                 "leave the key out) for the first classification question"),
    ('[fields]\nrole_tag = " "', "fields.role_tag: ' ' names no field: name the field that holds it"),
    # an item of a list of fields names a field as much as a single key does
    ('[fields]\ntext_fields = ["title", " "]', "fields.text_fields: item 2 (' ') names no field: name the field that "
                                               "holds it, or remove the item"),
    ('[fields]\nannotator_columns = ["", "ann_b"]', "fields.annotator_columns: item 1 ('') names no field"),
])
def test_a_blank_value_is_refused_in_the_words_of_what_its_key_names(tmp_path, text, message):
    path = tmp_path / "dataaudit.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)
