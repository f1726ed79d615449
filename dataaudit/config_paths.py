"""Where the files and folders a config names lie.

A path in a config file is relative to that file's folder, not to the current directory: the config is found by
searching upward (config.find_config_file), so an audit run from a subfolder of the project reads the same
models file, tokenizer and eval set, and keeps one cache, as a run from the project's root. A path given by a
flag or an API override (config.set_by) is the caller's, and stays relative to the current directory, as every
path on a command line is; so does a path in a Config built in code (no config.source).

Every reader of such a key takes its path from `config_path`, or reads a config `with_resolved_paths` made once
(the checks: api.run_checks resolves their context's). What is shown and compared (report.json, the history)
keeps the config as written: a project that moves to another folder is the same config.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .load.files import is_uri

# Every config key that names a file or a folder. A key not listed here is read as it is written.
PATH_KEYS = ("embeddings.model", "embeddings.cache_dir", "tokens.models_file", "tokens.tokenizer", "maintenance.eval_set")
# Keys whose value may instead be a name: a Hugging Face model id ("sentence-transformers/all-MiniLM-L6-v2")
# reads as a relative path, so it becomes one only when the config's folder holds something by that name;
# otherwise it is left as written, which the model's reader takes as a name or a folder in the current folder.
NAME_OR_PATH_KEYS = frozenset({"embeddings.model"})


def _section(config, name: str):
    return getattr(config, name, None)


def _raw_value(config, key: str) -> str:
    section_name, name = key.split(".")
    section = _section(config, section_name)
    return getattr(section, name, "") if section is not None else ""


def config_folder(config, key: str) -> Path:
    """The folder a relative value of `key` is relative to: the config file's, unless a flag or an override set it.
    The file's folder is the one load_config took when it read the file (config.source_folder), so a later
    os.chdir does not move it; a Config given a source in code has only its source, read against the current folder."""
    if key in config.set_by or not config.source:
        return Path.cwd()
    if config.source_folder:
        return Path(config.source_folder)
    return Path(config.source).expanduser().resolve().parent


def config_path(config, key: str) -> str:
    """The value of the path-naming `key` (one of PATH_KEYS), absolute where it is a local path; "" stays "" (the
    default), a URI stays as written."""
    value = _raw_value(config, key)
    if not value or is_uri(value):
        return value
    path = Path(value).expanduser()
    if path.is_absolute():
        return str(path)
    located = config_folder(config, key) / path
    if key in NAME_OR_PATH_KEYS and not located.exists():
        return value
    return str(located)


def with_resolved_paths(config):
    """A copy of `config` whose PATH_KEYS hold `config_path`'s values, so that every reader sees where the files
    are, whichever folder the audit runs in. The values as written stay in its paths_as_written, for messages; the
    report and the history keep the config as written (a project that moves is the same config)."""
    sections: dict[str, dict[str, str]] = {}
    for key in PATH_KEYS:
        section_name, name = key.split(".")
        if _section(config, section_name) is not None:
            sections.setdefault(section_name, {})[name] = config_path(config, key)
    own = {name: dataclasses.replace(getattr(config, name), **values)
           for name, values in sections.items() if name not in config.sections}
    owned = {**config.sections, **{name: dataclasses.replace(config.sections[name], **values)
                                   for name, values in sections.items() if name in config.sections}}
    as_written = {key: _raw_value(config, key) for key in PATH_KEYS if _section(config, key.split(".")[0]) is not None}
    return dataclasses.replace(config, **own, sections=owned, paths_as_written={**as_written, **config.paths_as_written})
