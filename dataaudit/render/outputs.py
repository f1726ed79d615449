"""Writing the report files: each rendered in full, then written atomically."""

from __future__ import annotations

from pathlib import Path

from ..io import write_atomic
from ..report import Report

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
    return written
