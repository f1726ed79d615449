"""cli: what reaches the standard streams when they close early, and how paths in messages are shown."""

from __future__ import annotations

import sys

import pytest

from dataaudit.cli import main
from tests.conftest import write_jsonl


class _ClosedPipe:
    """A stdout whose reader has gone (`| true`, `| head -1` once it has its line): every write is a broken pipe."""

    def __init__(self) -> None:
        self.tried = 0

    def write(self, text: str) -> int:
        self.tried += 1
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise ValueError("no file descriptor")


def _report(tmp_path, billing: int):
    rows = [{"text": f"ticket {i} about tickets", "label": "billing" if i < billing else "returns"} for i in range(40)]
    path = write_jsonl(tmp_path / f"t{billing}.jsonl", rows)
    out = tmp_path / f"r{billing}"
    history = tmp_path / "h.db"
    assert main(["audit", str(path), "--no-embeddings", "--format", "json", "--out", str(out), "--history", str(history)]) in (0, 1, 3)
    return out / "report.json", history


def test_history_and_compare_keep_their_exit_code_when_stdout_closes_early(tmp_path, monkeypatch, capsys):
    # rich's own console turns a broken pipe into SystemExit(1): for compare "regressed", for history a failure.
    before, history = _report(tmp_path, 20)
    after, _ = _report(tmp_path, 35)
    capsys.readouterr()
    for argv, code in [(["history", str(history)], 0), (["compare", str(before), str(before), "--fail-on-regression"], 0),
                       (["compare", str(before), str(after), "--fail-on-regression"], 1), (["compare", str(before), str(after)], 0)]:
        closed = _ClosedPipe()
        monkeypatch.setattr(sys, "stdout", closed)
        returned = main(argv)
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        assert (argv, returned, closed.tried >= 1) == (argv, code, True)
    assert capsys.readouterr().err == ""


@pytest.fixture
def stop_signals_kept():
    """main() run as the command line (argv None) leaves SIGTERM and SIGINT ignored until the exit: given back here."""
    import signal

    kept = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}
    yield
    for number, handler in kept.items():
        signal.signal(number, handler)


def test_ctrl_c_while_the_command_line_reads_its_config_is_one_line_not_a_traceback(tmp_path, monkeypatch, capsys,
                                                                                      stop_signals_kept):
    # Before the command's own handling starts: the config is read (its imports take ~0.5 s) to see whether Ray runs it.
    from dataaudit import cli

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_config_from_args", interrupted)
    monkeypatch.setattr(sys, "argv", ["dataaudit", "audit", str(tmp_path / "t.jsonl")])
    assert cli.main() == cli.EXIT_INTERRUPTED
    assert capsys.readouterr().err == "dataaudit: interrupted\n"


def test_a_signal_surfacing_as_an_import_error_while_parsing_is_said_as_the_signal(monkeypatch, capsys):
    from dataaudit import cli

    def parser_interrupted():
        wrapped = ImportError("initialization failed")  # scipy's C init, as Ctrl-C or SIGTERM surfaces from it
        wrapped.__context__ = cli.Terminated()
        raise wrapped

    monkeypatch.setattr(cli, "build_parser", parser_interrupted)
    assert cli.main(["history", "h.db"]) == cli.EXIT_TERMINATED
    assert capsys.readouterr().err == "dataaudit: terminated\n"


def test_once_the_command_line_confirms_its_run_a_sigterm_waits_for_the_exit(tmp_path, monkeypatch, capsys, stop_signals_kept):
    # SIGTERM after the reports: line exited 143 with no message, or with the run confirmed in the history.
    import signal

    from dataaudit import cli
    from dataaudit.history import store

    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    history = tmp_path / "h.db"
    seen_at_confirm = []
    confirm = store.confirm_run

    def confirm_seeing_the_handler(path, run_id):
        seen_at_confirm.append(signal.getsignal(signal.SIGTERM))
        confirm(path, run_id)

    monkeypatch.setattr(store, "confirm_run", confirm_seeing_the_handler)
    monkeypatch.setattr(sys, "argv", ["dataaudit", "audit", str(data), "--no-embeddings", "--history", str(history),
                                      "--out", str(tmp_path / "out")])
    code = cli.main()
    assert code in (0, 1, 3) and seen_at_confirm == [signal.SIG_IGN]
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN and signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    assert [run["id"] for run in store.load_runs(history)] == [1]


def test_main_called_in_a_process_gives_back_its_sigterm_handler(tmp_path, capsys):
    import signal

    def own(signum, frame):
        pass

    kept = signal.signal(signal.SIGTERM, own)
    try:
        assert main(["history", str(tmp_path / "none.db")]) == 2
        assert signal.getsignal(signal.SIGTERM) is own
    finally:
        signal.signal(signal.SIGTERM, kept)


def test_line_breaks_and_tabs_in_a_path_are_shown_as_escapes_on_one_line(tmp_path, capsys, monkeypatch):
    # Shown as spaces they named another file; the README promises paths as given, control characters as escapes.
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    assert main(["audit", "data/mis\nsing\t\x1b[31mred.jsonl", "--no-embeddings"]) == 2
    assert capsys.readouterr().err == "dataaudit: error: data/mis\\nsing\\t\\x1b[31mred.jsonl: no file matches this pattern\n"
    (tmp_path / "fi\nle").write_text("")
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    assert main(["audit", str(data), "--no-embeddings", "--out", "fi\nle"]) == 2
    assert capsys.readouterr().err.startswith("dataaudit: error: fi\\nle: --out must be a folder")
    assert main(["audit", str(data), "--no-embeddings", "--out", "o ut\r\nnl", "--format", "json,md"]) in (0, 1, 3)
    assert capsys.readouterr().err.splitlines()[-1].startswith("reports: o ut\\r\\nnl/report.json, o ut\\r\\nnl/report.md")


def test_init_refuses_a_name_that_is_not_toml_and_writes_nothing(tmp_path, capsys):
    assert main(["init", str(tmp_path / "x.json")]) == 2
    assert capsys.readouterr().err == (f"dataaudit: error: {tmp_path / 'x.json'}: not a .toml name, and the config written is "
                                       "TOML; name the file NAME.toml (or a folder, which gets dataaudit.toml)\n")
    assert list(tmp_path.iterdir()) == []
    assert main(["init", str(tmp_path / "conf.TOML")]) == 0 and (tmp_path / "conf.TOML").read_text().lstrip().startswith("#")


@pytest.mark.parametrize("device", ["cuda:1", "xpu", "cpu"])
def test_device_takes_what_the_config_key_takes(tmp_path, capsys, device):
    from dataaudit.cli import _config_from_args, build_parser

    args = build_parser().parse_args(["audit", "t.jsonl", "--device", device])
    assert _config_from_args(args).embeddings.device == device


def test_a_device_the_config_would_refuse_is_one_line_naming_the_flag(tmp_path, capsys):
    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    assert main(["audit", str(data), "--device", "gpu0", "--no-embeddings", "--format", "json"]) == 2
    assert capsys.readouterr().err.startswith("dataaudit: error: --device: 'gpu0' is not a torch device (cpu, cuda, cuda:N")


@pytest.mark.parametrize("swallowed_as", ["nothing", "ValueError"])
def test_a_sigterm_a_library_swallows_while_reports_are_drawn_still_stops_the_run(tmp_path, monkeypatch, capsys,
                                                                                 stop_signals_kept, swallowed_as):
    """Matplotlib ignores an exception raised in some of its callbacks, or turns it into "ValueError: Invalid
    bounding box": a SIGTERM that landed there ran on to exit 1 with the run confirmed, or exited 2 with a traceback."""
    from dataaudit import api, cli
    from dataaudit.history import store

    data = write_jsonl(tmp_path / "t.jsonl", [{"text": f"ticket about item {i}", "label": "a" if i % 2 else "b"} for i in range(40)])
    history = tmp_path / "h.db"
    real_write_reports = api.write_reports

    def drawn_while_terminated(*args, **kwargs):
        try:
            cli._terminate(15, None)
        except BaseException:
            if swallowed_as == "ValueError":
                raise ValueError("Invalid bounding box") from None  # as matplotlib raises it: the signal not in its chain
        return real_write_reports(*args, **kwargs)

    monkeypatch.setattr(api, "write_reports", drawn_while_terminated)
    hook = sys.unraisablehook
    code = main(["audit", str(data), "--no-embeddings", "--history", str(history), "--out", str(tmp_path / "out")])
    assert code == 143 and capsys.readouterr().err.splitlines()[-1] == "dataaudit: terminated"
    assert store.load_runs(history) == []
    assert sys.unraisablehook is hook  # main() gives back the hook it quieted swallowed SIGTERMs with
