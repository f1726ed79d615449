"""Report sections, one module per check (and per_file, the batches): what its part of every report shows.

Every module here with a module-level `SECTION` is rendered by the terminal, Markdown and HTML renderers
in `SECTION.order`; adding a check's section is adding a module. Sections build plain content (lines,
tables, figures) from typed results; dataset text in it has been through `excerpt()`, and each renderer
escapes for its own format on top.
"""

from __future__ import annotations

from functools import cache

from ...discovery import discover

from .base import Figure, Section, SectionContent, Table, capped_note, text

__all__ = ["Figure", "Section", "SectionContent", "Table", "all_sections", "capped_note", "text"]


@cache
def all_sections() -> tuple[Section, ...]:
    found = discover(__name__, __path__, "SECTION", Section)
    return tuple(sorted(found, key=lambda s: (s.order, s.id)))
