"""Where the audit writes, checked before it runs: the --out folder made (or refused), no output over an input,
no report folder that is also a data folder; and a folder the run made taken away again when it fails.

Kept apart from the CLI's argument handling so that the rules read in one place; each takes plain paths.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Iterable

from .errors import DataAuditError, InputError
from .io import NOT_REGULAR, refuse_special_file


def prepare_out_folder(out: str | None, file_names: Iterable[str] = ()) -> list[Path]:
    """The --out folder exists and takes files, made here if need be: a report that cannot be written is found
    before the audit runs and is recorded in the history, not after. file_names: the files the command writes
    or removes there; a device, FIFO or socket under one of those names is refused now, not after the run.
    Returns the folders made here, deepest first, so that a run that fails before writing anything can take
    them away again (remove_empty)."""
    if not out:
        return []
    folder = Path(out)
    for place in [folder, *folder.parents]:
        if place.is_symlink() and not place.exists():  # mkdir would say only "File exists"
            where = "" if place == folder else f" ({place} in it)"
            raise InputError(f"{out}: --out{where} is a symlink to {os.readlink(place)}, which does not exist; make that "
                             "folder or name another")
    if folder.exists() and not folder.is_dir():
        what = "a file" if folder.is_file() else NOT_REGULAR  # a device is no file either: said as what it is
        raise InputError(f"{out}: --out must be a folder for the reports, and this is {what}; name a folder")
    in_the_way = file_above(folder)
    if in_the_way is not None:
        raise InputError(f"{out}: --out cannot be made: {in_the_way}; name a folder you can write to")
    for name in file_names:
        refuse_special_file(folder / name, f"--out ({name})")
    made = [p for p in [folder, *folder.parents] if not p.exists()]
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        remove_empty(made)
        raise InputError(f"{out}: --out cannot be made ({e.strerror or e}); name a folder you can write to") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(f"{out}: --out is not writable; name a folder you can write to")
    return made


def remove_empty(folders: list[Path]) -> None:
    """Take away folders this run made (deepest first) that are still empty: a failed run leaves none behind."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return  # not empty (or not ours to remove any more): leave it and its parents


def refuse_unfit_output_file(flag: str, path: str | None) -> None:
    """A single-file output (--suspects, --timings) that is a folder, a device, a FIFO or a socket, refused before
    the audit runs rather than when its file is written."""
    if path and Path(path).is_dir():
        raise InputError(f"{path}: {flag} names a file to write, and this is a folder; name a file in it")
    if path:
        refuse_special_file(path, flag)
        in_the_way = file_above(Path(path))
        if in_the_way is not None:
            raise InputError(f"{path}: {flag} cannot be written: {in_the_way}; name a place you can write to")


def file_above(path: Path) -> str | None:
    """What is in the way where the nearest existing folder above `path` is no folder (`afile/s.csv`): said as
    dedup and redact say it (`afile is a file, not a folder`). Left to mkdir or open, it read "File exists" or
    "Not a directory", about a path that does not exist."""
    for parent in path.parents:
        if parent.exists():  # the nearest that does: the folders below it are made when the output is written
            if parent.is_dir():
                return None
            return f"{parent} is {'a file' if parent.is_file() else NOT_REGULAR}, not a folder"
    return None


def refuse_outputs_over_inputs(out: str | None, output_files: dict[str, str | None], *, data_inputs: Iterable,
                               other_inputs: Iterable) -> None:
    """No file the audit writes may be one it reads (report files and line files in `out`, the files named in
    output_files by their flag): refused before the audit runs, so an input is never replaced by a report.
    An `out` folder that holds data inputs (named as a folder, a glob or a file in it) is refused too: an
    audit of that folder, or the same glob, would read this run's reports as training data."""
    from .render.outputs import FILE_NAMES, LINE_FILES

    outputs = [(f"--out ({name})", Path(out) / name) for name in [*FILE_NAMES.values(), *LINE_FILES]] if out else []
    outputs += [(flag, Path(path)) for flag, path in output_files.items() if path]
    if not outputs:
        return
    named = [str(item) for item in data_inputs if item]
    data = _local_files(named)
    inputs = data + [Path(p) for p in other_inputs]
    for flag, output in outputs:
        for source in inputs:
            if _same_file(output, source):
                raise InputError(f"{output}: {flag} would overwrite this input; name another "
                                 f"{'folder' if flag.startswith('--out') else 'file'} for it")
    if out:
        _refuse_out_in_input_folders(out, named, data)
    for flag, path in output_files.items():
        where = os.path.realpath(path) if path else ""
        reaching = [item for item in _inputs_reaching(where, named) if _reads_file(item, where)] if path else []
        if reaching:
            raise InputError(f"{path}: {flag} is inside the input {_kind(reaching[0])} {reaching[0]}, so the next audit of "
                             f"it would read this file as training data; name a file outside it for {flag}")


def _refuse_out_in_input_folders(out: str, named: list[str], data: list[Path]) -> None:
    """`out` that is an input folder (named, a glob's, or a data file's), or lies inside a folder the inputs walk
    (named as a folder, or matched by a glob once made), refused whether it exists yet or not: allowed on a first
    run, the same command was refused on the next, and its reports read as data by an audit of the folder."""
    where = os.path.realpath(out)
    folders = [item for item in named if not _is_uri(item) and Path(item).is_dir()]
    if any(where == os.path.realpath(f) for f in folders + [str(source.parent) for source in data]):
        raise InputError(f"{out}: --out is also an input folder, so the next audit of it would read this run's "
                         "reports as training data; name another folder for --out")
    walked = _inputs_reaching(where, named)
    if walked:
        raise InputError(f"{out}: --out is inside the input {_kind(walked[0])} {walked[0]}, so the next audit of it "
                         "would read this run's reports as training data; name a folder outside it for --out")


def _inputs_reaching(where: str, named: list[str]) -> list[str]:
    """The named input folders whose walk, and the globs whose matches, would take in `where` (a real path, of
    a folder or a file, there yet or not). A named data file reaches nothing beside it: an audit of that file
    reads that file only."""
    folders = [item for item in named if not _is_uri(item) and Path(item).is_dir()]
    # a folder's walk leaves hidden entries out, at every depth: `data/.reports` is read by no audit of `data`
    walked = [f for f in folders if _inside(where, os.path.realpath(f)) and not _hidden_in(where, os.path.realpath(f))]
    return walked + [item for item in named if not _is_uri(item) and not Path(item).exists() and _glob_reaches(item, where)]


def _reads_file(named_input: str, where: str) -> bool:
    """Whether an input folder or glob that reaches a file at `where` would read it: a walk takes only files
    named as data (`timings.log` is skipped), and so does a glob unless it spells the suffix and matches the file
    itself (`data/*.log`), as load.inputs chooses them."""
    import glob

    from .load.files import named_as_data

    if named_as_data(Path(where).name):
        return True
    suffix = Path(named_input).suffix
    if Path(named_input).is_dir() or not suffix or glob.has_magic(suffix):
        return False
    return not _glob_reaches(named_input, os.path.dirname(where))  # matched itself, not walked in a matched folder


def _kind(named_input: str) -> str:
    return "folder" if Path(named_input).is_dir() else "glob"


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder and path != folder


def _hidden_in(path: str, folder: str) -> bool:
    return any(part.startswith(".") for part in Path(os.path.relpath(path, folder)).parts)


def _glob_reaches(pattern: str, where: str) -> bool:
    """Whether a folder at `where` would be one of the glob's matches, or inside one (a matched folder is walked).
    A hidden name is matched only by a pattern part that spells its dot (`.*`), as glob matches, and is walked
    past by a matched folder's walk."""
    import fnmatch
    import glob

    parts = Path(pattern).parts
    fixed = next((i for i, part in enumerate(parts) if glob.has_magic(part)), len(parts))
    base = os.path.realpath(Path(*parts[:fixed]) if fixed else ".")
    if not _inside(where, base):
        return False
    relative = Path(os.path.relpath(where, base)).parts
    wanted = parts[fixed:]
    return (len(relative) >= len(wanted) and all(fnmatch.fnmatchcase(r, w) for r, w in zip(relative, wanted))
            and not any(r.startswith(".") and not (i < len(wanted) and wanted[i].startswith("."))
                        for i, r in enumerate(relative)))


def _is_uri(item: str) -> bool:
    from .load.files import is_uri

    return is_uri(item)


def _local_files(items: list[str]) -> list[Path]:
    """The local files the inputs name (folders and globs expanded); a name that does not expand is left for
    the audit to refuse in its own words."""
    from .load.inputs import expand_inputs
    from .load.files import is_uri

    found: list[Path] = []
    for item in items:
        if is_uri(item):
            continue
        try:
            with warnings.catch_warnings():  # the audit or command reading these inputs says what it skipped, once
                warnings.simplefilter("ignore")
                found += [Path(f) for f in expand_inputs(item)]
        except DataAuditError:
            continue
    return found


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist: writing it cannot overwrite the other
        return False
