"""`--engine ray` runs its Ray driver in a child process (dataaudit/engine/driver.py): Ray's core worker ends
the driver process itself when its raylet dies, and the exit status it leaves (1) would read as "not ready".

Killing a real raylet takes a Ray cluster and tens of seconds, too slow and timing-bound for CI: these tests
give the supervisor fake children that end as such a driver ends (an exit without saying a code, a SIGKILL)
and check what the user gets. They need no Ray."""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from dataaudit.engine.driver import CHILD_ENV, supervise

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(os.name != "posix", reason="the Ray driver runs in the CLI's own process off POSIX")


def child(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


SAY = "import os\ndef say(code):\n    os.write(int(os.environ[%r]), str(code).encode())\n" % CHILD_ENV


@pytest.mark.parametrize("code", [0, 1, 2, 3, 130])
def test_the_code_the_child_says_is_the_exit_code(code, capfd):
    assert supervise(child(SAY + f"say({code})\nos._exit(0)")) == code
    assert "dataaudit" not in capfd.readouterr().err


def test_a_driver_ended_by_ray_with_exit_1_is_exit_2_with_one_line_and_never_not_ready(capfd):
    started = time.monotonic()
    assert supervise(child("import os; os._exit(1)")) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert err == ["dataaudit: error: the Ray driver ended before the audit finished (exit 1): no report was written; "
                   "see Ray's log above"]
    assert time.monotonic() - started < 10


def test_a_killed_driver_names_the_reports_it_had_rewritten(tmp_path, capfd):
    out = tmp_path / "out"
    out.mkdir()
    old = out / "report.md"
    old.write_text("an earlier run")
    os.utime(old, (time.time() - 3600,) * 2)
    code = supervise(child(f"import os, signal, pathlib\npathlib.Path({str(out / 'report.json')!r}).write_text('{{')\n"
                           "os.kill(os.getpid(), signal.SIGKILL)"), outputs=[out, tmp_path / "suspects.csv"])
    err = capfd.readouterr().err
    assert code == 2 and "(signal 9)" in err
    assert str(out / "report.json") in err and "do not read them" in err and "report.md" not in err


def test_the_child_sees_the_pipe_and_nothing_it_starts_inherits_it():
    code = supervise(child(SAY + "import subprocess, sys\n"
                                 "fd = int(os.environ[%r])\n"
                                 "seen = subprocess.run([sys.executable, '-c', 'import os; os.fstat(%%d)' %% fd]).returncode\n"
                                 "say(3 if seen else 0)" % CHILD_ENV))
    assert code == 3  # the grandchild could not see the fd: only the child holds the pipe


PARENT = ("import sys\nfrom dataaudit.engine.driver import supervise\n"
          "sys.exit(supervise([sys.executable, '-c', sys.argv[1]]))\n")
# A child that counts the SIGINTs it gets (taken with sigwaitinfo, so two are two however close together),
# says 130 after the first, and lingers a moment to catch a second.
COUNTING = SAY + textwrap.dedent("""
    import signal
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT])
    print("ready", flush=True)
    signal.sigwaitinfo([signal.SIGINT])
    again = signal.sigtimedwait([signal.SIGINT], 1.0)
    print(f"sigints={1 + (again is not None)}", flush=True)
    say(130)
""")


def test_a_sigint_sent_to_the_parent_alone_is_forwarded_once():
    parent = subprocess.Popen([sys.executable, "-c", PARENT, COUNTING], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout.readline().strip() == "ready"
    parent.send_signal(signal.SIGINT)
    out, _ = parent.communicate(timeout=30)
    assert parent.returncode == 130 and out.strip() == "sigints=1"


def test_ctrl_c_at_a_terminal_reaches_the_child_once_and_exits_130():
    """The terminal signals the whole foreground process group: the parent must not send a second SIGINT. (The
    kernel often merges a second SIGINT sent microseconds after the first, so this shows the outcome, 130 and
    the child's own clean stop, more than it pins the parent's rule.)"""
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover  the child, with the pty as its controlling terminal
        os.environ["PYTHONPATH"] = str(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", PARENT, COUNTING])
    seen = b""
    deadline = time.monotonic() + 30
    while b"ready" not in seen:
        assert time.monotonic() < deadline, seen
        if select.select([fd], [], [], 0.5)[0]:
            seen += os.read(fd, 1024)
    os.write(fd, b"\x03")  # Ctrl-C
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 1024)
            except OSError:  # the pty closed: everything ended
                break
            if not chunk:
                break
            seen += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 130
    assert b"sigints=1" in seen, seen


def test_a_sigterm_sent_to_the_parent_ends_both_as_sigterm():
    code = "import time\nprint('ready', flush=True)\ntime.sleep(60)"
    parent = subprocess.Popen([sys.executable, "-c", PARENT, code], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert parent.stdout.readline().strip() == "ready"
    parent.send_signal(signal.SIGTERM)
    parent.communicate(timeout=30)
    assert parent.returncode == -signal.SIGTERM


def run_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dataaudit", *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})


def test_the_local_engine_runs_in_its_own_process(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    result = run_cli("audit", str(data), "--no-embeddings", "--no-cache", "--format", "json", "--out", str(tmp_path / "out"))
    assert result.returncode in (0, 1, 3), result.stderr
    assert (tmp_path / "out" / "report.json").exists()


# The address the Ray engine joins, and the errors on the way there: no cluster needed.

def test_no_address_starts_a_local_ray_and_never_joins_another_cluster_on_the_machine(monkeypatch):
    from dataaudit.engine.ray_engine import effective_address

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert effective_address("") == ("local", "")  # Ray's None would join the cluster `ray start` made here
    monkeypatch.setenv("RAY_ADDRESS", "10.0.0.5:6379")
    assert effective_address("") == ("10.0.0.5:6379", "RAY_ADDRESS")
    assert effective_address("10.0.0.9:6379") == ("10.0.0.9:6379", "--ray-address / engine.address")  # the flag wins
    assert effective_address("auto")[0] == "10.0.0.5:6379"  # what Ray itself reads for "auto"


def closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_ray_address_from_the_environment_exits_2_naming_it(tmp_path):
    pytest.importorskip("ray.data", reason="Ray is not installed")
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    port = closed_port()
    started = time.monotonic()
    result = run_cli("audit", str(data), "--engine", "ray", "--no-embeddings", "--no-cache", "--out", str(tmp_path / "out"),
                     env={"RAY_ADDRESS": f"127.0.0.1:{port}"})
    assert result.returncode == 2 and time.monotonic() - started < 60
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, said by the child itself
    assert f"127.0.0.1:{port} (from RAY_ADDRESS" in result.stderr and "unset RAY_ADDRESS" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_ray_client_address_without_the_client_package_names_the_install(monkeypatch):
    from dataaudit.engine.base import EngineError
    from dataaudit.engine.ray_engine import _check_client

    monkeypatch.setitem(sys.modules, "grpc", None)  # import grpc raises ImportError, as when it is absent
    with pytest.raises(EngineError, match=r"ray://h:10001: a ray:// address needs Ray Client.*pip install 'ray\[client\]==2.60.0'"):
        _check_client("ray://h:10001", "--ray-address / engine.address", "2.60.0")
    _check_client("h:6379", "--ray-address / engine.address", "2.60.0")  # not a client address: nothing asked


def test_ray_messages_lose_their_terminal_colours_in_the_error_line():
    from dataaudit.engine.ray_engine import _plain

    message = RuntimeError("RayTaskError(OwnerDiedError): \x1b[36mray::_read_file()\x1b[39m (pid=7)\n  owner died")
    assert _plain(message) == "RayTaskError(OwnerDiedError): ray::_read_file() (pid=7) owner died"


def test_an_address_with_the_local_engine_is_a_config_error_naming_the_file_and_key(tmp_path):
    from dataaudit.config import load_config
    from dataaudit.errors import ConfigError

    path = tmp_path / "dataaudit.toml"
    path.write_text('[engine]\nname = "local"\naddress = "127.0.0.1:1"\n')
    with pytest.raises(ConfigError, match=rf"^{path}: engine.address: '127.0.0.1:1' names a Ray cluster, but the engine is local \(engine.name = \"local\"\)"):
        load_config(path)


def test_engine_local_on_the_command_line_runs_here_despite_a_configured_cluster(tmp_path):
    config = tmp_path / "dataaudit.toml"
    config.write_text('[engine]\nname = "ray"\naddress = "127.0.0.1:1"\n')
    data = tmp_path / "d.jsonl"
    data.write_text('{"text": "a", "label": "x"}\n', encoding="utf-8")
    common = ("audit", str(data), "--config", str(config), "--no-embeddings", "--no-cache", "--format", "json")
    assert run_cli(*common, "--engine", "local", "--out", str(tmp_path / "out")).returncode in (0, 1, 3)
    refused = run_cli(*common, "--engine", "local", "--ray-address", "127.0.0.1:1", "--out", str(tmp_path / "o2"))
    assert refused.returncode == 2 and "engine.address" in refused.stderr
    # the flags the user passed are named, not only config keys they never set
    assert "--ray-address" in refused.stderr and "--engine local" in refused.stderr and "--engine ray" in refused.stderr


def test_a_ray_that_is_installed_but_fails_to_import_is_one_line_naming_the_reinstall(monkeypatch):
    import builtins

    from dataaudit.engine import ray_engine
    from dataaudit.engine.base import EngineError

    real_import = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise TypeError("planted: a half-upgraded extension")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(EngineError, match=r"installed but fails to import \(TypeError: planted: a half-upgraded extension\): "
                                          r"reinstall it with `pip install 'dataaudit\[ray\]'`"):
        ray_engine._import_ray()


def test_an_address_that_accepts_but_does_not_speak_grpc_is_refused_in_seconds_and_a_grpc_peer_passes(monkeypatch):
    # A port held open by something else (another service, a proxy) kept ray.init retrying for minutes.
    import socket
    import threading
    import time

    from dataaudit.engine.base import EngineError
    from dataaudit.engine.ray_engine import _probe

    def listener(reply: bytes):
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def serve():
            peer, _ = server.accept()
            peer.recv(64)
            if reply:
                peer.sendall(reply)
            time.sleep(8)
            peer.close()

        threading.Thread(target=serve, daemon=True).start()
        return f"127.0.0.1:{server.getsockname()[1]}", server

    monkeypatch.delenv("RAY_USE_TLS", raising=False)
    silent, held = listener(b"")
    start = time.monotonic()
    with pytest.raises(EngineError, match="accepts connections but does not answer as a Ray cluster"):
        _probe(silent, "--ray-address")
    assert time.monotonic() - start < 8
    grpc_like, held_too = listener(b"\x00\x00\x06\x04\x00\x00\x00\x00\x00" + b"\x00\x03\x00\x00\x00\x64")  # a SETTINGS frame
    _probe(grpc_like, "--ray-address")
    held.close()
    held_too.close()
