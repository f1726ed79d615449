"""Writing the report files: each rendered in full, then written atomically.

The files in --out are replaced as a set: a report file or line file this run does not write (another
format, a check that did not run) is removed, so no file of an earlier run is left beside the new report.
Only the names below are ever written or removed there.
"""

from __future__ import annotations

from pathlib import Path

from ..io import remove_quietly, write_atomic
from ..report import Report, to_jsonable

FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html"}
LINE_FILES = ("coverage.jsonl", "duplicates.jsonl")


def write_reports(report: Report, folder: str | Path, formats: list[str]) -> list[Path]:
    folder = Path(folder)
    rendered = []
    for fmt in formats:
        if fmt == "json":
            from .json_report import render_json as render
        elif fmt == "md":
            from .markdown import render_markdown as render
        elif fmt == "html":
            from .html import render_html as render
        else:
            continue
        rendered.append((folder / FILE_NAMES[fmt], render(report)))
    written = [write_atomic(path, body) for path, body in rendered]
    if "json" in formats:
        written += write_line_files(report, folder)
    for name in [*FILE_NAMES.values(), *LINE_FILES]:
        if folder / name not in written:
            remove_quietly(folder / name)  # an earlier run's, which would be read as this run's
    return written


def write_line_files(report: Report, folder: Path) -> list[Path]:
    """Every production line's coverage verdict and every duplicate group, conflict and leak, one JSON object
    a line: report.json keeps counts and the first of each list for reading; scripts and dedup read these."""
    from ..checks.coverage import coverage_lines
    from ..checks.duplicates import duplicates_lines
    from .json_report import _safe, dumps, known_paths

    written = []
    for name, result, lines in (("coverage.jsonl", report.checks.get("coverage"), coverage_lines),
                                ("duplicates.jsonl", report.checks.get("duplicates"), duplicates_lines)):
        if result is None:
            continue
        seen: dict[str, str] = {}
        paths = known_paths(report)
        body = "".join(dumps(_safe(to_jsonable(item), seen, paths)) + "\n" for item in lines(result))
        written.append(write_atomic(folder / name, body))
    return written
