"""Writing the report files: each rendered in full, then written atomically."""

from __future__ import annotations

from pathlib import Path

from ..io import write_atomic
from ..report import Report, to_jsonable

FILE_NAMES = {"json": "report.json", "md": "report.md", "html": "report.html"}


def write_reports(report: Report, folder: str | Path, formats: list[str]) -> list[Path]:
    folder = Path(folder)
    written = []
    for fmt in formats:
        if fmt == "json":
            from .json_report import render_json as render
        elif fmt == "md":
            from .markdown import render_markdown as render
        elif fmt == "html":
            from .html import render_html as render
        else:
            continue
        written.append(write_atomic(folder / FILE_NAMES[fmt], render(report)))
    if "json" in formats:
        written += write_line_files(report, folder)
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
