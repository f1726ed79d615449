"""Property-based: any TOML-shaped table gives a Config or a ConfigError, never another exception."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from dataaudit.config import Config, config_from_dict
from dataaudit.errors import ConfigError

SECTIONS = list(Config().to_dict())
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**6, max_value=10**6),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def _key_strategy():
    defaults = Config().to_dict()
    known = [(section, key) for section, table in defaults.items() if isinstance(table, dict) for key in table]
    return st.sampled_from(known)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(_key_strategy(), values, max_size=4), st.dictionaries(st.sampled_from(SECTIONS + ["nope"]), values, max_size=2))
def test_any_table_gives_a_config_or_a_config_error(nested, top):
    data: dict = dict(top)
    for (section, key), value in nested.items():
        if not isinstance(data.get(section), dict):
            data[section] = {}
        data[section][key] = value
    try:
        config = config_from_dict(data, source="fuzz.toml")
    except ConfigError as exc:
        assert "fuzz.toml" in str(exc)
        return
    for table in config.to_dict().values():
        if isinstance(table, dict):
            for value in table.values():
                if isinstance(value, float):
                    assert math.isfinite(value)  # NaN or infinity never reaches a gate
