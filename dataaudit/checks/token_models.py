"""The table of target models: encoding, per-example training limit, training price and the price's date.

The bundled table is `templates/token_models.toml` (its header says where each figure comes from); a config
may add or replace entries with a file of the same layout. An unknown model is a ConfigError that lists the
known ones, so a typo stops the audit with exit 2 instead of pricing the wrong model.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..tokens import OPENAI_ENCODINGS

BUNDLED_TABLE = Path(__file__).resolve().parent.parent / "templates" / "token_models.toml"
ENTRY_KEYS = {"snapshots", "encoding", "example_limit", "price_per_million", "price_date"}


@dataclass(frozen=True)
class TargetModel:
    name: str  # as the user named it
    encoding: str  # an OpenAI encoding name; "" when a Hugging Face tokenizer counts instead
    example_limit: int | None  # tokens one training example may hold; None = not known
    price_per_million: float | None  # USD per 1,000,000 training tokens; None = not known
    price_date: str | None  # when the price was taken


def _read_table(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the models file ({exc.strerror or exc})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from exc
    models = data.get("models")
    if not isinstance(models, dict) or set(data) - {"models"}:
        raise ConfigError(f"{path}: expected only [models.NAME] tables (see dataaudit/templates/token_models.toml)")
    for name, entry in models.items():
        _check_entry(path, name, entry)
    return models


def _check_entry(path: Path, name: str, entry: Any) -> None:
    where = f"{path}: models.{name}"
    if not isinstance(entry, dict):
        raise ConfigError(f"{where}: expected a table")
    unknown = sorted(set(entry) - ENTRY_KEYS)
    if unknown:
        raise ConfigError(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(ENTRY_KEYS))})")
    if entry.get("encoding") not in OPENAI_ENCODINGS:
        raise ConfigError(f"{where}.encoding: {entry.get('encoding')!r} is not one of {', '.join(OPENAI_ENCODINGS)}")
    limit = entry.get("example_limit")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ConfigError(f"{where}.example_limit: expected a positive integer, got {limit!r}")
    price = entry.get("price_per_million")
    if price is not None and (isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0):
        raise ConfigError(f"{where}.price_per_million: expected a number >= 0, got {price!r}")
    snapshots = entry.get("snapshots", [])
    if not isinstance(snapshots, list) or not all(isinstance(s, str) for s in snapshots):
        raise ConfigError(f"{where}.snapshots: expected a list of model names")


def model_table(models_file: str | Path = "") -> dict[str, dict[str, Any]]:
    """Model name -> entry: the bundled table, with a config's models file laid over it."""
    table = dict(_read_table(BUNDLED_TABLE))
    if models_file:
        table.update(_read_table(Path(models_file)))
    return table


def base_model_name(name: str) -> str:
    """'ft:gpt-4o-mini-2024-07-18:org::id' (a fine-tuned model trained further) -> 'gpt-4o-mini-2024-07-18'."""
    name = name.strip()
    if name.startswith("ft:"):
        return name[3:].split(":", 1)[0]
    return name


def find_model(name: str, models_file: str | Path = "") -> TargetModel | None:
    """The table's entry for a model or one of its snapshots; None when the table does not know it."""
    table = model_table(models_file)
    wanted = base_model_name(name)
    for key, entry in table.items():
        if wanted == key or wanted in entry.get("snapshots", []):
            price = entry.get("price_per_million")
            return TargetModel(name, entry["encoding"], entry.get("example_limit"),
                               None if price is None else float(price), entry.get("price_date"))
    return None


def known_models(models_file: str | Path = "") -> list[str]:
    return sorted(model_table(models_file))


def unknown_model_error(name: str, models_file: str | Path = "") -> ConfigError:
    return ConfigError(
        f"tokens.target_model: unknown model {name!r} (known: {', '.join(known_models(models_file))}); for an open "
        "model give its tokenizer with --tokenizer PATH, or describe the model in a [tokens] models_file")
