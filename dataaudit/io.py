"""Atomic file writes: a report is either the old file or the complete new one, never half written."""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Iterator

try:
    import fcntl
except ImportError:  # Windows: no flock; two runs on one --out there can still interleave their renames
    fcntl = None

from .errors import InputError


class WriteError(InputError, OSError):
    """A file that could not be written (a read-only place, a full disk, a folder in the way): one line naming
    the path and the reason, exit 2 in the CLI; still an OSError for code that catches those."""


NOT_REGULAR = "not a regular file (a device, FIFO or socket)"


def refuse_special_file(path: str | Path, flag: str = "") -> None:
    """The one rule for every path this tool writes or removes (reports, --suspects, --timings, --history, init,
    dedup/redact copies): something there that is neither a regular file nor a folder is refused. os.replace
    would rename a device away and leave a regular file in its place (run as root, /dev/null replaced), and a
    write to /dev/full would "succeed" that way. Only stat: opening a FIFO would block."""
    try:
        mode = os.stat(path).st_mode  # follows a symlink: a link to /dev/null is a device too
    except OSError:
        return  # nothing there (or a dangling link): writing it makes a regular file
    if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        raise WriteError(f"{path}: {NOT_REGULAR}: name a file{f' for {flag}' if flag else ''}")


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    return write_atomic_set([(path, data)])[0]


def write_atomic_set(files: list[tuple[str | Path, str | bytes]], remove: list[str | Path] = ()) -> list[Path]:
    """Several files replaced together: each is written whole to a temporary file beside it first, and only
    when every one is on disk are they renamed into place. A full disk half-way leaves the old set as it was,
    not new files beside old ones. `remove`: files of an earlier set that this one does not replace, removed
    with the renames.

    The renames and removals hold an exclusive lock on each folder written to, so two runs with the same --out
    (cron overlapping a manual run) leave one run's whole set, never one's report.json beside the other's
    report.html. The lock waits rather than fails: the other run's renames take milliseconds."""
    staged: list[tuple[Path, str]] = []
    path = Path(files[0][0]) if files else Path()
    for name in [*(name for name, _ in files), *remove]:
        refuse_special_file(name)  # before any file is staged: a refused set leaves nothing behind
    try:
        for name, data in files:
            path = Path(name)
            staged.append((path, _stage(path, data.encode("utf-8") if isinstance(data, str) else data)))
        folders = {p.parent for p, _ in staged} | {Path(r).parent for r in remove}
        with _folders_locked(folders if len(staged) + len(remove) > 1 else set()):
            # Again, just before: staging takes a while (fsync), and a FIFO made meanwhile would be renamed away.
            # Every target before the first rename, so a refusal still leaves the old set whole.
            for name in [*(p for p, _ in staged), *remove]:  # the removals too: a FIFO there would be unlinked
                refuse_special_file(name)
            for path, tmp in staged:
                os.replace(tmp, path)
            for name in remove:
                if Path(name) not in {p for p, _ in staged}:
                    remove_quietly(name)
    except BaseException as exc:
        for _, tmp in staged:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise _write_error(path, exc, "cannot be written") from exc
        raise
    return [path for path, _ in staged]


@contextmanager
def _folders_locked(folders: set[Path]) -> Iterator[None]:
    """flock on the folders themselves (opened read-only), in one order so that two runs cannot deadlock: a lock
    file would be left in --out beside the reports, where a listing or a later audit of the folder sees it.
    A folder that cannot be opened or locked (a filesystem without flock) is written unlocked, as before."""
    with ExitStack() as stack:
        for folder in sorted(folders, key=str) if fcntl is not None else ():
            try:
                fd = os.open(folder, os.O_RDONLY)
            except OSError:
                continue
            stack.callback(os.close, fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
            except OSError:
                continue
            stack.callback(fcntl.flock, fd, fcntl.LOCK_UN)
        yield


def _stage(path: Path, payload: bytes) -> str:
    """The payload in a synced temporary file beside path (removed again if writing it fails)."""
    if path.is_dir():
        raise IsADirectoryError(21, "is a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())  # mkstemp creates 0600; a report is an ordinary file
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


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
