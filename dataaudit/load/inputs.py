"""The inputs an audit names, found and read: files named, a folder's data files (its subfolders' too), a glob's
matches, and the same for a URI (`s3://bucket/export/`, `gs://...`, `file:///data/...`), listed and read through
its pyarrow filesystem; then the files read into one Dataset (read_files) or per file and merged (merge_datasets).
Every engine reads through here, so a folder, its glob and its URI name the same records in either engine: a
record is named by the URI of its file and its line there, as a local file's records are by path and line."""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ..errors import InputError, InputWarning
from .annotation_tools import detect_export
from .dataset import load_dataset
from .files import data_stem, folder_name
from .files import DATA_SUFFIXES, is_uri, named_as_data, open_uri, uri_filesystem
from .records import Dataset


def _given(paths) -> list[str]:
    if paths is None:
        return []
    given = [str(item) for item in (list(paths) if isinstance(paths, (list, tuple)) else [paths])]
    if "" in given:
        # Path("") is the current folder: an unset variable (`audit "$DATA"`) would audit whatever lies there.
        raise InputError('the input path is empty: "" names no file (an unset variable?); name a file, a folder or a glob')
    return given


def _named_or_matched(pattern: str) -> list[str]:
    """Files and folders named or matched: an existing path is taken literally (`data[1].jsonl` is a file name),
    a pattern only when no such file exists, so quoted globs work from cron (no shell) on every platform."""
    if is_uri(pattern):
        return _expand_uri(pattern)
    if Path(pattern).exists() or not glob.has_magic(pattern):
        return [pattern]
    matches = sorted(glob.glob(pattern))
    if not matches:
        raise InputError(f"{pattern}: no file matches this pattern")
    # glob matches a link whatever it points to, where a folder's scan cannot read one that points nowhere:
    # skipped here with the same words, so the folder and its glob take the same files
    broken = [m for m in matches if _is_broken_link(Path(m))]
    broken_names = set(broken)
    if broken and len(broken) == len(matches):
        raise InputError(f"{pattern}: matches only {_broken_links(len(broken))} ({_names([_base_name(m) for m in broken])}); "
                         "fix or remove the links, or name the files they should point to")
    if broken:
        warnings.warn(f"{pattern}: skipped {_broken_links(len(broken))} ({_names([_base_name(m) for m in broken])}), "
                      f"as a folder's scan does; {_FIX_LINKS}", InputWarning, stacklevel=3)
    return _data_matches(pattern, [m for m in matches if m not in broken_names])


_FIX_LINKS = "fix a broken link (or name the file it should point to) to have it read"


def _is_broken_link(path: Path) -> bool:
    return path.is_symlink() and not path.exists()  # exists() follows the link: False for a dangling or looping one


def _broken_links(count: int) -> str:
    return f"{count} broken symbolic link{'s' if count != 1 else ''}"


def _data_matches(pattern: str, matches: list[str], is_folder=lambda m: Path(m).is_dir()) -> list[str]:
    """A glob's matches that are data: folders, and files named as data (see files.named_as_data), as a folder's
    scan takes them; a pattern that spells its own suffix (`*.txt`) chose its files and keeps them all. The
    others are skipped with a warning naming them; none left is an InputError."""
    suffix = Path(pattern).suffix
    if suffix and not glob.has_magic(suffix):
        return matches
    kept = [m for m in matches if is_folder(m) or named_as_data(m)]
    kept_names = set(kept)
    skipped = [_base_name(m) for m in matches if m not in kept_names]
    if not kept:
        raise InputError(f"{pattern}: matches {len(matches)} file{'s' if len(matches) != 1 else ''} and none is a data file "
                         f"({', '.join(skipped[:3])}{', ...' if len(skipped) > 3 else ''}); data files end in "
                         f"{', '.join(DATA_SUFFIXES)} (compressed or not); name a file to have it read whatever its name")
    if skipped:
        warnings.warn(f"{pattern}: skipped {len(skipped)} matched file{'s' if len(skipped) != 1 else ''} that "
                      f"{'are not data files' if len(skipped) != 1 else 'is not a data file'} "
                      f"({_names(skipped)}), as a folder's scan does; name a file to have it read", InputWarning, stacklevel=3)
    return kept


_NAMED_SKIPS = 20  # a warning names this many skipped files, then counts the rest: a folder of images stays one line


def _names(skipped: list[str]) -> str:
    more = len(skipped) - _NAMED_SKIPS
    return ", ".join(skipped[:_NAMED_SKIPS]) + (f" and {more} more" if more > 0 else "")


def _base_name(location: str) -> str:
    return unquote(location.rstrip("/").rsplit("/", 1)[-1]) if is_uri(location) else Path(location).name


# What `--out` holds after an audit: a folder holding report.json and one of these beside it is a report set.
_REPORT_SET = ("report.md", "report.html", "coverage.jsonl", "duplicates.jsonl")


def _is_report_set(names: set[str]) -> bool:
    return "report.json" in names and any(name in names for name in _REPORT_SET)


@dataclass
class _Skipped:
    """What a folder's scan left out, said in one warning: files not named as data, subfolders it may not read
    (a root-only lost+found at a volume's root), subfolders holding an earlier audit's reports. A glob's own
    (its `folder` the pattern) names the matched folders it left out for the same reasons."""
    files: list[str]
    unreadable: list[str]
    reports: list[str]
    folder_noun: str = "subfolder"
    broken_links: list[str] = field(default_factory=list)
    links_back: list[str] = field(default_factory=list)  # folder links to a folder above them or read anyway

    def warn(self, folder: str, stacklevel: int = 4) -> None:
        said = []
        if self.files:
            said.append(f"{len(self.files)} file{'s' if len(self.files) != 1 else ''} in the folder that "
                        f"{'are not data files' if len(self.files) != 1 else 'is not a data file'} ({_names(self.files)})")
        if self.broken_links:
            said.append(f"{_broken_links(len(self.broken_links))} in the folder ({_names(self.broken_links)})")
        if self.links_back:
            said.append(f"{len(self.links_back)} folder link{'s' if len(self.links_back) != 1 else ''} that "
                        f"{'lead' if len(self.links_back) != 1 else 'leads'} back to a folder above or to one read anyway "
                        f"({_names(self.links_back)})")
        if self.unreadable:
            said.append(f"{len(self.unreadable)} {self.folder_noun}{'s' if len(self.unreadable) != 1 else ''} it may "
                        f"not read ({_names(self.unreadable)})")
        if self.reports:
            said.append(f"{len(self.reports)} {self.folder_noun}{'s' if len(self.reports) != 1 else ''} holding a "
                        f"dataaudit report set, whose duplicates.jsonl and report.json are reports, not training data "
                        f"({_names(self.reports)})")
        remedies = (["name a file to have it read"] if self.files or self.unreadable or self.reports
                    else []) + ([_FIX_LINKS] if self.broken_links else [])
        if said:
            warnings.warn(f"{folder}: skipped {'; and '.join(said)}{''.join('; ' + r for r in remedies)}", InputWarning,
                          stacklevel=stacklevel)


def _matched_folders_skipped() -> _Skipped:
    return _Skipped([], [], [], folder_noun="matched folder")


def _folder_shards(folder: Path, *, top: bool = True, matched_skips: _Skipped | None = None,
                   also_walked: frozenset[str] = frozenset()) -> list[str]:
    """A folder's data files, its subfolders' in their place (entries in name order, so a folder and its glob
    `folder/*` take the same files in the same order); hidden entries are left out as `*` leaves them out, an
    annotation-tool export folder inside stays one input, and what is left out is named in one warning (see
    _Skipped). Only a folder named itself (`top`) with no data file anywhere in it, or that it may not read, is
    an InputError; one a glob matched is skipped like a subfolder (unread, or holding a report set: added to
    the glob's `matched_skips`). also_walked: the real paths of the folders the same glob matched, which it walks
    under their own names (a link into one of them is skipped, as the folder above them skips it)."""
    matched_skips = matched_skips if matched_skips is not None else _matched_folders_skipped()
    found: list[str] = []
    skipped = _Skipped([], [], [])
    seen: set[str] = set()

    def walk(current: Path) -> None:
        seen.add(os.path.realpath(current))
        try:
            entries = sorted(current.iterdir(), key=lambda p: p.name)
        except OSError as exc:
            if current == folder and top:
                raise InputError(f"{folder}: cannot read this folder ({exc.strerror or exc}); name one you may read") from None
            (skipped if current != folder else matched_skips).unreadable.append(_skipped_name(current, folder))
            return
        # a folder named itself is read as named; a matched one is skipped as a subfolder is
        if (current != folder or not top) and _is_report_set({e.name for e in entries}):
            (skipped if current != folder else matched_skips).reports.append(_skipped_name(current, folder))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.is_symlink() and _leads_back(entry, current, seen, folder, also_walked):
                    skipped.links_back.append(str(entry.relative_to(folder)))
                elif detect_export(entry) is not None:
                    found.append(str(entry))
                else:
                    walk(entry)
            elif entry.is_file() and named_as_data(entry.name):
                found.append(str(entry))
            elif _is_broken_link(entry):
                skipped.broken_links.append(str(entry.relative_to(folder)))
            else:
                skipped.files.append(str(entry.relative_to(folder)))

    walk(folder)
    skipped.warn(str(folder))
    if top and not found:
        raise _no_data_files(str(folder))
    return found


def _leads_back(link: Path, current: Path, seen: set[str], scanned: Path, also_walked: frozenset[str] = frozenset()) -> bool:
    """Whether a folder link leads to the folder holding it, to one above it, to one already walked, or to one
    the scan walks under its own name (inside the scanned folder, not hidden): walking it would read the same
    files again under other names, or never end. Judged from where the link sits, so a glob's matched folder
    and the folder above it skip the same link; asked of links only, so the real folder is never the one
    skipped, whichever of the two names sorts first."""
    target, here, root = os.path.realpath(link), os.path.realpath(current), os.path.realpath(scanned)
    if target in seen or here == target or here.startswith(target.rstrip(os.sep) + os.sep):
        return True
    if any(target == walked or target.startswith(walked.rstrip(os.sep) + os.sep) for walked in also_walked):
        return True  # into a folder the same glob matched: `lk/*` skips `lk/a/l -> ../b` as `lk` does
    inside = os.path.relpath(target, root).split(os.sep)
    return inside[0] != os.pardir and not any(part.startswith(".") for part in inside)


def _skipped_name(current: Path, folder: Path) -> str:
    """A skipped subfolder by its path within the folder scanned, a skipped matched folder by its name."""
    return str(current.relative_to(folder)) if current != folder else folder.name


def _no_data_files(folder: str) -> InputError:
    return InputError(f"{folder}: directory holds no data files ({', '.join(DATA_SUFFIXES)}, compressed or not), "
                      "in it or in its subfolders")


def expand_inputs(paths) -> list[str]:
    """Files named, matched by a glob, or inside a named directory (its data files and its subfolders', sorted by
    name; hidden files left out, other suffixes skipped with a warning), in order, each once. A directory that is
    one annotation-tool export (Argilla 2.x: records.json beside settings.json) stays one input: its files are
    not records alike. A glob's matched folders are read as subfolders are: one without data files is skipped,
    and only a glob whose matches hold no data file at all is an InputError."""
    found: list[str] = []
    for pattern in _given(paths):
        matched = _named_or_matched(pattern)
        if is_uri(pattern):  # already expanded on its filesystem
            found += matched
            continue
        named = len(matched) == 1 and matched[0] == pattern  # a name taken literally, not a glob's match
        files: list[str] = []
        matched_skips = _matched_folders_skipped()
        walked = frozenset(os.path.realpath(m) for m in matched if Path(m).is_dir() and not Path(m).is_symlink())
        for item in matched:
            folder = Path(item)
            if folder.is_dir() and detect_export(folder) is None:
                files += _folder_shards(folder, top=named, matched_skips=matched_skips,
                                        also_walked=walked - {os.path.realpath(folder)})
            else:
                files.append(item)
        matched_skips.warn(pattern, stacklevel=3)
        if not files:
            raise InputError(f"{pattern}: matches {len(matched)} folder{'s' if len(matched) != 1 else ''} and none holds a "
                             f"data file ({', '.join(DATA_SUFFIXES)}, compressed or not)")
        found += files
    return _each_file_once(list(dict.fromkeys(found)))


def _each_file_once(found: list[str]) -> list[str]:
    """The inputs with a local file named twice (`a.jsonl ./a.jsonl`, a link to it, a glob and a name) kept once,
    under its first name, and a warning: read twice, every record would be its own exact duplicate. Two files
    with the same content stay two inputs: that is a finding, not a naming accident."""
    first_name: dict[str, str] = {}
    kept = []
    for item in found:
        real = _same_file_key(item)
        if real in first_name:
            warnings.warn(f"{item}: the same file as {first_name[real]}, named twice: read once", InputWarning, stacklevel=4)
            continue
        first_name[real] = item
        kept.append(item)
    return kept


def _same_file_key(location: str) -> str:
    """What names one file however it is written: a local path's real path, a file:// URI's too (the same file
    as a path and as a URI is one file), any other URI its text."""
    if is_uri(location):
        parts = urlsplit(location)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost") or parts.query:
            return location
        location = unquote(parts.path)
    return os.path.normcase(os.path.realpath(location))


def _is_shard(name: str) -> bool:
    return named_as_data(name)


def _listing(uri: str, recursive: bool) -> list:
    """The files and folders under a URI's folder (sorted by path), or the one file it names."""
    from pyarrow.fs import FileSelector, FileType

    filesystem, path = uri_filesystem(uri)
    try:
        info = filesystem.get_file_info(path)
        if info.type == FileType.NotFound:
            raise InputError(f"{uri}: no such file or directory")
        if info.type != FileType.Directory:
            return [info]
        return sorted((i for i in filesystem.get_file_info(FileSelector(path, recursive=recursive))
                       if i.type in (FileType.File, FileType.Directory)), key=lambda i: i.path)
    except InputError:
        raise
    except Exception as exc:  # a missing bucket, refused credentials: one line naming the URI
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
        raise InputError(f"{uri}: cannot list ({first})") from None


def _is_listed_folder(info) -> bool:
    from pyarrow.fs import FileType

    return info.type == FileType.Directory


def _uri_folder_shards(uri: str, *, top: bool = True, listing: list | None = None,
                       matched_skips: _Skipped | None = None) -> list[str]:
    """A URI folder's data files, its subfolders' in their place, as _folder_shards takes a local folder's:
    entries in name order, hidden ones left out, an annotation-tool export folder one input (its records.json,
    read with the settings beside it: read_files), a folder holding a report set skipped. One recursive listing
    of the folder, grouped here by path: an object store lists a prefix in one request (paged), where a listing
    per subfolder made thousands of requests."""
    from pyarrow.fs import FileType

    head, _, query = uri.partition("?")
    query = f"?{query}" if query else ""
    base = uri_filesystem(uri)[1].rstrip("/")
    tree: dict = {}  # name -> subtree (a folder) or None (a file); an object store may list no folder entries
    for info in _listing(uri, recursive=True) if listing is None else listing:
        parts = info.path[len(base):].strip("/").split("/")
        if parts == [""]:
            continue
        node = tree
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        if info.type == FileType.Directory:
            node.setdefault(parts[-1], {})
        else:
            node[parts[-1]] = None
    found: list[str] = []
    skipped = _Skipped([], [], [])

    def walk(node: dict, relative: str) -> None:
        for name in sorted(node):
            if name.startswith("."):
                continue
            child = node[name]
            path = f"{relative}{name}"
            location = head.rstrip("/") + "/" + quote(path) + query
            if child is None:
                if _is_shard(name):
                    found.append(location)
                else:
                    skipped.files.append(path)
            elif "records.json" in child and child["records.json"] is None:  # detect_export's test for a folder
                found.append(head.rstrip("/") + "/" + quote(f"{path}/records.json") + query)
            elif _is_report_set({n for n, c in child.items() if c is None}):
                skipped.reports.append(path)
            else:
                walk(child, path + "/")

    if "records.json" in tree and tree["records.json"] is None:  # the folder named is itself one export
        return [head.rstrip("/") + "/records.json" + query]
    if not top and _is_report_set({n for n, c in tree.items() if c is None}):  # as _folder_shards: named is read
        (matched_skips if matched_skips is not None else _matched_folders_skipped()).reports.append(_base_name(head))
        return []
    walk(tree, "")
    skipped.warn(uri)
    if top and not found:
        raise _no_data_files(uri)
    return found


def _expand_uri(uri: str) -> list[str]:
    """The files a URI names on its filesystem: itself, a directory's data files (as a local folder's: its
    subfolders' too, others named in a warning), or a glob's matches (the pattern in the path; `*` stays within
    one folder; a matched folder is read as a named one, matched files not named as data are skipped with a
    warning as a local glob's are)."""
    head, _, query = uri.partition("?")
    query = f"?{query}" if query else ""
    parts = urlsplit(head)
    if glob.has_magic(parts.path):
        # `?` starts a URI's query, so only `*` and `[...]` are patterns here
        cut = head.rfind("/", 0, min(i for i in (head.find("*"), head.find("[")) if i >= 0))
        folder, pattern = head[:cut], unquote(head[cut + 1:])
        wanted = pattern.split("/")
        entries = _listing(folder + query, recursive=len(wanted) > 1)
        base = uri_filesystem(folder + query)[1].rstrip("/")
        matches, folders = [], set()
        for info in entries:
            relative = info.path[len(base):].lstrip("/").split("/")
            if (len(relative) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(relative, wanted))
                    and not any(p.startswith(".") and not w.startswith(".") for p, w in zip(relative, wanted))):
                matches.append(folder + "/" + quote("/".join(relative)) + query)
                if _is_listed_folder(info):
                    folders.add(matches[-1])
        if not matches:
            raise InputError(f"{uri}: no file matches this pattern")
        found = []
        matched_skips = _matched_folders_skipped()
        for match in _data_matches(uri, matches, is_folder=folders.__contains__):
            found += _uri_folder_shards(match, top=False, matched_skips=matched_skips) if match in folders else [match]
        matched_skips.warn(uri)
        if not found:
            raise InputError(f"{uri}: matches {len(matches)} folder{'s' if len(matches) != 1 else ''} and none holds a "
                             f"data file ({', '.join(DATA_SUFFIXES)}, compressed or not)")
        return found
    entries = _listing(uri, recursive=True)
    if len(entries) == 1 and entries[0].path.rstrip("/") == uri_filesystem(uri)[1].rstrip("/"):
        return [uri]
    return _uri_folder_shards(uri, listing=entries)


def read_file(location: str, config, role: str, among_others: bool = False) -> Dataset:
    """One input file as a Dataset (read_files of that one file)."""
    return read_files([location], config, role, among_others=among_others)


def read_files(locations: list[str], config, role: str, name: str = "", among_others: bool = False) -> Dataset:
    """Input files read in one pass as one Dataset. A URI's object is streamed to a local temporary file, read
    there by the loader with the other files (so every format and compression reads as it does locally, and a
    long layout groups items across URI files as across local ones), and its records, errors and file entry
    are renamed to the URI; the temporary copies are deleted as soon as they are read."""
    if not any(is_uri(location) for location in locations):
        return load_dataset(list(locations), config, role=role, name=name, among_others=among_others)
    with tempfile.TemporaryDirectory(prefix="dataaudit-uri-") as folder:
        local_of: dict[str, str] = {}
        for n, location in enumerate(locations):
            if not is_uri(location):
                continue
            base = unquote(urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]) or "input"
            local = Path(folder) / str(n) / base  # its own folder: two URIs may end in the same name
            local.parent.mkdir()
            with open_uri(location) as stream, local.open("wb") as copy:
                try:
                    shutil.copyfileobj(stream, copy, 1 << 20)
                except OSError as exc:
                    raise InputError(f"{location}: cannot read ({exc.strerror or exc})") from None
            local_of[location] = str(local)
            if base == "records.json":
                _copy_argilla_settings(location, local.parent)
        try:
            dataset = load_dataset([local_of.get(location, location) for location in locations], config, role=role,
                                   name=dataset_name(locations, config, name) if len(locations) > 1 else name,
                                   among_others=among_others)
        except InputError as exc:
            message = str(exc)
            for location, local in local_of.items():
                message = message.replace(local, location)
            raise InputError(message) from None
    for location, local in local_of.items():
        dataset = renamed(dataset, local, location)
    return dataset


def _copy_argilla_settings(records_uri: str, folder: Path) -> None:
    """An Argilla export's settings (its question types) beside the local copy of its records.json, where the
    export has them, so that a URI export is read as the same folder is locally."""
    head, _, query = records_uri.partition("?")
    for name in ("settings.json", ".argilla/settings.json"):
        place = folder / name
        place.parent.mkdir(exist_ok=True)
        try:
            with open_uri(head.rsplit("/", 1)[0] + "/" + name + (f"?{query}" if query else "")) as stream, place.open("wb") as copy:
                shutil.copyfileobj(stream, copy, 1 << 20)
        except (InputError, OSError):  # no settings: the question types come from the records, as locally
            place.unlink(missing_ok=True)


def read_together(files: list[str], config, role: str) -> bool:
    """Whether files must be read in one pass: one annotation tool's export in several local files (its
    questions, headline and counts are decided over all of them), or a long annotation layout, whose items
    are grouped by id across files (one file per annotator is common), local or URI."""
    if len(files) < 2:
        return False
    if not is_uri(files[0]) and detect_export(Path(files[0])) is not None:
        return True
    return bool(config.fields.annotator and role == "train")


def renamed(dataset: Dataset, old: str, new: str) -> Dataset:
    """The Dataset with every record, error and file entry that names `old` naming `new` instead."""
    return replace(dataset,
                   files=[replace(f, path=new) if f.path == old else f for f in dataset.files],
                   records=[replace(r, source=new) if r.source == old else r for r in dataset.records],
                   errors=[replace(e, source=new) if e.source == old else e for e in dataset.errors])


def dataset_name(paths: list[str], config, name: str = "") -> str:
    first = Path(paths[0])
    return name or config.dataset_name or (data_stem(first) if len(paths) == 1 else folder_name(paths[0]) or data_stem(first))


def merge_datasets(parts: list[Dataset], name: str) -> Dataset:
    """One Dataset from per-file Datasets, in file order, as if the files had been read in one pass."""
    errors = [e for part in parts for e in part.errors]
    errors.sort(key=lambda e: (e.source, e.line))  # stable: equal keys keep their order within a file
    return Dataset(name, [f for part in parts for f in part.files], [r for part in parts for r in part.records], errors,
                   sum(p.total for p in parts), sum(p.invalid for p in parts), sum(p.blank_lines for p in parts),
                   parts[0].annotation_export if len(parts) == 1 else None)
