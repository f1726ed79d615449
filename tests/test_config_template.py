"""The init template's header says what its lines are: every commented value is the default, or marked "e.g."."""

from __future__ import annotations

import re
import tomllib

from dataaudit.config import TEMPLATE, Config, config_from_dict, default_config_text

_COMMENTED = re.compile(r"#\s*([a-z_0-9]+)\s*=\s*(.*?)\s*(?:#\s*(.*))?$")


def _commented_settings(text: str) -> list[tuple[str, str, object, str]]:
    """(table, key, value, comment) of each `# key = value  # comment` line whose value parses as TOML."""
    table, found = "", []
    for line in text.splitlines():
        header = re.match(r"\s*#?\s*\[([a-z_.]+)\]", line)
        if header:
            table = header.group(1)
            continue
        match = _COMMENTED.match(line.strip())
        if not match:
            continue
        try:
            value = tomllib.loads(f"v = {match.group(2)}")["v"]
        except tomllib.TOMLDecodeError:  # prose that happens to hold an "=" (no value at all), or `# key =` unset
            continue
        found.append((table, match.group(1), value, match.group(3) or ""))
    return found


def test_every_commented_value_is_the_default_or_marked_as_an_example():
    """QA: `# task_type = "classification"` under "the values shown are the defaults" (the default is "", inferred)."""
    defaults = Config().to_dict()
    defaults["maintenance"] = {}  # off by default: every value shown is an example
    wrong = []
    for table, key, value, comment in _commented_settings(default_config_text()):
        default = (defaults.get(table) or {}).get(key) if table else defaults.get(key)
        if value != default and not comment.startswith("e.g."):
            wrong.append(f"[{table}] {key} = {value!r} (default {default!r})")
    assert wrong == []


def test_every_example_is_a_value_the_config_accepts():
    """An example the config refused would teach a wrong value."""
    examples = [(table, key, value) for table, key, value, comment in _commented_settings(TEMPLATE.read_text(encoding="utf-8"))
                if comment.startswith("e.g.")]
    assert {("", "task_type"), ("", "dataset_name"), ("agreement", "ordinal_order"), ("conditions", "skip"),
            ("maintenance", "owner"), ("economics", "target_score"), ("tokens", "example_limit")} <= {e[:2] for e in examples}
    for table, key, value in examples:
        config = config_from_dict({table: {key: value}} if table else {key: value})
        assert (getattr(getattr(config, table), key) if table else getattr(config, key)) == value
