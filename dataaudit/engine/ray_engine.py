"""The Ray engine: the audit's data-parallel steps on a Ray cluster, the checks unchanged on the driver.

- read: one Ray task per input file (a path, or a URI read through its pyarrow filesystem) parses and
  validates it (the loader's own `load_dataset`, so every record keeps its file and line), and normalises
  its input keys; the driver merges the per-file Datasets in file order.
- index: built on the driver from the keys the tasks computed (a dict lookup per record, no re-normalising).
- map steps (`map_partitions`, and `map_keys` for work on the normalised keys): one Ray task per file, on
  the Dataset and keys its read task left in the object store, so nothing is shipped or normalised again.
- `map_blocks` (work split into blocks that belong to no file: the lexical pass's LSH bands and candidate
  pairs): one Ray task per block, the values every block reads put in the object store once; one block
  runs on the driver.
- `search` (nearest neighbours: coverage's pooled searches, the duplicates' semantic search): the queries
  in contiguous blocks through `map_blocks`, the index (and its inverted file, built once here) put in the
  object store once; a small search runs on the driver.
- embed: the embedding cache is read on the driver first; only the texts it lacks go to Ray Data
  `map_batches` on an actor pool that loads the model once per actor and takes `gpus_per_actor` GPUs each
  when the cluster has GPUs. The vectors come back to the driver. A shared cache (a Parquet directory on
  storage every node reaches) is written by the actors, one new file per batch; the driver's SQLite cache
  is written by the driver. Ray Data restarts an actor whose process died and retries its batch; an input or
  config error the model raises comes back in the actor's batch and is raised on the driver as itself (Ray
  Data keeps only a traceback's text of what an actor raised); any other exception fails the step.

Ray is imported only here, and only when the engine is made. Ray retries a task whose worker died; when
the cluster cannot finish a step, EngineError (exit 2) stops the audit before any report exists.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import os
import re
import socket
import sys
import tempfile
import warnings
from typing import Any

import numpy as np

from ..embeddings import WRITE_CHUNK, Embedder
from ..errors import ConfigError, DataAuditError, said
from ..index import TextIndex, build_index, texts_to_normalise
from ..load.records import Dataset
from ..neighbours import SearchIndex, query_index, search_index
from ..load.inputs import dataset_name, expand_inputs, merge_datasets, read_file, read_files, read_together
from .base import DataSteps, EngineError, EngineInfo, file_key_lists, file_query_lists, file_partitions, query_blocks
from .config import address_problem, host_and_port
from .local import embed_indexes

INSTALL = "pip install 'dataaudit[ray]'"
CONNECT_TIMEOUT_S = 10
EMBED_BLOCK_TEXTS = 4096  # texts per Ray Data block: big enough that scheduling is not the cost
TASK_RETRIES = 3  # a read task whose worker died runs again this many times before the audit gives up
SEARCH_BLOCK_QUERIES = 2_000  # fewest queries a search task takes: fewer would cost more in scheduling than they search
SEARCH_ON_DRIVER_BELOW = 50_000_000  # queries x indexed rows under which a search runs on the driver (see search)


class RayUnavailable(EngineError, ConfigError):
    """Ray cannot be imported for the Ray engine. A ConfigError too, keyed by engine.name, so the audit names where
    the engine was chosen (api._naming_the_config_file): the flag that set it, else the config file; the message
    said "--engine ray" where only a config file had named the engine."""


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401  the `data` extra, not only the core
    except ImportError as exc:
        raise RayUnavailable(f"engine.name: the Ray engine needs Ray, which is not installed: install it with `{INSTALL}`") from exc
    except Exception as exc:  # an install broken part way (a mismatched extension, a half-upgraded package)
        raise RayUnavailable(f"engine.name: the Ray engine needs Ray, which is installed but fails to import "
                             f"({type(exc).__name__}: {_plain(exc)}): reinstall it with `{INSTALL}`") from exc
    return ray


def effective_address(address: str) -> tuple[str, str]:
    """The address ray.init gets, and how the user named it (for errors). --ray-address / engine.address wins;
    else RAY_ADDRESS (set by `ray job submit` and KubeRay for the driver they start); else "local", a new Ray on
    this machine: Ray's own default (None) would join the cluster `ray start` last started here instead."""
    env = os.environ.get("RAY_ADDRESS", "").strip()
    if address == "auto" and env not in ("", "auto"):  # Ray reads RAY_ADDRESS for "auto" itself: probe what it will join
        return env, "RAY_ADDRESS, read for engine.address = auto"
    if address:
        return address, "--ray-address / engine.address"
    if env:
        return env, "RAY_ADDRESS"
    return "local", ""


def _ray_address_file() -> str:
    """Where `ray start` notes the cluster it started last, which Ray joins for "auto" (its own lookup)."""
    try:
        from ray._common.utils import get_ray_address_file
    except ImportError:  # an older Ray kept it in ray._private.utils
        from ray._private.utils import get_ray_address_file
    return get_ray_address_file(None)


def resolve_auto(address: str, named: str, pointer: str | None = None) -> tuple[str, str]:
    """"auto" as the address Ray would join for it, so it is probed like one: the head `ray start` last noted
    in its address file (read, never written). A head killed without `ray stop` leaves that file behind,
    and ray.init then retried the dead address for minutes. Without the file "auto" stays Ray's to resolve
    (a running head found another way, or Ray's own "could not find any running Ray instance")."""
    if address != "auto":
        return address, named
    pointer = pointer or _ray_address_file()
    try:
        with open(pointer, encoding="utf-8") as noted:
            found = noted.read().strip()
    except OSError:
        return address, named
    return (found, f"{named}, which names the head the last `ray start` here noted in {pointer}") if found else (address, named)


def _live_local_heads() -> frozenset | None:
    """The GCS addresses of the Ray heads running on this machine, as Ray finds them for "auto" (its process list);
    None where this Ray keeps that lookup elsewhere (nothing is then known about them)."""
    try:
        from ray._private.services import find_gcs_addresses
    except ImportError:  # moved in another Ray: no fallback, the noted head's error stands
        return None
    return frozenset(find_gcs_addresses())


def probe_resolved(address: str, named: str, requested: tuple[str, str], live_heads=_live_local_heads) -> tuple[str, str]:
    """The address to join, probed: `address` when it answers. "auto" resolved to a noted head that does not answer
    is "auto" again when one Ray head runs on this machine, which Ray's own resolution joins over the stale note;
    with none (Ray would retry the note for minutes) or several (Ray takes the note) the dead head is refused."""
    try:
        _probe(address, named)
    except EngineError:
        if address == requested[0] or len(live_heads() or ()) != 1:
            raise
        return requested
    return address, named


def join_address(asked: str, requested: tuple[str, str], probed: str) -> str:
    """What ray.init gets once `probed` answered: "auto" itself where the user asked for it (the flag or key, or
    RAY_ADDRESS = auto), so Ray resolves it to the head just probed and, as for ray.init(address="auto"), loads the
    token `ray start` left in ~/.ray/auth_token; Ray 2.60 loads it only for None or "auto", so the noted IP:port
    itself was refused with InvalidAuthToken by a head with token auth on. Any other address goes as probed."""
    return "auto" if "auto" in (asked, requested[0]) else probed


def no_cluster_for_auto(address: str, named: str, pointer: str | None = None, live_heads=_live_local_heads) -> None:
    """Refuse "auto" in dataaudit's words when nothing here can resolve it: no RAY_ADDRESS, no head noted by
    `ray start` and no Ray head process on this machine. Ray's own refusal tells the user to set its `--address`
    flag, which dataaudit does not have. RAY_ADDRESS = auto names no cluster either: Ray resolves it as it resolves
    "auto", so it counts as unset here."""
    if address != "auto" or os.environ.get("RAY_ADDRESS", "").strip() not in ("", "auto") or live_heads() != frozenset():
        return
    pointer = pointer or _ray_address_file()
    if os.path.exists(pointer):
        return
    # --ray-address alone implies --engine ray: left out, the run is local, so the way to a Ray of its own is the flag
    alone = "give --engine ray without --ray-address" if named == "--ray-address" else f"leave {named} unset"
    raise EngineError(f"{named} auto found no running Ray cluster on this machine (no head noted by `ray start` in "
                      f"{pointer}, no Ray head process here): start one with `ray start --head`, name a head as "
                      f"HOST:PORT, or {alone} to start a Ray for this run alone")


def _probe(address: str, named: str) -> None:
    """Fail fast, naming the address, when nothing listens there (ray.init alone can wait minutes)."""
    if address in ("", "auto", "local"):
        return
    problem = address_problem(address)
    if problem:  # RAY_ADDRESS: a config's and a flag's address were checked where they were read
        raise EngineError(f"{named} {address!r} {problem}")
    host, port = host_and_port(address)
    fix = ("start that head again, or name a running one (a head stopped without `ray stop` leaves the note behind)"
           if "`ray start` here noted" in named else "fix or unset RAY_ADDRESS" if named.startswith("RAY_ADDRESS") else f"fix {named}")
    try:
        connection = socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        raise EngineError(f"cannot reach the Ray cluster at {address} (from {named}: {exc.strerror or exc}); start it "
                          f"with `ray start --head` there, or {fix}") from exc
    with connection:
        # Something that accepts the connection but is no Ray head (another service on the port, a proxy that
        # holds it open) kept ray.init retrying for minutes. Ray's GCS and its client server speak gRPC, which
        # answers the HTTP/2 preface with a SETTINGS frame at once, before any authentication; with TLS
        # (RAY_USE_TLS) the preface is not theirs to answer, so only the connection is checked.
        if os.environ.get("RAY_USE_TLS", "0").lower() in ("0", "", "false") and not _answers_grpc(connection):
            raise EngineError(f"{address} (from {named}) accepts connections but does not answer as a Ray cluster (no gRPC "
                              f"reply within {GRPC_REPLY_TIMEOUT_S:.0f} s): name the head's GCS port (6379 unless `ray start "
                              f"--head --port` set another; `ray status` on the head prints it), or {fix}")


GRPC_REPLY_TIMEOUT_S = 5.0
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"  # and an empty SETTINGS frame


def _answers_grpc(connection: socket.socket) -> bool:
    """Whether the peer replies to the HTTP/2 preface with a frame whose type is SETTINGS (RFC 9113, 3.4)."""
    try:
        connection.settimeout(GRPC_REPLY_TIMEOUT_S)
        connection.sendall(HTTP2_PREFACE)
        head = b""
        while len(head) < 9:
            chunk = connection.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
    except OSError:
        return False
    return head[3] == 4


def _check_client(address: str, named: str, version: str) -> None:
    """A ray:// address goes through Ray Client, which needs the `client` extra (grpcio)."""
    if not address.startswith("ray://"):
        return
    import importlib.util

    if importlib.util.find_spec("grpc") is None:
        raise EngineError(f"{named} {address}: a ray:// address needs Ray Client, which is not installed: install it with "
                          f"`pip install 'ray[client]=={version}'` (or `{INSTALL}`), or give the cluster's HOST:6379 "
                          "from a node of the cluster")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def _plain(exc: BaseException) -> str:
    """Ray's message on one line: its terminal colours (ESC[36m ... ESC[39m around `ray::_read_file()`) removed, not
    shown as escapes in the error line."""
    return " ".join(_ANSI.sub("", str(exc)).split())[:300]


_LOG_PREFIX = re.compile(r"^\[[^\]]*\]\s*(?:\([^)]*\)\s*)?(?:[\w.\-]+\.(?:cc|h|py):\d+:\s*)?")
# Ray's connect retries repeat "Failed to connect ..." lines: words naming a cause rank above them
_CAUSE_WORDS = (re.compile(r"error|invalid|exception|denied|refused|unauthori|mismatch", re.IGNORECASE),
                re.compile(r"token|version|fail", re.IGNORECASE))


def _cause_in(stderr_text: str, message: str) -> str:
    """The last line of Ray's stderr that says something the exception message does not (an error-like line
    first, else the last line), its log prefix (time, level, pid, source file) and colours removed."""
    lines = [_LOG_PREFIX.sub("", " ".join(_ANSI.sub("", line).split())) for line in stderr_text.splitlines()]
    lines = [line for line in lines if line and line not in message and not line.startswith(("Traceback", "File \""))]
    for words in _CAUSE_WORDS:
        for line in reversed(lines):
            if words.search(line):
                return line[:300]
    return lines[-1][:300] if lines else ""


# What a traceback printed where one exception led to another: Ray Data's own wrapper follows the one raised.
_CHAINED = re.compile(r"\n\s*(?:The above exception was the direct cause of the following exception:"
                      r"|During handling of the above exception, another exception occurred:)\s*\n")
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::\s|:?$)")  # "Name: message" or "Name"; not a "ray::" header


def _raised_in(exc: BaseException) -> str:
    """The exception a task or actor raised, as "Name: message", for the error line. A RayTaskError keeps it as
    `cause`, except Ray Data's: its UserCodeException carries no cause, and str(exc) is the worker's traceback
    (a `ray::MapWorker(...)` header, stack frames, then the exception), so the exception is read from the last
    part of that text which Ray did not raise itself: the lines after its last stack frame."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException) and not type(cause).__module__.startswith("ray."):
        return f"{type(cause).__name__}: {cause}"
    parts = [part for part in _CHAINED.split(_ANSI.sub("", str(exc))) if part.strip()]
    for part in reversed(parts):
        lines = part.splitlines()
        frames = [i for i, line in enumerate(lines) if line.startswith("  File \"")]
        after = lines[frames[-1] + 1:] if frames else lines
        start = next((i for i, line in enumerate(after) if _EXCEPTION_LINE.match(line)), None)
        if start is None or after[start].startswith("ray."):  # Ray's own wrapper, or no exception line in this part
            continue
        return "\n".join(after[start:])
    return f"{type(exc).__name__}: {exc}"


CAUSE_LIMIT = 300  # characters of the raised exception in the error line: its message, not a traceback


def _shown_cause(exc: BaseException) -> str:
    """What the worker raised, as the error line shows it. Its message may quote a record (a parser citing the
    row it could not read), so it is shown as any text from the data is: through the excerpt function, masked,
    on one line, its control characters as escapes (Ray's colours removed first)."""
    from ..excerpt import plain_excerpt

    return plain_excerpt(_ANSI.sub("", _raised_in(exc)), CAUSE_LIMIT)


def _user_error(kind: str, message: str) -> DataAuditError:
    """The DataAuditError an embedding actor caught (by its class name: see _embed_actor), raised again here."""
    classes = [DataAuditError]
    for cls in classes:
        if cls.__name__ == kind:
            try:
                return cls(message)
            except TypeError:  # a subclass that takes other arguments: the message is what the user reads
                return DataAuditError(message)
        classes.extend(cls.__subclasses__())
    return DataAuditError(message)


# Ray's core worker logs this at error level once per embedding pool (see _embed_actor): a known, harmless state
# of Ray Data's own actors, not a finding, so it is kept off the user's terminal; every other line passes.
RAY_NOISE = (b"has constructor arguments in the object store and max_restarts > 0",)


FILTER_DRAIN_S = 5.0


@contextlib.contextmanager
def _stderr_without(noise: tuple[bytes, ...]):
    """File descriptor 2 through a filter that drops lines containing any of `noise` (Ray's C++ core writes to
    the descriptor, past Python's sys.stderr); what is left reaches the real stderr line by line."""
    import threading

    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()

    def forward() -> None:
        # The thread owns `saved`: closed by the driver while a late line was written, the write failed, or went
        # to whatever file the driver had opened since under the same number. It closes it only at the pipe's
        # end, which comes after the driver's dup2(saved, 2): closed sooner (a write failed), that dup2 failed
        # or put back whatever file took the number. A failed write (stderr a pipe whose reader went away, a
        # full disk) stops the writing, not the reading: a pipe no one reads would block Ray's next line.
        writing = True
        try:
            with os.fdopen(read_end, "rb") as lines:
                for line in lines:
                    if writing and not any(n in line for n in noise):
                        try:
                            while line:
                                line = line[os.write(saved, line):]
                        except OSError:
                            writing = False
        finally:
            os.close(saved)

    forwarder = threading.Thread(target=forward, name="dataaudit-stderr-filter", daemon=True)
    forwarder.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last write end closes: the forwarder reads to its end and stops
        forwarder.join(timeout=FILTER_DRAIN_S)  # a process started meanwhile may hold the pipe: not waited for beyond this


@contextlib.contextmanager
def _stderr_to(sink):
    """File descriptor 2 into `sink` while Ray's C++ core connects: its retry warnings go there, not to the
    user, whom the one-line error tells what failed."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        os.dup2(sink.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _quiet(record: logging.LogRecord) -> bool:
    return False


def _console_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers of `logger` that write to a terminal stream (not a file)."""
    return [h for h in logger.handlers if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)]


def _hide_ray_data_console() -> None:
    """Ray Data's records kept from the terminal, not from its log file. The report is the output, not executor
    chatter, and a failed step's cause reaches the user in the one-line error `_run` raises; Ray Data's ERROR
    records (the failure's "Full stack trace" among them) stay in the session's ray-data.log for whoever digs
    (its level is set to ERROR, so that file keeps those alone). They reach the terminal through the console
    handler Ray Data puts on its `ray.data` logger (which does not propagate); a filter on that logger itself
    would miss the records of its child loggers, which raise them."""
    ray_data = logging.getLogger("ray.data")
    ray_data.setLevel(logging.ERROR)
    for handler in _console_handlers(ray_data):
        if _quiet not in handler.filters:
            handler.addFilter(_quiet)


def _read_file(paths: list[str], config, role: str, name: str = "", among_others: bool = False) -> tuple[Any, dict[str, str]]:
    """One file (or the files of one annotation export, read together): its Dataset, and input (and query)
    text -> normalised key for its records. A DataAuditError (unreadable file) is returned, not raised, so the
    driver re-raises it as itself, not wrapped by Ray. among_others: the audit has other input files, so one
    this task cannot open is a file error beside theirs, as the local engine reads it."""
    from ..normalize import normalize_text

    try:
        dataset = (read_file(paths[0], config, role, among_others) if len(paths) == 1
                   else read_files(paths, config, role, name, among_others))
    except DataAuditError as exc:
        return exc, {}
    texts = dict.fromkeys(t for r in dataset.records for t in texts_to_normalise(r))
    keys = {text: normalize_text(text, config.duplicates) for text in texts}
    return dataset, keys


def _map_file_keys(fn, part: Dataset, text_keys: dict[str, str], *args):
    return fn([text_keys[r.input_text] for r in part.records], *args)


def _map_file_queries(fn, part: Dataset, text_keys: dict[str, str], *args):
    # The read task normalised every record's query too (_read_file); one that normalises to nothing is its key,
    # as in index.build_index.
    return fn([text_keys[r.query_text] or text_keys[r.input_text] for r in part.records], *args)


def _map_key_list(fn, keys: list[str], *args):
    return fn(keys, *args)


def _shared(embedder: Embedder) -> bool:
    """Whether the embedder's cache is one the workers can write themselves (a Parquet directory)."""
    return getattr(embedder.cache, "shared", False)


def _embed_actor(embedder: Embedder) -> type:
    """An actor class that holds one model for its lifetime; Ray Data hands it batches of texts. The embedder
    travels inside the class, which takes no arguments. Ray Data itself puts the class (in its map transformer)
    in the object store and hands that to each of its MapWorker actors, so Ray's core worker logs, once per
    pool, that the actor has "constructor arguments in the object store" and a restart could fail: the driver
    owns that object for the whole embedding step, so a restarted actor finds it (the node-loss test shows a
    restart succeeding). The line is Ray's, written by its C++ core to this process's stderr."""

    class EmbedActor:
        def __init__(self):
            self.embedder = embedder
            self.width = 0  # of the vectors this actor returned, so its error batches fit the same block
            self.error: tuple[str, str] | None = None

        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            texts = [str(t) for t in batch["text"]]  # distinct already: the driver sends each text once
            if self.error is None:
                try:
                    vectors = self.embedder.compute(texts)
                    # A shared (Parquet) cache is written here, one new file per batch; a batch the worker could
                    # not write is flagged and the driver writes it.
                    stored = self.embedder.store(texts, vectors)
                except DataAuditError as exc:
                    # Returned, not raised: Ray Data would wrap it in a UserCodeException that keeps only its
                    # traceback's text, and the user would see the cluster blamed, not the model and why.
                    self.error = type(exc).__name__, str(exc)
                else:
                    self.width = vectors.shape[1]
                    return {"position": batch["position"], "vector": vectors, "stored": np.full(len(texts), stored),
                            "error_kind": np.full(len(texts), "", dtype=object),
                            "error_message": np.full(len(texts), "", dtype=object)}
            # Every later batch carries the error too: a batch that then worked would not fit this one's block.
            # In its first row only: Arrow writes a string per row, and a long message times a batch's texts
            # would fill the object store; the driver raises on the first row that holds one.
            kinds, messages = np.full(len(texts), "", dtype=object), np.full(len(texts), "", dtype=object)
            kinds[:1], messages[:1] = self.error
            return {"position": batch["position"], "vector": np.zeros((len(texts), self.width), dtype=np.float32),
                    "stored": np.full(len(texts), False), "error_kind": kinds, "error_message": messages}

    return EmbedActor


def _map_partition(fn, part: Dataset, *args):
    return fn(part.records, *args)


def _faiss_query_tile() -> int:
    """How many queries faiss multiplies at once against the indexed vectors (4,096 by default)."""
    import faiss

    return int(faiss.cvar.distance_compute_blas_query_bs)


def query_block(queries, index: SearchIndex, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The map step of `search`: one block of queries (vectors, or a slice of the index's own rows)."""
    return query_index(index, queries, k)


def _python_handles_sigterm(before) -> None:
    """SIGTERM back to `before`, the handler it had before ray.init (the CLI's, which stops the run as Ctrl-C does
    and exits 143), over the failure-signal handler Ray's C++ core installs as it connects (it printed a stack
    dump, twice, for a plain `kill`, a request to stop, not a crash) and over ray.init's own Python handler
    (sys.exit(15), past the CLI's). Crashes (SIGSEGV, SIGABRT, ...) keep Ray's dump."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return
    if before is None:  # installed from C before ray.init: not Python's to restore, so ray.init's Python one
        before = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, before if before is not None else signal.SIG_DFL)


def _sigterm_handler():
    import signal

    return signal.getsignal(signal.SIGTERM)


class RayEngine(DataSteps):
    name = "ray"

    def __init__(self, address: str = "", embed_actors: int = 0, gpus_per_actor: float = 1.0, address_from: str = ""):
        self.ray = _import_ray()
        self.address = address
        self.address_from = address_from  # where the address was set, for errors ("" = the flag or key)
        self.embed_actors = embed_actors
        self.gpus_per_actor = gpus_per_actor
        self._started = False
        self._keys: dict[str, dict[str, str]] = {}
        # Each Dataset this engine read -> the per-file Datasets its read tasks left in the object store, so a
        # map step runs on them where they lie instead of shipping records from the driver again.
        self._parts: dict[int, tuple[Dataset, list, list, dict[str, str]]] = {}
        # The record keys of each index built from such a Dataset -> (those keys, the Dataset, its files'
        # Dataset refs, their key refs), so a map over keys runs where each file's keys were computed. Held by
        # the keys, which an index keeps when its vectors are added.
        self._keyed: dict[int, tuple[list[str], Dataset, list, list]] = {}
        if not self.ray.is_initialized():
            self._init()
        _hide_ray_data_console()
        self.ray.data.DataContext.get_current().enable_progress_bars = False

    def _init(self) -> None:
        requested = effective_address(self.address)
        # a Python caller set engine.address (or RayEngine's address), never the flag; a config file is named
        flag = getattr(self, "address_from", "") or said("--ray-address / engine.address", "engine.address")
        requested = requested[0], requested[1].replace("--ray-address / engine.address", flag)
        address, named = resolve_auto(*requested)
        _check_client(address, named, self.ray.__version__)
        address, named = probe_resolved(address, named, requested, live_heads=_live_local_heads)
        no_cluster_for_auto(address, named, live_heads=_live_local_heads)
        joined = join_address(self.address, requested, address)
        # A routine notice on every run (a new local Ray makes a token), not a finding about the data.
        logging.getLogger("ray._private.authentication").setLevel(logging.ERROR)
        sigterm_before = _sigterm_handler()
        try:  # ray.init may install its handlers and then fail: the caller goes on, with the CLI's handler
            with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as ray_stderr:
                try:
                    # Only when joining: a Ray started here would hand the redirected fd on to its daemons for good.
                    with _stderr_to(ray_stderr) if address != "local" else contextlib.nullcontext():
                        self.ray.init(address=joined, logging_level=logging.ERROR, log_to_driver=False,
                                      include_dashboard=False, configure_logging=False)
                except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError... for the same cause
                    where = f"at {address} (from {named})" if named else "on this machine"
                    ray_stderr.seek(0)
                    # Ray's exception is often only "Failed to connect"; the cause (a refused auth token, a version
                    # mismatch) is in what its core wrote to stderr while it retried
                    cause = _cause_in(ray_stderr.read(), _plain(exc))
                    raise EngineError(f"cannot start or join the Ray cluster {where}: {_plain(exc)}"
                                      + (f" (Ray said: {cause})" if cause else "")) from exc
                ray_stderr.seek(0)
                sys.stderr.write(ray_stderr.read())  # joined: whatever Ray said on the way is the user's to see
        finally:
            _python_handles_sigterm(sigterm_before)
        self._started = True

    def _run(self, step: str, fn):
        try:
            with warnings.catch_warnings():  # Ray's tuning and deprecation notes are not findings about the data
                warnings.simplefilter("ignore")
                return fn()
        except DataAuditError:
            raise
        except Exception as exc:  # a task or actor failed past its retries, or the cluster went away
            cause = getattr(exc, "cause", None)  # a RayTaskError carries what the task raised
            if isinstance(cause, DataAuditError):  # bad input or config found in a task: the same error as locally
                raise cause from None
            raise EngineError(f"the Ray cluster could not finish {step} ({_shown_cause(exc)}); "
                              "no report was written") from exc

    def read(self, paths, config, *, role: str = "train", name: str = "") -> Dataset:
        files = expand_inputs(paths)
        if not files:
            from ..errors import InputError

            raise InputError("no input files given")
        task = self.ray.remote(max_retries=TASK_RETRIES, num_cpus=1)(_read_file)

        # An annotation tool's export decides its questions and headline over all its files, and a long layout
        # groups an item's rows across files, so such files are read in one task, as the local engine reads
        # them; any other input is one task per file.
        groups = [files] if read_together(files, config, role) else [[f] for f in files]

        def run():
            config_ref = self.ray.put(config)
            refs = [task.options(num_returns=2).remote(group, config_ref, role, name, len(groups) > 1) for group in groups]
            return ([d for d, _ in refs], [k for _, k in refs], self.ray.get([d for d, _ in refs]),
                    self.ray.get([k for _, k in refs]))

        part_refs, key_refs, parts, file_keys = self._run(f"reading {len(files)} {role} file(s)", run)
        keys: dict[str, str] = {}
        for part, part_keys in zip(parts, file_keys):
            if isinstance(part, DataAuditError):
                raise part
            keys.update(part_keys)
        self._keys[role] = keys
        if len(groups) < len(files):  # the export read in one pass, named as the local engine names it
            merged = parts[0]
        else:
            merged = merge_datasets(parts, dataset_name(files, config, name))
            self._parts[id(merged)] = (merged, part_refs, key_refs, keys)  # map steps run per file where each was read
        return merged

    def map_partitions(self, dataset: Dataset, fn, *args) -> list:
        """One Ray task per input file (retried like a read task), on the per-file Dataset its read task
        left in the object store; a Dataset read elsewhere is split by file and shipped from here."""
        read_here = self._parts.get(id(dataset))
        refs = read_here[1] if read_here is not None and read_here[0] is dataset else [
            self.ray.put(Dataset(dataset.name, [], records, [], len(records), 0)) for records in file_partitions(dataset)]
        task = self.ray.remote(max_retries=TASK_RETRIES, num_cpus=1)(_map_partition)
        name = getattr(fn, "__name__", "a map step")
        return self._run(f"{name} over {len(refs)} file(s)", lambda: self.ray.get([task.remote(fn, ref, *args) for ref in refs]))

    def index(self, role: str, dataset: Dataset, config) -> TextIndex:
        read_here = self._parts.get(id(dataset))
        if read_here is not None and read_here[0] is dataset:
            index = build_index(role, dataset, read_here[3].__getitem__)
            self._keyed[id(index.keys)] = (index.keys, dataset, read_here[1], read_here[2])
            return index
        keys = self._keys.get(role)
        if keys is None:  # a Dataset this engine did not read
            from ..normalize import normalize_text

            return build_index(role, dataset, lambda text: normalize_text(text, config.duplicates))
        return build_index(role, dataset, keys.__getitem__)

    def map_keys(self, index: TextIndex, fn, *args, queries: bool = False) -> list:
        """One Ray task per input file, on the file's Dataset and the keys (or queries) its read task computed,
        both still in the object store; an index built elsewhere has its keys split by file and shipped from here."""
        keyed = self._keyed.get(id(index.keys))
        name = getattr(fn, "__name__", "a map step")
        if keyed is not None and keyed[0] is index.keys and keyed[1] is index.dataset:
            task = self.ray.remote(max_retries=TASK_RETRIES, num_cpus=1)(_map_file_queries if queries else _map_file_keys)
            pairs = list(zip(keyed[2], keyed[3]))
            return self._run(f"{name} over {len(pairs)} file(s)",
                             lambda: self.ray.get([task.remote(fn, part, keys, *args) for part, keys in pairs]))
        refs = [self.ray.put(keys) for keys in (file_query_lists(index) if queries else file_key_lists(index))]
        task = self.ray.remote(max_retries=TASK_RETRIES, num_cpus=1)(_map_key_list)
        return self._run(f"{name} over {len(refs)} file(s)", lambda: self.ray.get([task.remote(fn, ref, *args) for ref in refs]))

    def map_blocks(self, fn, blocks: list, *shared) -> list:
        """One Ray task per block (retried like a read task), `shared` put in the object store once and read
        there by every task (a NumPy array without a copy on the task's node). A single block runs here: a
        task would only add its round trip, so callers size blocks to be worth one (see MIN_BLOCK_* where
        they are split)."""
        if len(blocks) < 2:
            return super().map_blocks(fn, blocks, *shared)
        task = self.ray.remote(max_retries=TASK_RETRIES, num_cpus=1)(fn)
        name = getattr(fn, "__name__", "a map step")

        def run():
            shared_refs = [self.ray.put(value) for value in shared]
            return self.ray.get([task.remote(block, *shared_refs) for block in blocks])

        return self._run(f"{name} over {len(blocks)} block(s)", run)

    def search(self, indexed: np.ndarray, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """neighbours.top_k, its queries split into contiguous blocks (about one per CPU of the cluster, cut
        where faiss's own query tiles end: see query_blocks), one task per block (`map_blocks`). The index (the
        vectors and, above EXACT_LIMIT, the inverted file built here once) is put in the object store once and
        read there by every task; a self-query ships no queries: each task takes its rows of the index. A
        small search runs here: one block gains nothing from a task, and below SEARCH_ON_DRIVER_BELOW products
        (queries x indexed rows) shipping the index and scheduling the tasks cost more than the search."""
        blocks = query_blocks(len(queries), int(self.ray.cluster_resources().get("CPU", 1)), SEARCH_BLOCK_QUERIES,
                              _faiss_query_tile())
        if len(blocks) < 2 or len(queries) * len(indexed) < SEARCH_ON_DRIVER_BELOW or k <= 0:
            return super().search(indexed, queries, k)
        index = search_index(indexed)
        if queries is not indexed:
            queries = np.ascontiguousarray(queries, dtype=np.float32)
            blocks = [queries[block] for block in blocks]
        found = self.map_blocks(query_block, blocks, index, k)
        return np.concatenate([sims for sims, _ in found]), np.concatenate([idx for _, idx in found])

    def _actors(self, gpus: float) -> tuple[int, float]:
        per_actor = self.gpus_per_actor if gpus >= 1 and self.gpus_per_actor > 0 else 0.0
        if self.embed_actors:
            return self.embed_actors, per_actor
        if per_actor:
            return max(1, int(gpus // per_actor)), per_actor
        return max(1, len([n for n in self.ray.nodes() if n.get("Alive")])), 0.0

    def encode(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """Unit vectors for texts, computed by an actor pool; rows in the order of `texts`."""
        import pandas as pd

        ray = self.ray
        actors, gpus_each = self._actors(ray.cluster_resources().get("GPU", 0.0))
        block = max(1, min(EMBED_BLOCK_TEXTS, -(-len(texts) // actors)))  # every actor gets a block when texts are few
        actors = min(actors, -(-len(texts) // block))
        shipped = copy.copy(embedder)  # its own class: a configured or stand-in model travels as it is
        shipped._model, shipped._traced, shipped.progress = None, None, False
        if not _shared(embedder):  # a SQLite cache is the driver's file: the driver writes it
            shipped.cache = None
        if gpus_each:
            shipped.device = embedder.device or "cuda"
        blocks = [pd.DataFrame({"position": np.arange(s, min(s + block, len(texts))), "text": texts[s:s + block]})
                  for s in range(0, len(texts), block)]

        # With a shared cache every batch becomes one Parquet file: big batches keep the files few.
        batch_size = max(embedder.batch_size * 8, 256, WRITE_CHUNK if _shared(embedder) else 0)

        def run():
            data = ray.data.from_pandas(blocks).map_batches(
                _embed_actor(shipped), batch_size=batch_size, batch_format="numpy",
                compute=ray.data.ActorPoolStrategy(size=actors), num_cpus=1 if not gpus_each else None,
                num_gpus=gpus_each or None)
            out = np.zeros((len(texts), 0), dtype=np.float32)
            unstored: list[np.ndarray] = []
            for batch in data.iter_batches(batch_format="numpy", batch_size=None):
                failed = np.flatnonzero(np.asarray(batch["error_kind"], dtype=object) != "")
                if len(failed):
                    raise _user_error(str(batch["error_kind"][failed[0]]), str(batch["error_message"][failed[0]]))
                vectors = np.asarray(batch["vector"], dtype=np.float32)
                if out.shape[1] == 0:
                    out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                out[np.asarray(batch["position"])] = vectors
                unstored.append(np.asarray(batch["position"])[~np.asarray(batch["stored"], dtype=bool)])
            return out, np.concatenate(unstored) if unstored else np.zeros(0, dtype=np.int64)

        with _stderr_without(RAY_NOISE):
            vectors, unstored = self._run(f"embedding {len(texts)} texts on {actors} actor(s)", run)
        if _shared(embedder) and len(unstored):
            embedder.store([texts[i] for i in unstored], vectors[unstored])
        return vectors

    def embed(self, indexes: list[TextIndex], embedder: Embedder):
        return embed_indexes(indexes, embedder, encode=lambda texts: self.encode(embedder, texts),
                             encode_fills_cache=_shared(embedder))

    def info(self) -> EngineInfo:
        ray = self.ray
        resources = ray.cluster_resources()
        nodes = len([n for n in ray.nodes() if n.get("Alive")])
        return EngineInfo(self.name, ray.__version__, nodes, float(resources.get("CPU", 0.0)), float(resources.get("GPU", 0.0)))

    def close(self) -> None:
        self._parts.clear()  # the per-file Datasets and keys leave the object store
        self._keyed.clear()
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False
