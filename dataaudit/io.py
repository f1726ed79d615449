"""Atomic file writes: a report is either the old file or the complete new one, never half written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import InputError


class WriteError(InputError, OSError):
    """A file that could not be written (a read-only place, a full disk, a folder in the way): one line naming
    the path and the reason, exit 2 in the CLI; still an OSError for code that catches those."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = None
    try:
        if path.is_dir():
            raise IsADirectoryError(21, "is a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())  # mkstemp creates 0600; a report is an ordinary file
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise _write_error(path, exc, "cannot be written") from exc
        raise
    return path


def _write_error(path: Path | str, exc: OSError, what: str) -> WriteError:
    import errno

    why = exc.strerror or str(exc) or type(exc).__name__
    fix = "free some space on that disk" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "name a place you can write to"
    error = WriteError(f"{path}: {what} ({why}); {fix}")
    error.errno = exc.errno
    return error


def remove_quietly(path: str | Path) -> bool:
    """Remove a file this tool wrote earlier (a stale report file); True when one was there."""
    try:
        Path(path).unlink()
        return True
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise _write_error(path, exc, "an earlier report file cannot be removed") from exc
