"""Regular-expression character classes built from code points, for the scripts' marks the text rules match."""

from __future__ import annotations

import re
from typing import Iterable


def char_class(codes: Iterable[int]) -> str:
    """A regular-expression character class body of the code points `codes` (sorted), as ranges."""
    out, start, prev = [], None, None
    for c in codes:
        if start is not None and c == prev + 1:
            prev = c
            continue
        if start is not None:
            out.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
        start = prev = c
    if start is not None:
        out.append(re.escape(chr(start)) + ("-" + re.escape(chr(prev)) if prev > start else ""))
    return "".join(out)
