"""report.json: the machine-readable contract (see README, 'Report JSON').

Every string that reaches the file passes the excerpt masking and control-character rules (no limit on
length here; line breaks kept, as JSON's "\\n", so an annotator "carol\\nsmith" stays matchable), so a value
found by the PII check can never appear in it, whichever field carries it, with one exception: a file path (the
value of a key in PATH_KEYS) is written exactly as given, so that scripts and `dataaudit dedup` can open it. A path names the user's own file; masking an e-mail-like folder name or turning
a newline in a file name into a space made it name a file that does not exist. (A path that cannot be written
as UTF-8, a lone surrogate from a non-UTF-8 file name, keeps the visible form: it cannot be written exactly.)

The exemption needs both a path key and a path: the value must name one of the audited inputs, a file under
one, or a path the configuration names (`paths`). A key is only a schema key in the report's own structure;
a dict keyed by dataset names (an annotator or a label literally called "file") holds dataset text under the
same key, and that text is masked like any other. Control and format characters (C0, C1, bidi overrides,
zero-width) in a path stay in the value but are written as JSON `\\uXXXX` escapes (`dumps`), so the file shows
no live escape sequence and still decodes to the exact path.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from typing import Any, Collection

from ..excerpt import distinct_texts, sanitise
from ..report import Report, to_jsonable
from ..scan.pii import masked_as_configured


# Keys whose values are file paths (a string, or a list, or list of lists, of strings) in report.json and the
# per-line files: the dataclass fields that hold an input's path (InputSummary.path, the checks' `file`,
# `files`, `keep_file`, `eval_file`, ...), the plain dicts the per-line files build (`file`, `files`,
# `keep.file`, `nearest.file`) and the config's `source`. tests/test_render.py checks every result field named
# like a path is here.
PATH_KEYS = frozenset({"path", "file", "files", "source", "keep_file", "eval_file", "train_file", "production_file",
                       "identical_files", "contradiction_files", "prefix_files", "models_file", "eval_set", "line_files"})


def _is_path(value: str, paths: Collection[str]) -> bool:
    if value in paths:
        return True
    return any(value.startswith(root.rstrip("/" + os.sep) + sep) for root in paths if root for sep in {"/", os.sep})


def _as_given(value: Any, paths: Collection[str], seen: dict[str, str] | None, key_names: dict[str, Any]) -> Any:
    """A path value exactly as given (a string, or lists of them) when it names a known path; anything else
    as `_safe` writes it."""
    if isinstance(value, str):
        if not _is_path(value, paths):
            return _safe(value, seen, paths, key_names)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _safe(value, seen, paths, key_names)
        return value
    if isinstance(value, list):
        return [_as_given(v, paths, seen, key_names) for v in value]
    return _safe(value, seen, paths, key_names)


def _safe(value: Any, seen: dict[str, str] | None = None, paths: Collection[str] = (),
          key_names: dict[str, Any] | None = None) -> Any:
    """`value` with every string masked and control-free, file paths (PATH_KEYS naming one of `paths`) as given.
    `seen` (string -> its safe form) lets a caller writing many lines mask each distinct string once:
    duplicates.jsonl names the same file in every member. `key_names` (each dict key -> the name it is written
    under) is worked out once over every key in `value` when not given (`_told_apart`)."""
    if isinstance(value, str):
        if seen is not None:
            done = seen.get(value)
            if done is None:
                done = seen[value] = _safe(value)
            return done
        return sanitise(value, keep_newlines=True)  # "carol\nsmith" as the data has it: JSON escapes the newline
    if isinstance(value, dict):
        if key_names is None:
            key_names = _told_apart(value, seen)
        return {key_names.get(k, k) if isinstance(k, str) else k:
                (_as_given(v, paths, seen, key_names) if k in PATH_KEYS and paths else _safe(v, seen, paths, key_names))
                for k, v in value.items()}
    if isinstance(value, list):
        if key_names is None:
            key_names = _told_apart(value, seen)
        return [_safe(v, seen, paths, key_names) for v in value]
    return value


def _dict_keys(value: Any, found: dict[str, None]) -> None:
    """Every string key of every dict in `value`, in the order met."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            found.update((k, None) for k in node if isinstance(k, str))
            stack.extend(v for v in node.values() if isinstance(v, (dict, list)))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))


def _told_apart(value: Any, seen: dict[str, str] | None) -> dict[str, Any]:
    """Each dict key in `value` -> its safe form, where no two keys read alike. Two labels (or annotators) that
    mask alike (`AKIAIOSFODNN7EXAMPLE` and `AKIAABCDEFGHIJKLMPLE` both read `<SECRET …MPLE>`) would otherwise be
    one JSON key, and the later one's count would silently replace the other's; they are numbered as report.md
    numbers them (`excerpt.distinct_texts`: by the order of their raw values, `<SECRET …MPLE> #1`, `#2`). The
    names are worked out once over every key of the report, not dict by dict: numbered per dict, a label was #1 in
    checks.balance (ordered by count) and #2 in a file's label_shares, and unnumbered in a file holding only it."""
    raw: dict[str, None] = {}
    _dict_keys(value, raw)
    safe_keys = {k: _safe(k, seen) for k in raw}
    readers = Counter(safe_keys.values())
    if len(readers) == len(safe_keys):
        return safe_keys
    room = max(max(len(k), len(safe)) for k, safe in safe_keys.items()) + 16  # no cut: only a tag is added
    told = distinct_texts(safe_keys, room)
    return {k: told[k] if readers[safe] > 1 else safe for k, safe in safe_keys.items()}


def known_paths(report: Report) -> frozenset[str]:
    """The paths report.json may write as given: the audited inputs (and files under them) and the paths
    the configuration names (the user's own settings, not dataset text)."""
    found = {i.path for i in report.inputs}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key in PATH_KEYS and isinstance(item, str) and item:
                    found.add(item)
                else:
                    walk(item)

    walk(to_jsonable(report.config))
    return frozenset(found)


# Characters a terminal or editor would act on (C0 and C1 controls, bidi overrides, zero-width and other
# format characters, line/paragraph separators), as JSON escapes. json.dumps(ensure_ascii=False) escapes C0
# itself (the newlines of indent= are structure and stay); outside strings JSON text is ASCII, so every match
# is inside a string and the escape decodes back.
_LIVE = re.compile("[\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def dumps(value: Any, **kwargs: Any) -> str:
    """json.dumps with ensure_ascii=False, and every live control or format character as a \\uXXXX escape."""
    return _LIVE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False, **kwargs))


def safe_config(report: Report) -> Any:
    """The configuration as report.json writes it (masked; its own paths as given)."""
    return _safe(to_jsonable(report.config), paths=known_paths(report))


def report_json(report: Report) -> dict[str, Any]:
    return _safe(report.to_dict(), paths=known_paths(report))


@masked_as_configured
def render_json(report: Report) -> str:
    return dumps(report_json(report), indent=2, sort_keys=False) + "\n"
