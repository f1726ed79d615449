"""Writing the report files: each rendered in full, then written atomically.

The files in --out are replaced as a set: all of them are written to temporary files first and renamed into
place only when every one is on disk (a full disk half-way leaves the earlier set whole), and a report file or
line file this run does not write (another format, a check that did not run) is removed, so no file of an
earlier run is left beside the new report. Only the names below are ever written or removed there.

Every file is rendered with the phone regions the report's own `[pii]` config named (masked_as_configured), also
when a notebook calls these functions long after audit() returned: the line files carry labels and texts too.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from ..io import write_atomic_set
from ..report import Report, to_jsonable
from ..scan.pii import masked_as_configured

FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html"}
LINE_FILES = ("coverage.jsonl", "duplicates.jsonl")


@masked_as_configured
def write_reports(report: Report, folder: str | Path, formats: list[str]) -> list[Path]:
    folder = Path(folder)
    rendered = []
    for fmt in formats:
        if fmt == "json":
            from .json_report import render_json as render
        elif fmt == "md":
            from .markdown import render_markdown

            render = partial(render_markdown, formats=formats)  # its cut notes name only the files written beside it
        elif fmt == "html":
            from .html import render_html

            render = partial(render_html, formats=formats)  # a capped list names report.json only where it is written
        else:
            continue
        rendered.append((folder / FILE_NAMES[fmt], render(report)))
    if "json" in formats:
        rendered += line_files(report, folder)
    # an earlier run's files this one does not write would be read as this run's: removed with the renames,
    # under the same lock, so a run writing fewer formats cannot take away another run's fresh file
    written = write_atomic_set(rendered, remove=[folder / name for name in [*FILE_NAMES.values(), *LINE_FILES]])
    return written


@masked_as_configured
def line_files(report: Report, folder: Path) -> list[tuple[Path, str]]:
    """Every production line's coverage verdict and every duplicate group, conflict and leak, one JSON object
    a line: report.json keeps counts and the first of each list for reading; scripts and dedup read these."""
    from ..checks.coverage import coverage_lines
    from ..checks.duplicates import duplicates_lines
    from .json_report import _safe, dumps, known_paths

    files = []
    for name, result, lines in (("coverage.jsonl", report.checks.get("coverage"), coverage_lines),
                                ("duplicates.jsonl", report.checks.get("duplicates"), duplicates_lines)):
        if result is None or getattr(result, "not_measured", ""):
            continue  # README: coverage.jsonl is removed, not left empty, when coverage was not measured
        seen: dict[str, str] = {}
        paths = known_paths(report)
        files.append((folder / name, "".join(dumps(_safe(to_jsonable(item), seen, paths)) + "\n" for item in lines(result))))
    return files
