"""Regressions between two runs: which key figures got worse by more than their bounds.

Works on report JSON (dicts), so the history file, `dataaudit compare` and users' scripts share it.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import Any

from ..checks.balance import label_key
from ..config import HistoryConfig
from ..digits import FLOAT_NOISE, snapped, value_text
from ..excerpt import sanitise
from ..scan.pii import masking_phone_regions

# Worse means: pass < warn < unknown < fail (a condition that lost its evidence got worse too).
SEVERITY = {"pass": 0, "warn": 1, "unknown": 2, "fail": 3}
# A condition these statuses judged: one that is unknown (or gone) now was judged and is no longer. That is a
# regression from fail too: a CI recipe lets "not enough evidence" (exit 3) pass, so dropping the input a failed
# condition was judged on (--production) must not turn the failure into a pass.
JUDGED = frozenset({"pass", "warn", "fail"})
# Key figures whose loss (measured before, None now) is a regression: the evidence the gate judged by is gone.
MEASURED_FIGURES = ("krippendorff_alpha", "covered_share", "usable")
# Why each figure is likely missing now: alpha needs items annotated more than once and nothing else, coverage
# a production sample and embeddings.
LOST_FIGURE_HINTS = {"krippendorff_alpha": "no item with several annotations this run?",
                     "covered_share": "--production or embeddings left out?",
                     "usable": "the duplicates check did not run?"}
# The condition each figure is the evidence of: one lost input is one regression, the condition's (it is what
# the gate judged), whose detail names the figure that went with it.
FIGURE_CONDITIONS = {"krippendorff_alpha": "consistency", "covered_share": "coverage"}
# A new batch is a sample: a 200-item batch moves a 20% label by 5 points by chance one time in ten, so its
# shift must also be unlikely under the last run's share (exact binomial test). Below this p-value, per label
# and file, a batch of labels drawn from the last run's mix raises a false regression about once in a
# hundred batches of ten labels.
BATCH_SHIFT_P_VALUE = 0.001
# Conditions that judge the size of what a run audited: a --since-last run audits one night's batch, whose size
# (and its rare labels, its examples under min_examples) is not the dataset's, so they are not compared for it.
BATCH_SIZE_CONDITIONS = frozenset({"scale"})


def _object(value: Any) -> dict[str, Any]:
    """A report section as a dict; a section of another type (a report edited by hand) reads as absent."""
    return value if isinstance(value, dict) else {}


def _objects(value: Any) -> list[dict[str, Any]]:
    """The dicts of a report list (per_file, inputs); anything else reads as absent."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _number(value: Any) -> int | float | None:
    """A figure as a number, or None: a report edited by hand ("232" for 232) reads as the figure missing, not as
    a traceback in the comparison."""
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _status_value(status: Any) -> Any:
    """A status as the stored runs hold it ("fail"): a Report's own dict holds the Status enum, and a regression
    then paired the baseline's "pass" with this run's Status.FAIL."""
    return status.value if isinstance(status, Enum) else status


def _masked_shares(shares: dict[str, Any]) -> dict[str, Any]:
    """Label shares keyed by the label as report.json writes it (balance.label_key, masked, control characters
    visible): the history is a file kept for good and must not hold what every report masks. Two labels that
    mask alike (two phone numbers ending alike) count as one, as they read. A key is its own label_key, so only
    a label stored whole by an older run (one over LABEL_KEY_LIMIT) is re-keyed."""
    masked: dict[str, Any] = {}
    for label, share in shares.items():
        key = sanitise(label_key(str(label)))
        masked[key] = round(masked[key] + share, 6) if key in masked else share
    return masked


def masked_labels(figures: dict[str, Any]) -> dict[str, Any]:
    """figures with every label name masked; a history written before names were masked is compared by
    the same names as a run now."""
    files = figures.get("file_label_shares")
    return {**figures, "label_shares": _masked_shares(_object(figures.get("label_shares"))),
            **({"file_label_shares": {file: {**entry, "shares": _masked_shares(_object(entry.get("shares")))}
                                      for file, entry in files.items() if isinstance(entry, dict)}}
               if isinstance(files, dict) else {})}


def key_figures(report: dict[str, Any]) -> dict[str, Any]:
    """The figures a run is compared on, from a report's JSON, label names masked with the phone regions the
    report was made with (as its report.json)."""
    with masking_phone_regions(report_phone_regions(report)):
        return masked_labels(_raw_key_figures(report))


def report_phone_regions(report: dict[str, Any]) -> list[str]:
    """The `[pii] phone_regions` a report was made with: a baseline's labels are masked with them too, so a
    history stored before names were masked matches this run's keys (a German number masked only under "DE")."""
    regions = _object(_object(report.get("config")).get("pii")).get("phone_regions") or ()
    return [r for r in regions if isinstance(r, str)] if isinstance(regions, list) else []


def _share(part: Any, whole: Any) -> float | None:
    """part / whole where both are counts and whole is not 0 (the duplicate share as the hygiene condition takes it)."""
    part, whole = _number(part), _number(whole)
    return None if part is None or not whole else part / whole


def _difference(whole: Any, part: Any) -> int | float | None:
    """whole - part where whole is a count (a part the report lacks is 0: reports without the semantic pass)."""
    whole = _number(whole)
    return None if whole is None else whole - (_number(part) or 0)


def _raw_key_figures(report: dict[str, Any]) -> dict[str, Any]:
    checks = _object(report.get("checks"))
    # The checks whose figures a run is compared on, not a list of every check: any other check is compared by
    # the conditions it judges (below), so a new check needs no line here.
    fmt, size, duplicates, agreement, coverage, balance, embeddings = (
        _object(checks.get(name)) for name in ("format", "size", "duplicates", "agreement", "coverage", "balance", "embeddings"))
    verdict = _object(report.get("verdict"))
    listed = verdict.get("conditions")
    conditions = [c for c in listed if isinstance(c, dict) and "id" in c and "status" in c] if isinstance(listed, list) else []
    return {
        "verdict": _status_value(verdict.get("status")),
        "records": _number(fmt.get("records")),
        "invalid": _number(fmt.get("invalid")),
        "examples": _number(size.get("examples")),  # the records audited: 0 in a --since-last pull with nothing new
        "usable": _number(duplicates.get("usable")),
        "duplicate_share": _number(duplicates.get("duplicate_share")),
        # The counts, not the lists: those stop at max_groups_listed (reports written before the counts
        # existed have the lists alone).
        "conflicts": duplicates.get("conflict_count", len(duplicates.get("conflicts") or [])),
        "leaked": duplicates.get("leak_count", len(duplicates.get("leakage") or [])),
        # Of those, the eval records copied (exact or lexical copies) and those only reworded (semantic): a
        # reworded match turns up by chance as training grows from the same distribution, a copy does not.
        "leaked_copies": _difference(duplicates.get("leak_count"), duplicates.get("semantic_leak_count")),
        "leaked_reworded": _number(duplicates.get("semantic_leak_count")) if _number(duplicates.get("leak_count")) is not None else None,
        # Shown (compare, the history) as the report shows it; the drop is compared with its bound on the
        # unrounded one where the report has it, since 0.80004 is not 0.8.
        "krippendorff_alpha": _number(agreement.get("krippendorff_alpha")),
        "krippendorff_alpha_unrounded": _number(agreement.get("krippendorff_alpha_unrounded")),
        "covered_share": _number(coverage.get("covered_share")),
        # Shown (history, compare) from these where the report has them, as the report writes its figures:
        # 0.89996 kept as 0.9 read 90.0% beside the coverage section's 89.996%.
        "covered_share_unrounded": _number(coverage.get("covered_share_unrounded")),
        # Why coverage measured nothing (a sample too small, training too thin per label): said where it went unknown
        "coverage_not_measured": _text(coverage.get("not_measured")),
        "duplicate_share_unrounded": _share(duplicates.get("duplicate_records"), duplicates.get("records")),
        "label_shares": {k: v for k, v in _object(balance.get("shares")).items() if _number(v) is not None},
        "labelled": _number(balance.get("labelled")),
        # Where a `--since-last` window started ("" for a run of every annotation): such a run audits one batch,
        # so its size and label mix are a sample's, not the dataset's. The format check carries it whether or not
        # agreement measured anything; reports written before it did carry it in agreement's export alone.
        "since": _text(fmt.get("since")) or _text(_object(agreement.get("export")).get("since")),
        "conditions": {c["id"]: _status_value(c["status"]) for c in conditions},
        # Each training file's alpha, and the files a run read: a batch new since the last run is judged on
        # its own alpha too, which the cumulative alpha of many earlier batches hides.
        "file_alphas": {f["file"]: f["krippendorff_alpha"] for f in _objects(report.get("per_file"))
                        if _number(f.get("krippendorff_alpha")) is not None and "file" in f},
        "file_alphas_unrounded": {f["file"]: f["krippendorff_alpha_unrounded"] for f in _objects(report.get("per_file"))
                                  if _number(f.get("krippendorff_alpha_unrounded")) is not None and "file" in f},
        "file_label_shares": {f["file"]: {"labelled": int(_number(f.get("labelled")) or 0),
                                          "shares": {k: v for k, v in _object(f.get("label_shares")).items() if _number(v) is not None}}
                              for f in _objects(report.get("per_file")) if "file" in f},
        "train_files": [i["path"] for i in _objects(report.get("inputs")) if i.get("role") == "train" and "path" in i],
        # Each input's sha256 by role, sorted (paths left out: a moved file is the same file): whether training only
        # grew over an unchanged production sample, which cannot lower the true covered share (only_grown).
        "input_hashes": {role: sorted(_text(i.get("sha256")) for i in _objects(report.get("inputs")) if i.get("role") == role)
                         for role in ("train", "production")},
        # What reads those inputs into coverage besides their bytes (the embedding model, the fields read, the
        # coverage and key settings, dataaudit's version): only_grown holds only where it is the same.
        "coverage_setup": _coverage_setup(report),
        "embeddings_computed": embeddings.get("computed"),
        "embeddings_from_cache": embeddings.get("from_cache"),
    }


def held_records(figures: dict[str, Any]) -> bool:
    """Whether a run audited any record: a baseline worth comparing with (runs recorded before `examples`
    was kept are judged by the rows they read)."""
    examples = figures.get("examples")
    return bool(examples) if examples is not None else bool(figures.get("records"))


def _points(share_difference: float, *, sign: bool = True) -> str:
    """A difference of two shares in percentage points, as `compare` shows it: 0.0504 -> '+5.04 points'
    (a share moving from 10% to 15% moved 5 points, not 5%)."""
    return f"{share_difference * 100:{'+' if sign else ''}.2f} points"


def as_computed(figures: dict[str, Any], name: str) -> Any:
    """A figure as the run computed it where the run kept that (None is not kept), else its 4-place one (figures
    recorded before the unrounded one was kept): what a change is judged on and a view shows."""
    unrounded = figures.get(f"{name}_unrounded")
    return unrounded if unrounded is not None else figures.get(name)


def _past(change: float, bound: float) -> bool:
    """Whether a change goes past its bound, float noise taken as the bound: a covered share from 91/100 to 89/100
    fell by 0.020000000000000018, which is the 2-point bound itself, not past it (digits.snapped)."""
    return snapped(change, bound) > bound


def _regression(what: str, before: Any, now: Any, detail: str) -> dict[str, Any]:
    return {"what": what, "before": before, "now": now, "detail": detail}


def find_regressions(before: dict[str, Any], now: dict[str, Any], bounds: HistoryConfig) -> list[dict[str, Any]]:
    """before/now: key_figures() of the previous and the current run."""
    found = []
    a0, a1 = as_computed(before, "krippendorff_alpha"), as_computed(now, "krippendorff_alpha")
    if a0 is not None and a1 is not None and _past(a0 - a1, bounds.max_alpha_drop):
        found.append(_regression("krippendorff_alpha", a0, a1, f"dropped by {value_text(a0 - a1, bounds.max_alpha_drop)} (bound {bounds.max_alpha_drop:g})"))
    if a0 is not None:
        earlier = set(before.get("train_files") or [])
        # each file's unrounded alpha, its rounded one where the run kept no other (histories written before)
        file_alphas = {**(now.get("file_alphas") or {}), **(now.get("file_alphas_unrounded") or {})}
        for file, alpha in sorted(file_alphas.items()):
            if earlier and file not in earlier and _past(a0 - alpha, bounds.max_alpha_drop):
                found.append(_regression(f"krippendorff_alpha:{file}", a0, alpha,
                                         f"this new file's alpha is {value_text(a0 - alpha, bounds.max_alpha_drop)} below the last run's (bound {bounds.max_alpha_drop:g})"))
    shares0, shares1 = before.get("label_shares") or {}, now.get("label_shares") or {}
    # A --since-last run's shares are one batch's, a sample of the labelling: its shift must be unlikely by
    # chance too, as a new file's is. A full run's shares are the dataset's own mix, mostly the baseline's
    # items again, so a shift past the bound is the data's whatever its size (a binomial test would take
    # those items for fresh draws and let a real shift through).
    batch = int(now.get("labelled") or 0) if now.get("since") else 0
    # A full run after a --since-last baseline: the baseline's shares are the sample, the full run's the mix it was
    # drawn from, so the batch's count is tested under the full run's share (the same test as a batch after a
    # full run). A two-proportion test would take the full run for a sample too, which its shares are not.
    baseline_batch = int(before.get("labelled") or 0) if before.get("since") and not now.get("since") else 0
    # A label missing from one run's shares has share 0 there, but a run with no shares at all measured none.
    for label in sorted(set(shares0) | set(shares1)) if shares0 and shares1 else []:
        s0, s1 = shares0.get(label, 0.0), shares1.get(label, 0.0)
        if not _past(abs(s1 - s0), bounds.max_label_share_shift):
            continue
        bound = _points(bounds.max_label_share_shift, sign=False)
        if batch:
            if (p_value := _chance(s0, s1, batch)) < BATCH_SHIFT_P_VALUE:
                found.append(_regression(f"label_share:{label}", s0, s1, f"this batch's share moved by {_points(s1 - s0)} "
                                                                         f"({batch} labelled items, {_p_text(p_value)}; bound {bound})"))
        elif baseline_batch:
            if (p_value := _chance(s1, s0, baseline_batch)) < BATCH_SHIFT_P_VALUE:
                found.append(_regression(f"label_share:{label}", s0, s1, f"moved by {_points(s1 - s0)} from the last run's "
                                                                         f"batch ({baseline_batch} labelled items, "
                                                                         f"{_p_text(p_value)}; bound {bound})"))
        elif not s1 and s0 and not now.get("since"):  # gone, however large it was: said so (below), not "moved"
            continue
        else:
            found.append(_regression(f"label_share:{label}", s0, s1, f"moved by {_points(s1 - s0)} (bound {bound})"))
    if shares0 and shares1 and not now.get("since"):
        # A label gone from the whole training data is a class the next model cannot predict, however small it was
        # (a rename in a new batch, a filter that dropped it): below the share bound it moved unseen. A --since-last
        # batch lacks rare labels by chance, so only a full run is judged on this.
        shifted = {r["what"] for r in found}
        for label in sorted(set(shares0) - {k for k, v in shares1.items() if v}):
            if shares0[label] and f"label_share:{label}" not in shifted:
                found.append(_regression(f"label_share:{label}", shares0[label], 0.0,
                                         f"gone from the training data ({_items(shares0[label], before)} in the last run; "
                                         "renamed or dropped?)"))
    if shares0:
        found += _new_file_label_shifts(shares0, set(before.get("train_files") or []), now, bounds)
    # As alpha: compared and shown from the unrounded share where the run kept it (0.89996 is not 0.9).
    c0, c1 = as_computed(before, "covered_share"), as_computed(now, "covered_share")
    grown = only_grown(before, now)
    if c0 is not None and c1 is not None and _past(c0 - c1, bounds.max_covered_share_drop) and not grown:
        found.append(_regression("covered_share", c0, c1, f"fell by {_points(c0 - c1, sign=False)} "
                                                          f"(bound {_points(bounds.max_covered_share_drop, sign=False)})"))
    found += _hygiene_growth(before, now, bounds)
    u0, u1 = before.get("usable"), now.get("usable")
    # A --since-last run counts its batch alone: a smaller night is no loss of data (batch_notes says so).
    if not now.get("since") and u0 is not None and u1 is not None and u0 - u1 > bounds.max_usable_drop:
        found.append(_regression("usable", u0, u1, f"fell by {u0 - u1} (bound {bounds.max_usable_drop})"))
    conditions0, conditions1 = before.get("conditions") or {}, now.get("conditions") or {}
    judged: dict[str, dict[str, Any]] = {}
    for cid in sorted(conditions0):
        if cid in BATCH_SIZE_CONDITIONS and now.get("since"):
            continue  # judges one night's size (batch_notes says so), as usable above
        if cid not in conditions1:
            # Judged before and not now (skipped in the config, or no longer produced): a gate that a pull
            # request's own config could switch off is a regression until the baseline skips it too.
            judged[cid] = _regression(f"condition:{cid}", conditions0[cid], "not judged",
                                      "was judged by the previous run and is not judged now (skipped in the config?)")
        elif conditions0[cid] in JUDGED and conditions1[cid] == "unknown":
            why = (now.get("coverage_not_measured") if cid == "coverage" else "") or "an input left out?"
            judged[cid] = _regression(f"condition:{cid}", conditions0[cid], conditions1[cid],
                                      f"was judged by the previous run and is not judged now (not enough evidence: {why})")
        elif SEVERITY.get(conditions1[cid], 0) > SEVERITY.get(conditions0[cid], 0):
            if cid == "coverage" and grown and conditions0[cid] in JUDGED and conditions1[cid] in JUDGED:
                continue  # the estimate's noise, as the covered share above (coverage_notes says so)
            judged[cid] = _regression(f"condition:{cid}", conditions0[cid], conditions1[cid], "got worse")
    for figure in MEASURED_FIGURES:
        if before.get(figure) is None or now.get(figure) is not None:
            continue
        hint = (now.get("coverage_not_measured") if figure == "covered_share" else "") or LOST_FIGURE_HINTS[figure]
        lost = f"{figure} was measured by the previous run ({before[figure]}) and is not measured now: {hint}"
        condition = judged.get(FIGURE_CONDITIONS.get(figure, ""))
        if condition is not None:
            # One input left out is one regression: the condition's, as the gate judged it, naming its figure.
            condition["detail"] = (f"was judged by the previous run and is not judged now ({lost})"
                                   if condition["now"] == "unknown" else f"{condition['detail']} ({lost})")
        else:
            found.append(_regression(figure, before[figure], None, "was measured by the previous run and is not measured now "
                                                                   f"({hint})"))
    found += judged.values()
    return found


def _hygiene_growth(before: dict[str, Any], now: dict[str, Any], bounds: HistoryConfig) -> list[dict[str, Any]]:
    """Leaks, conflicts and the duplicate share grown against the baseline. The hygiene condition judges them
    against fixed bars, so a dataset already failing on two eval copies (fail -> fail) let a batch leaking 80 more,
    or copying 100 items, through the gate and on to be the next baseline."""
    found = []
    # A --since-last run counts its batch alone: every copy and conflict in it is new (its baseline counts 0), and
    # its duplicate share is a batch's; a whole run after a batch has nothing of the same kind to compare with.
    batch_now, batch_before = bool(now.get("since")), bool(before.get("since"))
    if batch_before and not batch_now:
        return found
    if batch_now:
        before = {**before, "leaked_copies": 0, "leaked_reworded": None, "conflicts": 0,
                  **({} if batch_before else {"duplicate_share": None, "duplicate_share_unrounded": None})}
    l0, l1 = before.get("leaked_copies"), now.get("leaked_copies")
    if l0 is not None and l1 is not None and l1 - l0 > bounds.max_new_leaks:
        found.append(_regression("leaked_copies", l0, l1, f"{_more(l1 - l0, 'eval record')} copied into the training data "
                                                          f"(exact or lexical copies; bound {bounds.max_new_leaks})"))
    r0, r1 = before.get("leaked_reworded"), now.get("leaked_reworded")
    if r0 is not None and r1 is not None and r1 > r0 and (p_value := _reworded_chance(r0, r1, before, now)) < BATCH_SHIFT_P_VALUE:
        found.append(_regression("leaked_reworded", r0, r1, f"{_more(r1 - r0, 'eval record')} reworded in the training data, "
                                                            f"more than its growth explains "
                                                            f"({_p_text(p_value)})"))
    c0, c1 = _number(before.get("conflicts")), _number(now.get("conflicts"))
    if c0 is not None and c1 is not None and c1 - c0 > bounds.max_new_conflicts:
        found.append(_regression("conflicts", c0, c1, f"{_more(c1 - c0, 'input')} with conflicting labels "
                                                      f"(bound {bounds.max_new_conflicts})"))
    d0, d1 = as_computed(before, "duplicate_share"), as_computed(now, "duplicate_share")
    if d0 is not None and d1 is not None and _past(d1 - d0, bounds.max_duplicate_share_rise):
        found.append(_regression("duplicate_share", d0, d1, f"rose by {_points(d1 - d0, sign=False)} "
                                                            f"(bound {_points(bounds.max_duplicate_share_rise, sign=False)})"))
    return found


def _more(count: float, noun: str) -> str:
    """'1 more eval record' / '80 more eval records'."""
    return f"{count:g} more {noun}{'' if count == 1 else 's'}"


def _reworded_chance(before_count: float, now_count: float, before: dict[str, Any], now: dict[str, Any]) -> float:
    """The chance (Poisson) of at least now_count reworded leaks where they grow in proportion to the records
    audited: each added training record is one more chance to paraphrase an eval record. The baseline's count
    is taken one higher, so a first reworded leak after none is not called unlikely."""
    from scipy.stats import poisson  # only where the count grew

    size0, size1 = _number(before.get("examples")) or _number(before.get("records")), _number(now.get("examples")) or _number(now.get("records"))
    growth = size1 / size0 if size0 and size1 else 1.0
    return float(poisson.sf(now_count - 1, (before_count + 1) * max(growth, 1.0)))


def _p_text(p_value: float) -> str:
    """"p = 0.0002", or "p < 1e-300" for one that underflowed to 0 (below the smallest a float holds, not 0)."""
    return f"p = {p_value:.1g}" if p_value > 0 else "p < 1e-300"


def _new_file_label_shifts(shares0: dict[str, float], earlier: set[str], now: dict[str, Any],
                           bounds: HistoryConfig) -> list[dict[str, Any]]:
    """A training file new since the last run is judged on its own label mix too: one batch labelled
    carelessly (everything "other") barely moves the cumulative shares of many batches."""
    found = []
    for file, figures in sorted((now.get("file_label_shares") or {}).items()):
        labelled, shares1 = figures.get("labelled") or 0, figures.get("shares") or {}
        if not earlier or file in earlier or not labelled or not shares1:
            continue
        for label in sorted(set(shares0) | set(shares1)):
            s0, s1 = shares0.get(label, 0.0), shares1.get(label, 0.0)
            if not _past(abs(s1 - s0), bounds.max_label_share_shift):
                continue
            p_value = _chance(s0, s1, labelled)
            if p_value < BATCH_SHIFT_P_VALUE:
                found.append(_regression(f"label_share:{label}:{file}", s0, s1,
                                         f"this new file's share is {_points(s1 - s0)} off the last run's "
                                         f"({labelled} labelled items, {_p_text(p_value)}; bound "
                                         f"{_points(bounds.max_label_share_shift, sign=False)})"))
    return found


def _chance(share_before: float, share_now: float, labelled: int) -> float:
    """The exact binomial p-value of a batch of `labelled` items showing share_now of a label the last run
    had at share_before."""
    from scipy.stats import binomtest  # only where a shift is large enough to test

    return binomtest(round(share_now * labelled), labelled, min(max(share_before, 0.0), 1.0)).pvalue


def _coverage_setup(report: dict[str, Any]) -> str:
    config = _object(report.get("config"))
    setup = {"model": _object(_object(report.get("checks")).get("coverage")).get("model"),
             "version": report.get("dataaudit_version"),
             **{name: config.get(name) for name in ("fields", "coverage", "duplicates", "embeddings", "task_type")}}
    setup["embeddings"] = {k: v for k, v in _object(setup["embeddings"]).items() if k not in ("cache", "cache_dir", "cache_format")}
    return hashlib.sha256(json.dumps(setup, sort_keys=True, default=str).encode()).hexdigest()[:16]


# A fall only_grown may put down to the estimate's error: two estimates each within 0.03 of the truth (25 of 26
# battery cases; the worst read 0.041 off) differ by up to 0.06-0.08, and the QA probe's clean batches fell 6.2
# points; a fall past 10 points is no estimator's noise, whatever grew (a review's 55-point fall was excused).
MAX_EXCUSED_COVERED_FALL = 0.10


def only_grown(before: dict[str, Any], now: dict[str, Any]) -> bool:
    """Whether this run read every training file of the baseline, byte for byte (by sha256, wherever it now lies),
    and more or no others, over the same production sample: every production input's nearest training record
    can then only be as near or nearer, so the true covered share cannot have fallen and a lower estimate is the
    estimator's error (the README's battery: within 0.03 of truth, each estimate). False where either run kept no
    hashes (histories written before they were kept) or read no production sample."""
    hashes0, hashes1 = before.get("input_hashes"), now.get("input_hashes")
    if not isinstance(hashes0, dict) or not isinstance(hashes1, dict) or now.get("since") or before.get("since"):
        return False
    # the same bytes read another way (other fields, another model, a new version) are other inputs to coverage
    if not before.get("coverage_setup") or before.get("coverage_setup") != now.get("coverage_setup"):
        return False
    c0, c1 = as_computed(before, "covered_share"), as_computed(now, "covered_share")
    if c0 is not None and c1 is not None and c0 - c1 > MAX_EXCUSED_COVERED_FALL + FLOAT_NOISE:
        return False
    train0, train1 = list(hashes0.get("train") or []), list(hashes1.get("train") or [])
    production0, production1 = hashes0.get("production") or [], hashes1.get("production") or []
    if not train0 or not production0 or "" in train0 + train1 + production0 or sorted(production0) != sorted(production1):
        return False
    for digest in train0:  # a multiset: two copies of one file in the baseline need two now
        if digest not in train1:
            return False
        train1.remove(digest)
    return True


def coverage_notes(before: dict[str, Any], now: dict[str, Any], bounds: HistoryConfig) -> list[str]:
    """The covered share's fall past its bound, or the coverage condition's, where find_regressions left it out
    because training only grew over the same production sample (only_grown)."""
    if not only_grown(before, now):
        return []
    c0, c1 = as_computed(before, "covered_share"), as_computed(now, "covered_share")
    fell = c0 is not None and c1 is not None and _past(c0 - c1, bounds.max_covered_share_drop)
    status0, status1 = (before.get("conditions") or {}).get("coverage"), (now.get("conditions") or {}).get("coverage")
    worse = status0 in JUDGED and status1 in JUDGED and SEVERITY[status1] > SEVERITY[status0]
    if not fell and not worse:
        return []
    what = " and ".join([f"the covered share fell by {_points(c0 - c1, sign=False)}"] * fell
                        + [f"the coverage condition went {status0} -> {status1}"] * worse)
    return [f"{what}, not a regression: the training files only grew over the same production sample, which cannot "
            "lower the true covered share, so the fall is the estimate's own error"]


def _items(share: float, figures: dict[str, Any]) -> str:
    """A label's share as the count of labelled items it stands for ("14 items"), or as a share where the run kept no
    count."""
    labelled = _number(figures.get("labelled"))
    if not labelled:
        return f"{share:.1%} of the labels"
    count = round(share * labelled)
    return f"{count} item{'' if count == 1 else 's'}"


LABELS_NAMED = 5  # new labels named in the note; the rest are counted


def label_notes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Labels this run's training data holds and the baseline's did not, in one line: a rename in a new batch
    (card_arrival -> card_delivery) splits a class, and a label of 1-3% moves no share past its bound, so it is said
    here. Not a regression: a new label is often meant (the next batch's new intent)."""
    shares0, shares1 = before.get("label_shares") or {}, now.get("label_shares") or {}
    if not shares0 or not shares1:
        return []
    new = sorted(label for label, share in shares1.items() if share and not shares0.get(label))
    if not new:
        return []
    named = ", ".join(f"{sanitise(label)} ({_items(shares1[label], now)})" for label in new[:LABELS_NAMED])
    more = f" and {len(new) - LABELS_NAMED} more" if len(new) > LABELS_NAMED else ""
    return [f"label{'s' if len(new) > 1 else ''} new since the baseline: {named}{more} (a new class, or a rename of one "
            "of the baseline's?)"]


def comparison_remarks(before: dict[str, Any], now: dict[str, Any], bounds: HistoryConfig) -> list[str]:
    """The notes on a comparison that qualify no regression, in a line each: new labels, a covered share left out as
    the estimate's noise, a --since-last batch's size."""
    return label_notes(before, now) + coverage_notes(before, now, bounds) + batch_notes(before, now)


BATCH_SIZES = ("usable", "examples")


def batch_notes(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """What a comparison left out on purpose, in a line each: a --since-last run's batch size is not compared."""
    if not now.get("since"):
        return []
    sizes = [f"{figure} {before[figure]} then, {now[figure]} now" for figure in BATCH_SIZES
             if before.get(figure) is not None and now.get(figure) is not None]
    return [f"batch size and the scale condition not compared ({'; '.join(sizes) or ', '.join(BATCH_SIZES)}): a --since-last "
            f"run audits only the annotations made since {sanitise(now['since'])}, so a night with fewer of them is not a "
            "loss of data"]


NUMBER, TEXT, OBJECT, LIST = "a number", "text", "an object", "a list"
# Every field compare and the regression check read, with the type a report writes it as (absent or null is
# always fine: an older report lacks a figure, a check that did not run is null). A field of another type
# (a report edited by hand, or no dataaudit report) is named in one line, not met as a traceback midway.
REPORT_FIELDS: dict[str, str] = {
    "generated_at": TEXT, "dataset": TEXT, "schema_version": NUMBER, "config": OBJECT, "config.history": OBJECT,
    "config.dataset_name": TEXT, "config.pii": OBJECT, "config.pii.phone_regions": LIST, "inputs": LIST, "per_file": LIST,
    "verdict.status": TEXT, "verdict.conditions": LIST,
    **{f"checks.{name}": OBJECT for name in ("format", "size", "duplicates", "agreement", "coverage", "balance", "embeddings")},
    "checks.format.records": NUMBER, "checks.format.since": TEXT, "checks.format.invalid": NUMBER, "checks.size.examples": NUMBER,
    "checks.duplicates.usable": NUMBER, "checks.duplicates.duplicate_share": NUMBER, "checks.duplicates.conflict_count": NUMBER,
    "checks.duplicates.leak_count": NUMBER, "checks.duplicates.semantic_leak_count": NUMBER, "checks.duplicates.conflicts": LIST, "checks.duplicates.leakage": LIST,
    "checks.agreement.krippendorff_alpha": NUMBER, "checks.agreement.krippendorff_alpha_unrounded": NUMBER,
    "checks.agreement.export": OBJECT, "checks.agreement.export.since": TEXT, "checks.coverage.covered_share": NUMBER,
    "checks.coverage.covered_share_unrounded": NUMBER, "checks.duplicates.duplicate_records": NUMBER, "checks.duplicates.records": NUMBER,
    "checks.balance.shares": OBJECT, "checks.balance.labelled": NUMBER, "checks.embeddings.model": TEXT,
    "checks.embeddings.computed": NUMBER, "checks.embeddings.from_cache": NUMBER,
}
# The fields of each entry of a list above, by the list's name.
ENTRY_FIELDS: dict[str, dict[str, str]] = {
    "inputs": {"path": TEXT, "role": TEXT},
    "per_file": {"file": TEXT, "krippendorff_alpha": NUMBER, "krippendorff_alpha_unrounded": NUMBER, "labelled": NUMBER,
                 "label_shares": OBJECT},
    "verdict.conditions": {"id": TEXT, "status": TEXT},
}
# Entry fields without which an entry means nothing (a condition with no id cannot be told from another).
REQUIRED_ENTRY_FIELDS = {"verdict.conditions": ("id", "status")}
KINDS = {NUMBER: (int, float), TEXT: (str,), OBJECT: (dict,), LIST: (list,)}


def _of_kind(value: Any, kind: str) -> bool:
    return isinstance(value, KINDS[kind]) and not isinstance(value, bool)


def _at(report: dict[str, Any], dotted: str) -> Any:
    value: Any = report
    for key in dotted.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def report_problem(report: dict[str, Any]) -> str | None:
    """The first field compare or the regression check reads that holds another type than a report writes, said
    as "config is a number, not an object"; None when every one reads as a report's."""
    for field, kind in REPORT_FIELDS.items():
        value = _at(report, field)
        if value is not None and not _of_kind(value, kind):
            return f"{field} is {_kind_of(value)}, not {kind}"
    for field, entry_fields in ENTRY_FIELDS.items():
        for index, entry in enumerate(_at(report, field) or []):
            if not isinstance(entry, dict):
                return f"{field}[{index}] is {_kind_of(entry)}, not an object"
            for name in REQUIRED_ENTRY_FIELDS.get(field, ()):
                if entry.get(name) is None:  # absent or null: either way the entry cannot be told from another
                    return f"{field}[{index}] has no {name}"
            for name, kind in entry_fields.items():
                if entry.get(name) is not None and not _of_kind(entry[name], kind):
                    return f"{field}[{index}].{name} is {_kind_of(entry[name])}, not {kind}"
    shares = [("checks.balance.shares", _at(report, "checks.balance.shares"))]
    shares += [(f"per_file[{index}].label_shares", entry.get("label_shares")) for index, entry in enumerate(_at(report, "per_file") or [])]
    for field, by_label in shares:
        for label, share in (by_label or {}).items():
            if share is not None and not _of_kind(share, NUMBER):
                return f"{field}['{sanitise(str(label))}'] is {_kind_of(share)}, not a number"
    regions = _at(report, "config.pii.phone_regions") or []
    if any(not isinstance(region, str) for region in regions):
        return "config.pii.phone_regions holds an entry that is not text"
    return None


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    return next((kind for kind in KINDS if _of_kind(value, kind)), "null" if value is None else type(value).__name__)
