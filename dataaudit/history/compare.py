"""`dataaudit compare`: what changed between two report.json files (figures, conditions, regressions)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..config import HistoryConfig, config_from_dict
from ..errors import DataAuditError, InputError
from ..excerpt import sanitise
from ..load.files import json_message
from .regressions import comparison_remarks, find_regressions, key_figures, report_problem
from .store import comparison_notes, config_change_note, embedding_model, measured_settings, moved_files, moved_figures

SCALARS = ("verdict", "records", "invalid", "usable", "duplicate_share", "conflicts", "leaked", "krippendorff_alpha", "covered_share")


def _read(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8-sig"))  # a BOM some editors add on saving is no error
    except OSError as exc:
        raise InputError(f"{path}: cannot read report ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not a report.json (not UTF-8 text: byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not a report.json (line {exc.lineno}, column {exc.colno}: {json_message(exc)})") from exc


def compare_reports(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two reports' JSON (read_report's); an InputError names a field of the wrong type."""
    for side, report in (("the first", before), ("the second", after)):
        problem = report_problem(report)
        if problem:  # dicts from a script, not read_report: the same one line, not a traceback midway
            raise InputError(f"{side} report: not a dataaudit report.json ({problem})")
    f0, f1 = key_figures(before), key_figures(after)
    # Changed as the reports computed the figure where both kept it: 0.80004 -> 0.79996 crossed the alpha bound and
    # is one figure at 4 places; a difference in the last bits alone (0.74342 / 0.74338) is no change.
    changes = [{"figure": name, "before": f0.get(name), "after": f1.get(name), **_as_computed_sides(f0, f1, name)}
               for name in SCALARS if f0.get(name) != f1.get(name) or _crossed(f0, f1, name)]
    labels = sorted(set(f0["label_shares"]) | set(f1["label_shares"]))

    def share(figures: dict, label: str) -> float | None:  # a label one side's labels lack is 0% there, not unknown
        return figures["label_shares"].get(label, 0.0 if figures["label_shares"] else None)

    changes += [{"figure": f"label_share:{label}", "before": share(f0, label), "after": share(f1, label)}
                for label in labels if share(f0, label) != share(f1, label)]
    conditions = sorted(set(f0["conditions"]) | set(f1["conditions"]))
    changes += [{"figure": f"condition:{cid}", "before": f0["conditions"].get(cid), "after": f1["conditions"].get(cid)}
                for cid in conditions if f0["conditions"].get(cid) != f1["conditions"].get(cid)]
    # The baseline's bounds: the report under review (a pull request's) cannot loosen the gate it is judged by.
    bounds, unread = _history_bounds(before)
    moved = moved_files(_inputs(before), _inputs(after))
    datasets = {"before": before.get("dataset"), "after": after.get("dataset")}
    notes = []
    # Two datasets' figures differ for reasons that are not regressions: said, never hidden, still listed.
    if datasets["before"] != datasets["after"]:
        notes.append(f"the reports are of different datasets ({datasets['before']}, {datasets['after']}): their differences "
                     "are not regressions of one dataset")
    if (before.get("config") or {}).get("history") != (after.get("config") or {}).get("history"):
        notes.append("the two reports' [history] bounds differ: the first report's are applied")
    if datasets["before"] == datasets["after"]:
        # The same name over unlike runs (another config, model or file list): said as the history says it.
        notes += comparison_notes(sanitise(str(datasets["before"])), _config_note(before, after),
                                  embedding_model(before), embedding_model(after), _train_paths(before), _train_paths(after),
                                  named=bool((after.get("config") or {}).get("dataset_name")),
                                  moved={sanitise(a): sanitise(b) for a, b in moved.items()})
    notes += comparison_remarks(moved_figures(f0, moved), f1, bounds)
    if unread:
        notes.append(f"the first report's config could not be read ({unread}): the default bounds are applied")
    if before.get("schema_version") != after.get("schema_version"):
        notes.append(f"report schema versions differ ({before.get('schema_version')}, {after.get('schema_version')}): a "
                     "figure one of them lacks shows as blank, not as a change to judge")
    note = "; ".join(notes)
    return {"before": before.get("generated_at"), "after": after.get("generated_at"), "datasets": datasets, "note": note,
            "changes": changes, "regressions": find_regressions(moved_figures(f0, moved), f1, bounds)}


def _inputs(report: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = report.get("inputs")
    return [i for i in inputs if isinstance(i, dict)] if isinstance(inputs, list) else []


def _crossed(f0: dict[str, Any], f1: dict[str, Any], name: str) -> bool:
    """Whether a figure equal at 4 places lies on two sides of a bound it is judged against, as the reports
    computed it (render.figures' bounds: the defaults, since compare reads no bound of a check)."""
    from ..render.figures import figure_bounds

    a, b = f0.get(f"{name}_unrounded"), f1.get(f"{name}_unrounded")
    if a is None or b is None:
        return False
    return any((a < bound) != (b < bound) for bound in figure_bounds(name, None))


def _as_computed_sides(f0: dict[str, Any], f1: dict[str, Any], name: str) -> dict[str, Any]:
    """A change's figures as the reports computed them (before_unrounded, after_unrounded), for figures kept to 4
    places: shown from these, 0.79996 does not read 0.800 beside the report's 0.79996. Empty for other figures."""
    key = f"{name}_unrounded"
    if key not in f0 and key not in f1:
        return {}
    return {"before_unrounded": f0.get(key), "after_unrounded": f1.get(key)}


def _config_note(before: dict[str, Any], after: dict[str, Any]) -> str:
    """The settings that can move a figure in which the two reports' configs differ, as the history says them."""
    configs = before.get("config"), after.get("config")
    if not all(isinstance(config, dict) for config in configs):
        return ""
    return config_change_note(measured_settings(configs[0]), measured_settings(configs[1]))


def _train_paths(report: dict[str, Any]) -> set[str]:
    inputs = report.get("inputs")
    return {sanitise(str(i["path"])) for i in inputs if isinstance(i, dict) and "path" in i and i.get("role") == "train"} \
        if isinstance(inputs, list) else set()


def _history_bounds(report: dict[str, Any]) -> tuple[HistoryConfig, str]:
    """The [history] bounds a report was made with, and "" ; or the defaults and why its config could not be
    read (a key another version of dataaudit writes)."""
    try:
        return config_from_dict(report.get("config") or {}).history, ""
    except DataAuditError as exc:
        return HistoryConfig(), str(exc)


def read_report(path: str | Path) -> dict[str, Any]:
    """A report.json as a dict; anything else is an InputError naming the file."""
    data = _read(path)
    if not isinstance(data, dict) or not isinstance(data.get("checks"), dict) or not isinstance(data.get("verdict"), dict):
        raise InputError(f"{path}: not a dataaudit report.json (expected an object with 'verdict' and 'checks' objects)")
    problem = report_problem(data)
    if problem:
        raise InputError(f"{path}: not a dataaudit report.json ({problem}); compare the report.json an audit wrote")
    return data
