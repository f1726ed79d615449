"""`dataaudit audit --engine ray` runs its Ray driver in a child process.

When its raylet or the cluster goes away, Ray's core worker ends the driver process itself (from C++, with
no Python exception): the audit's own error path never runs, the exit status is whatever Ray chose (1, which
this command's contract reserves for "not ready"), and no error line is printed. So the command line re-runs
itself as a child (`python -m dataaudit`, the same arguments, CHILD_ENV naming a pipe) and stays a small
parent that never imports Ray. The child writes the exit code it means on that pipe just before it returns
it; the parent passes on only a code the child said. A child that ended without saying one was ended inside
Ray (or killed): the parent prints one error line and exits 2.

stdin, stdout and stderr are inherited, so the output is the child's. Ctrl-C reaches both processes (they
share the terminal's process group): the child stops as it would alone (exit 130) and the parent does not
signal it again; a SIGINT or SIGTERM sent to the parent alone (`kill`, a CI runner) is forwarded.

Only the command line does this (`main()` with no argv): a program calling `cli.main(argv)` or the API keeps
its own process, and Ray ending its driver ends that program.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..cli import EXIT_INTERRUPTED, EXIT_USAGE  # the exit codes are the CLI's contract, stated once

CHILD_ENV = "DATAAUDIT_RAY_DRIVER_FD"  # set in the child only: the pipe it writes its exit code on
_SI_KERNEL = 0x80  # siginfo.si_code of a signal the kernel sent, as a terminal's Ctrl-C is (kill() gives SI_USER)
_FORWARDED = (signal.SIGINT, signal.SIGTERM)


def run_audit_command(args, handle, config_of) -> int:
    """`handle(args)` here, in a child that reports its exit code (Ray), or as the child itself."""
    fd = os.environ.pop(CHILD_ENV, None)  # popped: Ray's workers and anything else this process starts never see it
    if fd is not None:
        return _as_child(int(fd), lambda: handle(args))
    if os.name != "posix" or not _uses_ray(args, config_of):
        return handle(args)
    return supervise([sys.executable, "-m", "dataaudit", *sys.argv[1:]], outputs=_outputs(args))


def _uses_ray(args, config_of) -> bool:
    if args.engine is not None:
        return args.engine == "ray"
    if args.ray_address:
        return True
    try:
        return config_of().engine.name == "ray"
    except Exception:  # noqa: BLE001  a config that cannot be read is reported by the audit, which then starts no Ray
        return False


def _outputs(args) -> list[Path]:
    return [Path(p) for p in (args.out, args.suspects, args.timings) if p]


def _as_child(fd: int, run) -> int:
    os.set_inheritable(fd, False)
    code = run()
    try:
        os.write(fd, str(code).encode())
        os.close(fd)
    except OSError:  # the parent is gone: nobody reads the code, the exit status still carries it
        pass
    return code


def supervise(command: list[str], outputs: list[Path] = ()) -> int:
    """Run `command` (a child that writes its exit code on the fd in CHILD_ENV) and return that code; 2, with
    one error line, when it ended without writing one. `outputs`: what this run may write (the --out folder,
    whose files count, --suspects, --timings), named in the error when the child wrote them before it ended."""
    read_fd, write_fd = os.pipe()
    os.set_blocking(read_fd, False)
    # Blocked before the child exists, so a signal in between is not lost; unblocked in the child before it
    # runs (preexec_fn is safe here: this process has started no threads).
    precise = hasattr(signal, "sigtimedwait")
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED) if precise else None
    received: list[int] = []
    started = time.time()
    try:
        try:
            child = subprocess.Popen(command, env={**os.environ, CHILD_ENV: str(write_fd)}, pass_fds=(write_fd,),
                                     preexec_fn=(lambda: signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)) if precise else None)
        finally:
            os.close(write_fd)
        if precise:
            while child.poll() is None:
                info = signal.sigtimedwait(_FORWARDED, 0.05)
                if info is not None:
                    received.append(info.si_signo)
                    if info.si_code != _SI_KERNEL:  # the terminal's Ctrl-C reached the child already
                        _send(child, info.si_signo)
        else:
            def forward(signum, _frame):
                received.append(signum)
                _send(child, signum)

            previous = {s: signal.signal(s, forward) for s in _FORWARDED}
            try:
                child.wait()
            finally:
                for s, handler in previous.items():
                    signal.signal(s, handler)
    finally:
        if precise:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
    said = _read_code(read_fd)
    if said is not None:
        return said
    if signal.SIGTERM in received:  # ended as asked: end the same way, as the audit alone would have
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)
    if signal.SIGINT in received:
        print("dataaudit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    rc = child.returncode
    how = f"signal {-rc}" if rc < 0 else f"exit {rc}"
    changed = [str(p) for p in _files(outputs) if _changed_since(p, started)]
    written = (f"it had rewritten {', '.join(changed)}, which may be incomplete: do not read them" if changed
               else "no report was written")
    print(f"dataaudit: error: the Ray driver ended before the audit finished ({how}): {written}; see Ray's log above",
          file=sys.stderr)
    return EXIT_USAGE


def _send(child: subprocess.Popen, signum: int) -> None:
    try:
        child.send_signal(signum)
    except ProcessLookupError:
        pass


def _read_code(fd: int) -> int | None:
    try:
        data = os.read(fd, 64)
    except BlockingIOError:  # nothing written, and a process the child started still holds the pipe open
        data = b""
    finally:
        os.close(fd)
    try:
        return int(data.decode())
    except ValueError:
        return None


def _files(paths) -> list[Path]:
    found = []
    for path in paths:
        try:
            found.extend(sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path])
        except OSError:
            pass
    return found


def _changed_since(path: Path, started: float) -> bool:
    try:
        return path.stat().st_mtime >= started
    except OSError:
        return False
