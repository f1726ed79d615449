"""Duplicates, conflicting labels and leakage."""

from __future__ import annotations

from typing import Collection

from ...checks.duplicates import labelled_lines
from ...errors import said
from ...report import Report
from ..figures import report_figure
from .base import Figure, Section, SectionContent, Table, json_written, rerun_for_full_lists, text, unit

SHOWN = 3  # conflicts and groups named in the summary lines; the tables list more
# Where the rest of a summary line's list is, where the formats are not known (the terminal, which notes after the
# summary that this run does not write the file: render/terminal.py, FORMAT_OF_FILE): so the line says which
# format writes it.
IN_LINE_FILE = "duplicates.jsonl (written with json) lists every one"


def _in_line_file(formats) -> str:
    """Where every group is, for a summary line: duplicates.jsonl only where the run may write it; report.md or
    report.html written alone says to add json, as its table cuts do."""
    if formats is None:
        return IN_LINE_FILE
    return "duplicates.jsonl lists every one" if json_written(formats) else rerun_for_full_lists()


def several_training_files(report: Report) -> bool:
    """More than one training file: a bare line number would name a line of any of them."""
    return len({i.path for i in report.inputs if i.role == "train"}) > 1


def _places(lines: list[int], files: list[str], several: bool) -> str:
    return ", ".join(f"{f}:{n}" for f, n in zip(files, lines)) if several else ", ".join(map(str, lines))


def _kept(g, several: bool) -> str:
    """The record dedup keeps: an exact group inside a near group keeps the near group's record, which is not one
    of its own lines, so that is said ("keep 4562" beside "lines 4595, 4596" read as a mistake)."""
    keep = f"{g.keep_file}:{g.keep}" if several else str(g.keep)
    inside = any(m.line == g.keep and m.file == g.keep_file for m in g.members) or (g.keep in g.lines and not several)
    return keep if inside else f"{keep}, of the near group it lies in"


def _wordings(c, width: int) -> str:
    """The group's distinct inputs: a lexical copy's members differ (a typo, a moved word), and a reviewer
    judging whether the labels really conflict must see each wording, not the first member's alone."""
    shown = " / ".join(f'"{text(t, width)}"' for t in c.texts[:2])
    return shown + (f" (+{len(c.texts) - 2} more wordings)" if len(c.texts) > 2 else "")


def similarity_text(leak) -> str:
    """A leak's similarity with its measure: a lexical copy's character edit similarity (0.69 for a certain filler
    copy) beside a reworded one's cosine (0.96) read as a weak match on one scale."""
    measure = getattr(leak, "similarity_measure", "")
    if measure == "equal":
        return "equal"
    return f"{'edit similarity' if measure == 'edit' else measure} {leak.similarity:.3f}".strip()


def _conflict_labels(c, several: bool, limit: int, width: int) -> str:
    if not c.line_labels:  # a result without per-line labels: the distinct ones
        return " vs ".join(text(x, width) for x in c.labels[:4])
    return labelled_lines(c.lines, c.line_files, c.line_labels, several, limit, shown=lambda x: text(x, width))


def _build(report: Report, formats: Collection[str] | None = None) -> SectionContent | None:
    d = report.checks.get("duplicates")
    if d is None:
        return None
    # The semantic rule ran only with embeddings; without them the near groups are the lexical rules' alone.
    lexical = "case, punctuation, filler, word order, typos"
    rule = (f"cosine >= {d.near_cosine:g} without a changed number, name, negation, opposite or meaning-bearing word (my/your, why/how, all, again); or a lexical copy: {lexical}"
            if report.checks.get("embeddings") is not None else f"lexical copies only, embeddings off: {lexical}")
    share = d.duplicate_records / d.records if d.records else 0.0  # from the counts, as the condition: the field is rounded
    # whole_record_groups counts exact groups whose members share a label or target, not whole records: copies of
    # one input under other ids and metadata were called "whole-record".
    same = "label" if d.label_field == "label" else "target"
    lines = [f"{d.duplicate_records} of {d.records} {unit(report)} are duplicates ({report_figure(report, 'duplicate_share', share)}): {d.exact_group_count} exact groups "
             f"({d.whole_record_groups} with the same {same}), {d.near_group_count} near groups ({rule})",
             f"{d.conflict_count} group(s) of exact or lexical copies with different labels/targets"]
    if d.eval_records is not None:
        lines.append(f"{d.leak_count} of {d.eval_records} eval records leak from training")
    if d.production_overlap is not None:
        lines.append(f"{d.production_overlap} production inputs are exact copies of training inputs (information)")
    several = several_training_files(report)
    shown_conflicts = d.conflicts[:SHOWN]
    for c in shown_conflicts:
        lines.append(f"conflict: {_wordings(c, 70)} labelled {_conflict_labels(c, several, 6, 30)}")
    if d.conflict_count > len(shown_conflicts) and shown_conflicts:
        lines.append(f"... and {d.conflict_count - len(shown_conflicts)} more conflicting group(s): {_in_line_file(formats)}")
    shown_groups = (d.exact_groups + d.near_groups)[:SHOWN]
    for g in shown_groups:
        lines.append(f"{g.kind} group, {'' if several else 'lines '}{_places(g.lines[:6], [m.file for m in g.members[:6]], several)} "
                     f"(keep {_kept(g, several)}): \"{text(g.members[0].text, 70)}\"")
    group_count = d.exact_group_count + d.near_group_count
    if group_count > len(shown_groups) and shown_groups:
        lines.append(f"... and {group_count - len(shown_groups)} more duplicate group(s): {_in_line_file(formats)}")
    groups = [[g.kind + (f" ({'+'.join(g.methods)})" if g.methods else ""),
               _places(g.lines[:8], [m.file for m in g.members[:8]], several), _kept(g, several),
               text(g.members[0].text)]
              for g in d.exact_groups + d.near_groups]
    conflicts = [[_places(c.lines[:8], c.line_files[:8], several), _conflict_labels(c, several, 8, 40), _wordings(c, 120)]
                 for c in d.conflicts]
    leaks = [[f"{x.eval_file}:{x.eval_line}", f"{x.train_file}:{x.train_line}", x.kind, similarity_text(x), text(x.eval_text)]
             for x in d.leakage]
    # else the cut note says to add json already
    every = (f"all are in duplicates.jsonl, which {said('--out', 'write_reports')} writes beside report.json (the json format)"
             if json_written(formats) else "")
    return SectionContent(lines, [
        Table(f"Conflicting labels ({d.conflict_count} groups)", ["lines", "labels", "text"], conflicts, total=d.conflict_count,
              full_list=every, collapsed=not conflicts),
        Table(f"Eval leakage ({d.leak_count} records)", ["eval record", "training record", "kind", "similarity", "text"], leaks,
              total=d.leak_count, full_list=every, collapsed=not leaks),
        Table(f"Duplicate groups ({d.exact_group_count + d.near_group_count})", ["kind", "lines", "keep", "text"], groups,
              total=d.exact_group_count + d.near_group_count, full_list=every),
    ])


def _figures(report: Report) -> list[Figure]:
    from .. import plots

    d = report.checks.get("duplicates")
    sizes = getattr(d, "group_sizes", None) if d is not None else None
    return [Figure(plots.group_sizes(sizes), "Duplicate group sizes")] if sizes else []


SECTION = Section("duplicates", "Duplicates, conflicts and leakage", 50, _build, _figures)
