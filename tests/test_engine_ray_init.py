"""RayEngine._init's error line when Ray cannot join: Ray's own cause, read from what its core wrote to stderr.
Ray itself is faked (no cluster is started): ray.init writes to file descriptor 2 and raises as Ray does."""

from __future__ import annotations

import contextlib
import os
import signal

import pytest

pytest.importorskip("ray")

from dataaudit.engine import ray_engine  # noqa: E402
from dataaudit.engine.base import EngineError  # noqa: E402

AUTH_LINES = (
    "[2026-12-07 10:00:01,101 W 4242 4242] gcs_rpc_client.h:151: Failed to connect to GCS at address 192.0.2.2:6390 within 5 seconds.\n"
    "[2026-12-07 10:00:06,202 E 4242 4243] gcs_client.cc:88: InvalidAuthToken: Authentication token is missing or incorrect\n"
    "[2026-12-07 10:00:11,303 W 4242 4242] gcs_rpc_client.h:151: Failed to connect to GCS at address 192.0.2.2:6390 within 5 seconds.\n"
)


class FakeRay:
    __version__ = "0.0-fake"

    def __init__(self, stderr_text: str):
        self.stderr_text = stderr_text

    def init(self, **kwargs):
        os.write(2, self.stderr_text.encode())
        raise ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6390")


def joined_error(monkeypatch, stderr_text: str) -> str:
    monkeypatch.setattr(ray_engine, "_probe", lambda address, named: None)
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address = FakeRay(stderr_text), "192.0.2.2:6390"
    with pytest.raises(EngineError) as caught:
        engine._init()
    return str(caught.value)


def test_a_refused_join_names_rays_own_cause_from_its_stderr(monkeypatch):
    message = joined_error(monkeypatch, AUTH_LINES)
    assert message == ("cannot start or join the Ray cluster at 192.0.2.2:6390 (from engine.address): "
                       "Failed to connect to Ray cluster at 192.0.2.2:6390 "
                       "(Ray said: InvalidAuthToken: Authentication token is missing or incorrect)")


def test_a_refused_join_with_nothing_on_stderr_is_rays_message_alone(monkeypatch):
    message = joined_error(monkeypatch, "")
    assert message.endswith("engine.address): Failed to connect to Ray cluster at 192.0.2.2:6390")


def test_the_cause_is_the_last_error_like_line_without_its_log_prefix():
    said = ("[2026-12-07 10:00:00,000 I 1 1] (raylet) node_manager.cc:10: Starting\n"
            "\x1b[31mRuntimeError: Version mismatch: the cluster runs Ray 2.9.0, this is 2.40.0\x1b[0m\n"
            "connecting again...\n")
    assert ray_engine._cause_in(said, "Failed") == "RuntimeError: Version mismatch: the cluster runs Ray 2.9.0, this is 2.40.0"
    assert ray_engine._cause_in("only this line\n", "Failed") == "only this line"
    assert ray_engine._cause_in("Failed to connect\n", "Failed to connect to Ray cluster") == ""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def noted_dead_head(tmp_path, monkeypatch) -> tuple:
    """Ray's address file (ray_current_cluster) naming a head on a free port, nothing listening: (file, port)."""
    pointer = tmp_path / "ray_current_cluster"
    port = free_port()
    pointer.write_text(f"127.0.0.1:{port}\n")
    monkeypatch.setattr(ray_engine, "_ray_address_file", lambda: str(pointer))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return pointer, port


def test_auto_is_the_head_ray_start_noted_and_a_dead_one_is_refused_at_once(tmp_path, monkeypatch):
    pointer, port = noted_dead_head(tmp_path, monkeypatch)
    address, named = ray_engine.resolve_auto(*ray_engine.effective_address("auto"))
    assert address == f"127.0.0.1:{port}"
    with pytest.raises(EngineError) as caught:
        ray_engine._probe(address, named)
    assert str(caught.value).startswith(
        f"cannot reach the Ray cluster at 127.0.0.1:{port} (from --ray-address / engine.address, which names the head the "
        f"last `ray start` here noted in {pointer}: Connection refused); start it with `ray start --head` there, or start "
        "that head again")
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    assert ray_engine.resolve_auto(*ray_engine.effective_address(""))[0] == f"127.0.0.1:{port}"
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.9:6379")  # an address in RAY_ADDRESS wins over the note, as in Ray
    assert ray_engine.resolve_auto(*ray_engine.effective_address("auto")) == (
        "10.0.0.9:6379", "RAY_ADDRESS, read for engine.address = auto")
    monkeypatch.delenv("RAY_ADDRESS")
    pointer.unlink()
    assert ray_engine.resolve_auto(*ray_engine.effective_address("auto")) == ("auto", "--ray-address / engine.address")


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1:99999", "has port 99999, outside 1-65535"),
    ("127.0.0.1:0", "has port 0, outside 1-65535"),
    ("head.internal", "is not an address: expected HOST:PORT, ray://HOST:PORT or auto"),
])
def test_a_config_files_malformed_address_is_a_config_error_naming_the_file_and_key(tmp_path, address, problem):
    from dataaudit.config import load_config
    from dataaudit.errors import ConfigError

    path = tmp_path / "r1.toml"
    path.write_text(f'[engine]\nname = "ray"\naddress = "{address}"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}: engine.address: {address!r} {problem}")


def test_a_malformed_address_flag_is_named_as_the_flag(tmp_path, capsys):
    from dataaudit.cli import main

    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n')
    assert main(["audit", str(data), "--no-embeddings", "--ray-address", "127.0.0.1:99999"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dataaudit: error: --ray-address: '127.0.0.1:99999' has port 99999, outside 1-65535")
    assert len(err.splitlines()) == 1


def test_called_from_python_the_error_names_the_config_key_not_the_flag(monkeypatch):
    monkeypatch.setattr(ray_engine, "_probe", lambda address, named: None)
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address = FakeRay(""), "192.0.2.2:6390"
    with pytest.raises(EngineError) as caught:
        engine._init()
    assert "(from engine.address)" in str(caught.value) and "--ray-address" not in str(caught.value)


def test_the_embedding_step_drops_rays_constructor_argument_line_and_passes_every_other(capfd):
    noise = (b"[2026-12-07 09:42:04,585 E 17867 17867] core_worker.cc:2465: Actor with class name: "
             b"'MapWorker(MapBatches(EmbedActor))' and ID: '690e' has constructor arguments in the object store and "
             b"max_restarts > 0. If the arguments ...\n")
    with ray_engine._stderr_without(ray_engine.RAY_NOISE):
        os.write(2, b"first line from Ray\n" + noise + b"[E core_worker.cc:1] a real error\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "first line from Ray\n[E core_worker.cc:1] a real error\nafter\n"


def test_a_dead_noted_head_falls_back_to_rays_own_auto_when_one_head_runs_here(tmp_path, monkeypatch):
    pointer, port = noted_dead_head(tmp_path, monkeypatch)
    requested = ray_engine.effective_address("auto")
    resolved = ray_engine.resolve_auto(*requested)
    assert resolved[0] == f"127.0.0.1:{port}"
    # a live local GCS that `ray start` did not note (started by another user's `ray start`, or the note is stale)
    assert ray_engine.probe_resolved(*resolved, requested, live_heads=lambda: frozenset({"10.1.2.3:6379"})) == (
        "auto", "--ray-address / engine.address")
    for heads in (frozenset(), frozenset({"10.1.2.3:6379", "10.1.2.4:6379"})):  # Ray would retry the dead note
        with pytest.raises(EngineError) as caught:
            ray_engine.probe_resolved(*resolved, requested, live_heads=lambda: heads)
        assert str(caught.value).startswith(f"cannot reach the Ray cluster at 127.0.0.1:{port} (from --ray-address / "
                                            "engine.address, which names the head the last `ray start` here noted")
    named = ("127.0.0.1:%d" % port, "--ray-address / engine.address")  # an address named outright is never replaced
    with pytest.raises(EngineError, match="cannot reach the Ray cluster"):
        ray_engine.probe_resolved(*named, named, live_heads=lambda: frozenset({"10.1.2.3:6379"}))


class HandlerInstallingRay(FakeRay):
    """ray.init as Ray's: installs its own Python SIGTERM handler (sys.exit(15)) as it connects."""

    def __init__(self):
        super().__init__("")

    def init(self, **kwargs):
        import signal
        import sys

        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(15))


def _joining_engine(monkeypatch, ray) -> "ray_engine.RayEngine":
    """A RayEngine whose ray is `ray` and whose address probe passes, for _init alone."""
    monkeypatch.setattr(ray_engine, "_probe", lambda address, named: None)
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address = ray, "192.0.2.2:6390"
    return engine


@contextlib.contextmanager
def _clis_sigterm_handler():
    """The CLI's SIGTERM handler installed for the block (the one before it restored after)."""
    def clis_handler(signum, frame):
        raise KeyboardInterrupt

    original = signal.signal(signal.SIGTERM, clis_handler)
    try:
        yield clis_handler
    finally:
        signal.signal(signal.SIGTERM, original)


def test_after_joining_sigterm_goes_to_the_handler_it_had_before_ray_init(monkeypatch):
    engine = _joining_engine(monkeypatch, HandlerInstallingRay())
    with _clis_sigterm_handler() as clis_handler:
        engine._init()
        assert signal.getsignal(signal.SIGTERM) is clis_handler
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        engine._init()
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


def test_a_line_written_after_the_filter_stopped_waiting_still_reaches_stderr(capfd, monkeypatch):
    import threading

    monkeypatch.setattr(ray_engine, "FILTER_DRAIN_S", 0.01)
    with ray_engine._stderr_without(ray_engine.RAY_NOISE):
        held = os.dup(2)  # as a process started meanwhile holds the pipe past the filter's wait
    os.write(held, b"late line from a worker\n" + ray_engine.RAY_NOISE[0] + b"\n")
    os.close(held)
    for thread in threading.enumerate():
        if thread.name == "dataaudit-stderr-filter":
            thread.join(timeout=30)
            assert not thread.is_alive()
    assert capfd.readouterr().err == "late line from a worker\n"


class SavedStderrFails:
    """ray_engine's os, but a write to the filter's saved stderr fails, as on a full disk or a pipe whose reader
    went away (`| head` ended); the rest is os, each dup2 and close noted in order. `settled` is set once the
    filter has dealt with the failed write: it asks for the next line, or it closes `saved`."""

    def __init__(self):
        import threading

        self.saved = None
        self.attempts = 0
        self.settled = threading.Event()
        self.calls = []

    def fdopen(self, fd, mode):
        fake = self

        class NotedLines:
            def __init__(self, file):
                self.file = file

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.file.close()

            def __iter__(self):
                for line in self.file:
                    yield line
                    if fake.attempts:
                        fake.settled.set()

        return NotedLines(os.fdopen(fd, mode))

    def __getattr__(self, name):
        return getattr(os, name)

    def dup(self, fd):
        self.saved = os.dup(fd)
        return self.saved

    def write(self, fd, data):
        if fd != self.saved:
            return os.write(fd, data)
        self.attempts += 1
        raise OSError(28, "No space left on device")

    def dup2(self, fd, fd2):
        self.calls.append(("dup2", fd, fd2))
        return os.dup2(fd, fd2)

    def close(self, fd):
        self.calls.append(("close", fd))
        os.close(fd)
        if fd == self.saved:
            self.settled.set()


def test_a_failed_write_to_stderr_keeps_the_saved_descriptor_until_the_driver_put_it_back(capfd, monkeypatch):
    import threading

    fake = SavedStderrFails()
    monkeypatch.setattr(ray_engine, "os", fake)
    with ray_engine._stderr_without(ray_engine.RAY_NOISE):
        os.write(2, b"a line\n")
        assert fake.settled.wait(timeout=30)
        os.write(2, b"a later line, read and dropped\n")
    os.write(2, b"after\n")
    for thread in threading.enumerate():
        if thread.name == "dataaudit-stderr-filter":
            thread.join(timeout=30)
            assert not thread.is_alive()
    # closed before the driver's dup2, `saved` was gone (EBADF) or another file's number by then
    assert fake.calls[-2:] == [("dup2", fake.saved, 2), ("close", fake.saved)]
    assert fake.attempts == 1
    assert capfd.readouterr().err == "after\n"


class HandlerInstallingFailingRay(HandlerInstallingRay):
    """ray.init that installs its SIGTERM handler and then fails to connect."""

    def init(self, **kwargs):
        super().init(**kwargs)
        raise ConnectionError("Failed to connect to Ray cluster at 192.0.2.2:6390")


def test_after_a_failed_join_sigterm_goes_to_the_handler_it_had_before_ray_init(monkeypatch):
    engine = _joining_engine(monkeypatch, HandlerInstallingFailingRay())
    with _clis_sigterm_handler() as clis_handler:
        with pytest.raises(EngineError, match="cannot start or join the Ray cluster"):
            engine._init()
        assert signal.getsignal(signal.SIGTERM) is clis_handler


# What Ray Data 2.60 gave the driver for a RuntimeError raised in an actor's batch (str of the exception), its pid,
# actor id and file paths shortened.
RAY_DATA_FAILURE = (
    "\x1b[36mray::MapWorker(MapBatches(A)).submit()\x1b[39m (pid=1, ip=192.0.2.2, actor_id=4d17, repr=MapWorker(MapBatches(A)))\n"
    "  File \"/py/concurrent/futures/_base.py\", line 449, in result\n    return self.__get_result()\n"
    "           ^^^^^^^^^^^^^^^^^^^\n"
    "  File \"/py/concurrent/futures/thread.py\", line 58, in run\n    result = self.fn(*self.args, **self.kwargs)\n"
    "  File \"/tmp/exp.py\", line 7, in __call__\n"
    "    raise RuntimeError(\"planted embedding failure: CUDA out of memory\\nsecond line\")\n"
    "RuntimeError: planted embedding failure: CUDA out of memory\nsecond line\n\n"
    "The above exception was the direct cause of the following exception:\n\n"
    "\x1b[36mray::MapWorker(MapBatches(A)).submit()\x1b[39m (pid=1, ip=192.0.2.2, actor_id=4d17, repr=MapWorker(MapBatches(A)))\n"
    "ray.exceptions.UserCodeException: UDF failed to process a data block.\n"
    "Failed to apply UDF transform after 1/1 attempts (total backoff 0.0s).\n")


def test_the_error_line_names_the_exception_the_actor_raised_not_rays_traceback_or_wrapper():
    assert ray_engine._raised_in(RuntimeError(RAY_DATA_FAILURE)) == (
        "RuntimeError: planted embedding failure: CUDA out of memory\nsecond line")
    # one line, the break shown as every excerpt shows one
    assert ray_engine._shown_cause(RuntimeError(RAY_DATA_FAILURE)) == (
        "RuntimeError: planted embedding failure: CUDA out of memory \u23ce second line")


def test_the_exception_raised_last_is_named_not_one_it_was_handling():
    handling = RAY_DATA_FAILURE.replace(
        "RuntimeError: planted embedding failure: CUDA out of memory\nsecond line\n",
        "dataaudit.errors.ModelNotFoundError: cannot load embedding model /m: x\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "  File \"/x/dataaudit/embeddings.py\", line 9, in compute\n    model.encode(texts)\n"
        "AttributeError: 'NoneType' object has no attribute 'encode'\n")
    assert ray_engine._raised_in(RuntimeError(handling)) == "AttributeError: 'NoneType' object has no attribute 'encode'"


def test_a_task_failures_cause_is_named_from_the_exception_ray_kept():
    class KeptCause(RuntimeError):
        cause = ValueError("bad row 'a\ndataaudit.errors.ConfigError: forged'")

    assert ray_engine._raised_in(KeptCause("ray::_map_partition() ...")) == (
        "ValueError: bad row 'a\ndataaudit.errors.ConfigError: forged'")
    # no traceback in the text (the cluster went away): the exception as it is
    assert ray_engine._raised_in(ConnectionError("The actor died unexpectedly.")) == "ConnectionError: The actor died unexpectedly."


def test_an_error_an_actor_handed_back_is_raised_as_its_own_class_with_its_whole_message():
    from dataaudit.engine.base import EngineError
    from dataaudit.errors import ConfigError, DataAuditError, ModelNotFoundError

    found = ray_engine._user_error("ModelNotFoundError", "cannot load embedding model /m: one\ntwo")
    assert type(found) is ModelNotFoundError and str(found) == "cannot load embedding model /m: one\ntwo"
    assert type(ray_engine._user_error("ConfigError", "x.toml: bad")) is ConfigError
    assert type(ray_engine._user_error("EngineError", "e")) is EngineError  # a subclass defined outside errors.py
    assert type(ray_engine._user_error("NoSuchError", "m")) is DataAuditError


def test_ray_datas_console_handler_is_filtered_and_its_file_handler_is_not():
    import logging

    from ray.data._internal.logging import SessionFileHandler

    ray_data = logging.getLogger("ray.data")
    level = ray_data.level
    try:
        ray_engine._hide_ray_data_console()
        ray_engine._hide_ray_data_console()  # a second engine adds nothing
        console = ray_engine._console_handlers(ray_data)
        files = [h for h in ray_data.handlers if isinstance(h, SessionFileHandler)]
        assert console and files and ray_data.level == logging.ERROR
        assert all(h.filters.count(ray_engine._quiet) == 1 for h in console)
        assert all(ray_engine._quiet not in h.filters for h in files)
    finally:
        ray_data.setLevel(level)
        for handler in ray_data.handlers:
            handler.removeFilter(ray_engine._quiet)


class JoiningRay(FakeRay):
    """ray.init as Ray's when it joins: records the address it was given."""

    def __init__(self):
        super().__init__("")
        self.addresses = []

    def init(self, **kwargs):
        self.addresses.append(kwargs["address"])


def joined_address(monkeypatch, address: str) -> list:
    monkeypatch.setattr(ray_engine, "_probe", lambda address, named: None)  # the noted head answers
    monkeypatch.setattr(ray_engine, "_python_handles_sigterm", lambda before: None)
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address = JoiningRay(), address
    engine._init()
    return engine.ray.addresses


def test_auto_reaches_ray_init_as_auto_so_ray_loads_the_token_ray_start_left(tmp_path, monkeypatch):
    pointer, port = noted_dead_head(tmp_path, monkeypatch)
    assert joined_address(monkeypatch, "auto") == ["auto"]  # not 127.0.0.1:<port>: Ray loads its token only for "auto"
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    assert joined_address(monkeypatch, "") == ["auto"]
    monkeypatch.setenv("RAY_ADDRESS", f"127.0.0.1:{port}")  # an address named outright goes as it is
    assert joined_address(monkeypatch, "") == [f"127.0.0.1:{port}"]
    monkeypatch.delenv("RAY_ADDRESS")
    assert joined_address(monkeypatch, f"127.0.0.1:{port}") == [f"127.0.0.1:{port}"]


def test_a_dead_noted_head_is_still_refused_at_once_before_ray_init(tmp_path, monkeypatch):
    pointer, port = noted_dead_head(tmp_path, monkeypatch)
    monkeypatch.setattr(ray_engine, "_live_local_heads", lambda: frozenset())
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address = JoiningRay(), "auto"
    with pytest.raises(EngineError, match=f"cannot reach the Ray cluster at 127.0.0.1:{port}"):
        engine._init()
    assert engine.ray.addresses == []


def test_auto_with_no_ray_here_is_refused_in_dataaudits_words(tmp_path, monkeypatch):
    monkeypatch.setattr(ray_engine, "_ray_address_file", lambda: str(tmp_path / "ray_current_cluster"))
    monkeypatch.setattr(ray_engine, "_live_local_heads", lambda: frozenset())
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address, engine.address_from = JoiningRay(), "auto", "--ray-address"
    with pytest.raises(EngineError) as caught:
        engine._init()
    assert str(caught.value) == (
        f"--ray-address auto found no running Ray cluster on this machine (no head noted by `ray start` in "
        f"{tmp_path / 'ray_current_cluster'}, no Ray head process here): start one with `ray start --head`, name a "
        "head as HOST:PORT, or give --engine ray without --ray-address to start a Ray for this run alone")
    assert engine.ray.addresses == []
    # a head Ray finds by its process list, or a lookup this Ray keeps elsewhere: Ray resolves "auto" itself
    for heads in (frozenset({"10.1.2.3:6379"}), None):
        monkeypatch.setattr(ray_engine, "_live_local_heads", lambda: heads)
        assert joined_address(monkeypatch, "auto") == ["auto"]


def without_ray(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def missing(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", missing)


@pytest.mark.parametrize("how, blamed", [
    (["--config", "CONFIG"], "CONFIG: engine.name:"), (["--engine", "ray"], "--engine:"), (["--ray-address", "127.0.0.1:1"], "--ray-address:"),
])
def test_ray_missing_names_where_the_ray_engine_was_chosen(tmp_path, capsys, monkeypatch, how, blamed):
    from dataaudit.cli import main

    data = tmp_path / "d.jsonl"
    data.write_text('{"prompt": "a", "completion": "b"}\n')
    config = tmp_path / "ray.toml"
    config.write_text('[engine]\nname = "ray"\n')
    without_ray(monkeypatch)
    argv = [str(config) if arg == "CONFIG" else arg for arg in how]
    assert main(["audit", str(data), "--no-embeddings", "--format", "json", *argv]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"dataaudit: error: {blamed.replace('CONFIG', str(config))} the Ray engine needs Ray, which is not installed: "
        "install it with `pip install 'dataaudit[ray]'`"]


@pytest.mark.parametrize("address, named", [("", "RAY_ADDRESS"), ("auto", "--ray-address")])
def test_ray_address_auto_names_no_cluster_so_auto_with_no_ray_here_is_still_refused(tmp_path, monkeypatch, address, named):
    # RAY_ADDRESS=auto is "auto" again, not a cluster: it let Ray's own "--address flag" wording through
    monkeypatch.setattr(ray_engine, "_ray_address_file", lambda: str(tmp_path / "ray_current_cluster"))
    monkeypatch.setattr(ray_engine, "_live_local_heads", lambda: frozenset())
    monkeypatch.setenv("RAY_ADDRESS", "auto")
    engine = object.__new__(ray_engine.RayEngine)
    engine.ray, engine.address, engine.address_from = JoiningRay(), address, "--ray-address"
    with pytest.raises(EngineError) as caught:
        engine._init()
    assert str(caught.value).startswith(f"{named} auto found no running Ray cluster on this machine (no head noted by "
                                        f"`ray start` in {tmp_path / 'ray_current_cluster'}, no Ray head process here)")
    alone = "give --engine ray without --ray-address" if named == "--ray-address" else f"leave {named} unset"
    assert str(caught.value).endswith(f"or {alone} to start a Ray for this run alone")
    assert engine.ray.addresses == []
