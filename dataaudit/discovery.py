"""Finding the modules of a package that declare one object (a check's CHECK, a section's SECTION).

Registries by discovery make adding a check or a report section one new module, with no list to edit.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Iterable, TypeVar

T = TypeVar("T")


def discover(package: str, path: Iterable[str], attribute: str, kind: type[T]) -> list[T]:
    found = []
    for info in pkgutil.iter_modules(list(path)):
        if info.name.startswith("_") or info.name == "base":
            continue
        value = getattr(importlib.import_module(f"{package}.{info.name}"), attribute, None)
        if isinstance(value, kind):
            found.append(value)
    return found
