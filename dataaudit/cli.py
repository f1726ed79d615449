"""Command line: a thin layer over the Python API.

Exit codes (a contract for cron and CI): 0 ready, 1 not ready (a necessary condition fails, or a
regression with --fail-on-regression), 2 any input, config or usage error (one line on stderr naming the
file and what to do), 3 not enough evidence. Nothing here measures or decides: it parses arguments, calls
the API, and hands the Report to the renderers.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .errors import DataAuditError, InputError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # Ctrl-C: the shell's convention for SIGINT (128 + 2), not a usage error
EXIT_REGRESSED = 1  # compare --fail-on-regression; the same code a regression gives `audit --fail-on-regression`
EXIT_TERMINATED = 143  # SIGTERM (timeout, systemd, a CI runner's cancel): 128 + 15, as a shell reports it


class Terminated(BaseException):
    """SIGTERM, raised where the process is, so a run stops as Ctrl-C stops it: a history row taken back, an empty
    folder of its own removed. A BaseException, like KeyboardInterrupt: no `except Exception` swallows it."""
FORMATS = ("terminal", "json", "md", "html")


def _formats(value: str) -> list[str]:
    chosen = [v.strip() for v in value.split(",") if v.strip()]
    if not chosen:  # `--format ""` (an unset variable in a script): nothing would be shown or written
        raise argparse.ArgumentTypeError(f"no format named (choose from {', '.join(FORMATS)}, all)")
    if "all" in chosen:
        return list(FORMATS)
    bad = [v for v in chosen if v not in FORMATS]
    if bad:
        raise argparse.ArgumentTypeError(f"unknown format {bad[0]!r} (choose from {', '.join(FORMATS)}, all)")
    return chosen


class _OneLineErrors(argparse.ArgumentParser):
    """A usage error is one line on stderr and exit 2, like every other error (argparse prints its whole usage
    first, which a cron mail or a CI log then carries in full); --help still prints the usage."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _at_least_one(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {number}")
    return number


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="config file (default: dataaudit.toml or [tool.dataaudit] in pyproject.toml, searched upwards)")


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    _add_config_option(parser)
    parser.add_argument("--task-type", choices=("format", "classification", "extraction", "generation"), help="sets the example threshold")
    parser.add_argument("--text-field", help="input text field of text records")
    parser.add_argument("--label-field", help="label field")
    parser.add_argument("--id-field", help="item id field")
    parser.add_argument("--annotator-field", help="long annotation layout: the annotator column (one row per item x annotator)")
    parser.add_argument("--annotator-columns", help="wide annotation layout: comma-separated annotator columns")
    parser.add_argument("--level", choices=("nominal", "ordinal", "interval", "ratio"), help="level of measurement of labels (agreement)")
    parser.add_argument("--model", help="sentence-transformers model folder (default: bundled all-MiniLM-L6-v2)")
    # Checked where the config is (config.py: cpu, cuda, cuda:N, mps, xpu, ...), so the flag takes what the key takes.
    parser.add_argument("--device", help="embedding device: cpu, cuda, cuda:N, mps, xpu, ... (default: cuda when available, else cpu)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the embedding and result caches")
    # The default is the user cache's dataaudit/embeddings, results beside it in dataaudit/results; a named folder holds
    # both: pointing it at ~/.cache/dataaudit reads none of the default cache's embeddings (embeddings.default_cache_dir).
    parser.add_argument("--cache-dir", help="cache folder holding embeddings.sqlite3, traced/ (the traced model) and results/ "
                                            "(reused results) (default: the user's cache folder dataaudit/embeddings, "
                                            "~/.cache/dataaudit/embeddings on Linux, with its results in "
                                            "~/.cache/dataaudit/results; to reuse the default embeddings, name that "
                                            "embeddings folder, not ~/.cache/dataaudit)")
    parser.add_argument("--no-embeddings", action="store_true", help="skip embeddings: no semantic near duplicates, coverage not judged")
    parser.add_argument("--target-model", help="count tokens as this model's trainer does (e.g. gpt-4o-mini): limits, epochs, cost")
    parser.add_argument("--tokenizer", help="Hugging Face tokenizer folder or tokenizer.json of an open target model")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrors(prog="dataaudit", description="Is this dataset ready for fine-tuning? Measures, evidence, verdict.")
    parser.add_argument("--version", action="version", version=f"dataaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="audit a dataset and write the readiness report",
                       description="Audit one dataset (several files or globs audit as one). Exit 0 ready, 1 not ready, 2 usage/input error, 3 not enough evidence.")
    a.add_argument("inputs", nargs="*", help="JSONL / JSON / CSV / Parquet files, folders of them, or globs")
    a.add_argument("--label-studio", metavar="URL", help="audit a Label Studio project fetched from this server (token: LABEL_STUDIO_API_KEY)")
    a.add_argument("--project", type=int, help="the Label Studio project id (with --label-studio)")
    a.add_argument("--since-last", action="store_true", help="with --label-studio and --history: only annotations made since the previous run")
    a.add_argument("--question", help="annotation exports: the question whose labels are audited (default: the first classification question)")
    a.add_argument("--suspects", metavar="FILE.csv", help="write the label-noise suspects (columns file, line, text, given_label, "
                                                             "suggested_label, confidence, label_quality)")
    a.add_argument("--out", help="folder for report.json, report.md, report.html")
    a.add_argument("--timings", metavar="FILE.json", help="write where the time went: seconds per stage (read, index, embed, checks, "
                                                          "decide, \"report files\" for the --out files together, terminal) and per check")
    a.add_argument("--format", type=_formats, default=list(FORMATS), help="comma-separated: terminal,json,md,html (default: all)")
    a.add_argument("--production", nargs="+", help="sample of production inputs (enables coverage)")
    a.add_argument("--production-text-field", help="input text field of the production file")
    a.add_argument("--eval", nargs="+", dest="eval_path", help="eval set, checked for leakage from training")
    a.add_argument("--prompt-log", help="prompt-experiment log (CSV/JSONL: iteration, prompt_version, score)")
    a.add_argument("--dataset-name", help="name for history and reports (default: from the first file)")
    a.add_argument("--history", help="SQLite file of past runs: record this run and report regressions")
    a.add_argument("--fail-on-regression", action="store_true", help="exit 1 when a regression against the previous run is found")
    a.add_argument("--engine", choices=("local", "ray"), help="what executes the audit: local (default) or a Ray cluster (pip install 'dataaudit[ray]')")
    a.add_argument("--ray-address", help="Ray cluster to join (HOST:PORT, ray://HOST:10001 or auto; implies --engine ray); default: start a local Ray")
    _add_data_options(a)

    i = sub.add_parser("init", help="write a commented default dataaudit.toml")
    i.add_argument("path", nargs="?", default="dataaudit.toml",
                   help="the file to write; a folder (existing, or named with a trailing /) gets dataaudit.toml inside")
    i.add_argument("--force", action="store_true", help="overwrite an existing file")

    d = sub.add_parser("dedup", help="write a de-duplicated copy of a dataset (the input is never touched)")
    d.add_argument("input", nargs="+", help="one file, or several (files, globs, a folder) audited together")
    d.add_argument("--out", required=True, help="the clean copy (same format as the input), or a folder (one that exists, or named "
                                                "with a trailing /) to write it into under the input's name; with several inputs, "
                                                "the folder for their copies, each under its own name")
    d.add_argument("--drop-conflicts", action="store_true", help="also drop every record of a group with conflicting labels")
    _add_data_options(d)

    r = sub.add_parser("redact", help="write a copy with personal data and credentials replaced by placeholders (the input is never touched)")
    r.add_argument("input")
    r.add_argument("--out", required=True, help="the redacted copy (same format as the input), or a folder (one that exists, or "
                                                "named with a trailing /) to write it into under the input's name")
    _add_config_option(r)  # redact reads only the [pii] section: no fields, model or task options to ignore

    h = sub.add_parser("history", help="table of past runs recorded in a history file")
    h.add_argument("db")
    h.add_argument("--dataset-name", help="only this dataset")
    h.add_argument("--limit", type=_at_least_one, default=20, help="the latest runs shown (default 20)")

    c = sub.add_parser("compare", help="differences between two report.json files")
    c.add_argument("before")
    c.add_argument("after")
    c.add_argument("--out", help="write the differences as JSON and Markdown into this folder")
    c.add_argument("--fail-on-regression", action="store_true", help="exit 1 when the second report regressed against the first")
    return parser


def _config_from_args(args: argparse.Namespace):
    from .config import config_with_overrides, load_config

    config = load_config(args.config)

    def given(name: str):  # a subcommand without the option (redact has --config alone) gives None
        return getattr(args, name, None)

    annotator_columns = given("annotator_columns")
    engine = given("engine")
    # config key -> (the flag that sets it, its value; None: not given, the config's value stands)
    flags = {
        "task_type": ("--task-type", given("task_type")),
        "dataset_name": ("--dataset-name", given("dataset_name")),
        "fields.text": ("--text-field", given("text_field")),
        "fields.label": ("--label-field", given("label_field")),
        "fields.id": ("--id-field", given("id_field")),
        "fields.annotator": ("--annotator-field", given("annotator_field")),
        "fields.annotator_columns": ("--annotator-columns",
                                     [c.strip() for c in annotator_columns.split(",") if c.strip()] if annotator_columns else None),
        "fields.production_text": ("--production-text-field", given("production_text_field")),
        "agreement.level": ("--level", given("level")),
        "embeddings.model": ("--model", given("model")),
        "embeddings.device": ("--device", given("device")),
        "embeddings.cache_dir": ("--cache-dir", given("cache_dir")),
        "embeddings.cache": ("--no-cache", False if given("no_cache") else None),
        "tokens.target_model": ("--target-model", given("target_model")),
        "fields.question": ("--question", given("question")),
        "tokens.tokenizer": ("--tokenizer", given("tokenizer")),
        "engine.name": ("--ray-address" if given("ray_address") and not engine else "--engine",
                        engine or ("ray" if given("ray_address") else None)),
        # --engine local runs here even when the config names a cluster; with --ray-address too it is refused.
        "engine.address": ("--ray-address" if given("ray_address") else "--engine",
                           given("ray_address") or ("" if engine == "local" else None)),
    }
    overrides = {key: value for key, (_, value) in flags.items() if value is not None}
    return config_with_overrides(config, overrides, names={key: flag for key, (flag, _) in flags.items()})


def _refuse_outputs_over_inputs(args: argparse.Namespace) -> None:
    from .output_places import refuse_outputs_over_inputs

    refuse_outputs_over_inputs(args.out, {"--suspects": args.suspects, "--timings": args.timings},
                               data_inputs=[*(args.inputs or []), *(args.production or []), *(args.eval_path or [])],
                               other_inputs=[p for p in (args.prompt_log, args.config, args.history) if p])


def _audit_source(args: argparse.Namespace, config):
    """The files to audit, or a Label Studio project fetched from its server (a Dataset)."""
    if args.label_studio:
        if args.inputs:
            raise InputError("give either input files or --label-studio, not both")
        if args.project is None:
            raise InputError("--label-studio needs --project ID (the number in the project's URL)")
        from .api import fetch_label_studio

        return fetch_label_studio(args.label_studio, args.project, config, since_last=args.since_last, history=args.history)
    if args.project is not None or args.since_last:
        raise InputError(f"{'--project' if args.project is not None else '--since-last'} applies to a Label Studio project "
                         "only: add --label-studio URL, or leave it out when auditing files")
    if not args.inputs:
        raise InputError("no input files: name the training export (or use --label-studio URL --project ID)")
    return args.inputs


def _run_audit(args: argparse.Namespace) -> int:
    import time

    from .api import audit, write_reports, write_suspects, write_timings
    from .output_places import prepare_out_folder, refuse_unfit_output_file, remove_empty
    from .render.outputs import FILE_NAMES, LINE_FILES

    config = _config_from_args(args)
    if args.fail_on_regression and not args.history:
        # Without a history there is no previous run to regress from: the gate would silently pass every time.
        raise InputError("--fail-on-regression needs --history FILE (the runs to compare with); to compare two "
                         "report.json files use `dataaudit compare BEFORE AFTER --fail-on-regression`")
    formats = set(args.format)
    every_format = formats == set(FORMATS)  # the default (or "all"): without --out the files are not asked for
    unwritable = sorted(formats & {"md", "html"}) if not args.out and not every_format else []
    if unwritable:
        names = " and ".join(FILE_NAMES[f] for f in unwritable)
        raise InputError(f"--format {','.join(unwritable)} writes {names}, and there is no --out folder to write into; "
                         "add --out FOLDER (only json can be printed, to stdout)")
    if args.out and formats == {"terminal"}:  # write_reports has no file to write: it raised, a traceback
        raise InputError("--out FOLDER is where the report files go, and --format terminal asks for none; add json, md "
                         "or html to --format (--format terminal,json,md,html for all), or drop --out")
    _refuse_outputs_over_inputs(args)  # before the audit, and before --out is made
    refuse_unfit_output_file("--suspects", args.suspects)
    refuse_unfit_output_file("--timings", args.timings)
    made = prepare_out_folder(args.out, [*FILE_NAMES.values(), *LINE_FILES])  # before the audit, so a bad --out leaves no run in the history
    try:
        source = _audit_source(args, config)
        report = audit(source, config, production=args.production, eval_path=args.eval_path, prompt_log=args.prompt_log,
                       embed=not args.no_embeddings, progress=sys.stderr.isatty(), history=args.history,
                       fail_on_regression=args.fail_on_regression, history_unfinished=True)
    except BaseException:
        remove_empty(made)
        raise
    # The files first, then the terminal: a closed stdout (`| head -1`) or a broken terminal must not cost the reports.
    rendering: dict[str, float] = {}
    written: list[Path] = []
    try:
        if args.suspects:
            why_empty = write_suspects(report, args.suspects)
            if why_empty:
                print(f"dataaudit: note: {_shown(args.suspects)} has the header only: {_one_line(why_empty)}", file=sys.stderr)
        if args.out:
            start = time.perf_counter()
            written = write_reports(report, args.out, [f for f in FORMATS if f in formats and f != "terminal"])
            rendering["report files"] = time.perf_counter() - start
    except BaseException:
        if args.history and report.history_run_id is not None:
            from .history.store import forget_run

            forget_run(args.history, report.history_run_id)  # no run without its reports: the next compares with the last whole one
        remove_empty(made)  # a folder this run made and could not fill (a full disk, Ctrl-C) is not left behind
        raise
    json_to_stdout = not args.out and "json" in formats and not every_format
    # Whatever the formats (`--format json,md` in a crontab draws no summary): the log names what was written,
    # in the one form a script reads. JSON on stdout writes no file, so no line.
    reports_line = "reports: " + ", ".join(_shown(p) for p in written) + "\n" if written else ""
    args.writing_standard_streams = True  # from here an OSError is a stream failing, after the reports were written
    try:
        start = time.perf_counter()
        if "terminal" in formats:
            from .render.terminal import render_terminal

            render_terminal(report, _Console(stderr=json_to_stdout), files=written, out_given=bool(args.out))
            rendering["terminal"] = time.perf_counter() - start
        if json_to_stdout:
            from .render.json_report import render_json

            sys.stdout.write(render_json(report))
            sys.stdout.flush()
        if reports_line:
            # One line whatever the width (a console would wrap it): a script reads the paths from it.
            sys.stderr.write(reports_line)
            sys.stderr.flush()
            reports_line = ""
    except BrokenPipeError:
        # Nobody reads the rest (`| head -1`): the files are written, and the verdict's exit code stands.
        _closed_streams_to_devnull()
        if reports_line:  # stdout was the closed one: a script reading stderr still gets the paths
            try:
                sys.stderr.write(reports_line)
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
    args.writing_standard_streams = False
    if args.timings:
        write_timings(report, args.timings, rendering)
    _stop_if_told()
    if args.history and report.history_run_id is not None:
        from .history.store import confirm_run

        # Last: a run stopped anywhere before (SIGTERM while the summary is drawn, a failed --timings) stays
        # unfinished, no baseline, as its exit code says it did not finish. From here the run is done: a SIGTERM
        # waits for the exit, so a run confirmed in the history never exits 143.
        if getattr(args, "command_line", False):  # main() called in a process of someone else's keeps its signals
            _ignore_stop_signals()
        confirm_run(args.history, report.history_run_id)
    return report.exit_code


def _Console(stderr: bool = False):
    """A rich Console whose broken pipe is a BrokenPipeError: rich's own turns it into SystemExit(1), which is
    exit 1, "not ready", for the caller to finish with the verdict's exit code instead.

    COLUMNS (and LINES) are honoured even on a dumb terminal, where rich would fix the width at 80 (what a dumb
    terminal can draw is the renderer's to decide: render.terminal.ascii_only)."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError(32, "Broken pipe")

    columns, lines = os.environ.get("COLUMNS", ""), os.environ.get("LINES", "")
    size = {}
    if columns.isdigit() and int(columns) > 0:  # both, or rich's size ignores the width on a dumb terminal
        size = {"width": int(columns), "height": int(lines) if lines.isdigit() and int(lines) > 0 else 25}
    return PipeConsole(stderr=stderr, **size)


def _closed_streams_to_devnull() -> None:
    """The standard recipe (docs.python.org, library/signal, note on SIGPIPE): Python flushes stdout at exit,
    which would raise BrokenPipeError again; a closed stream (stdout always, in the recipe) goes to devnull."""
    devnull = os.open(os.devnull, os.O_WRONLY)

    def to_devnull(stream) -> None:
        try:
            os.dup2(devnull, stream.fileno())
        except (OSError, ValueError):
            pass

    to_devnull(sys.stdout)
    try:
        sys.stderr.flush()  # stderr may be the closed one (the summary goes there beside --format json)
    except (BrokenPipeError, ValueError):
        to_devnull(sys.stderr)
    except OSError:
        pass


def _run_init(args: argparse.Namespace) -> int:
    from .config import default_config_text
    from .fix.writers import copy_target
    from .io import refuse_special_file, write_atomic

    # `init conf/` (or an existing folder) writes conf/dataaudit.toml, as `redact --out clean/` writes inside clean
    path = Path(copy_target("dataaudit.toml", args.path))
    refuse_special_file(path)  # before "exists": --force would not make a device writable
    if path.suffix.lower() != ".toml":
        # The text is TOML: under x.json every editor and tool that goes by the name would read it as JSON.
        raise InputError(f"{_shown(path)}: not a .toml name, and the config written is TOML; name the file NAME.toml "
                         "(or a folder, which gets dataaudit.toml)")
    if path.exists() and not args.force:
        print(f"dataaudit: error: {_shown(path)} exists (use --force to overwrite)", file=sys.stderr)
        return EXIT_USAGE
    write_atomic(path, default_config_text())
    print(f"wrote {_shown(path)}")
    return 0


def _run_dedup(args: argparse.Namespace) -> int:
    from .api import dedup

    copies = dedup(args.input, args.out, _config_from_args(args), drop_conflicts=args.drop_conflicts, embed=not args.no_embeddings)
    for copy in copies:
        summary = copy.summary
        why = f": {summary.dropped - summary.invalid} as copies, {summary.invalid} unreadable" if summary.invalid else ""
        print(f"kept {summary.kept} of {summary.records} records in {_shown(copy.path)}; dropped {summary.dropped}{why} "
              f"(listed in {_shown(summary.sidecar)})")
    summaries = [copy.summary for copy in copies]
    conflicts_kept = summaries[0].run_conflicts_kept
    if conflicts_kept:
        groups, them = ("group", "it") if conflicts_kept == 1 else ("groups", "them")
        # Reworded copies with another label are counted here too, and --drop-conflicts drops only the audit's
        # conflicts, so it is offered as what it does, not as a way to settle every group counted.
        instead = "" if args.drop_conflicts else " (--drop-conflicts drops every record of the audit's conflicts instead)"
        print(f"{conflicts_kept} {groups} of copies with different labels kept the first record's label; their dropped "
              f"copies are listed with conflicting_labels; review {them}{instead}")
    contradictions_kept = summaries[0].run_contradictions_kept
    if contradictions_kept:
        groups, them = ("group", "it") if contradictions_kept == 1 else ("groups", "them")
        print(f"{contradictions_kept} contradicting preference {groups} (one prompt, opposite preferences) kept every "
              f"record; adjudicate {them}, or drop {them} with --drop-conflicts")
    return 0


def _run_redact(args: argparse.Namespace) -> int:
    from .fix.redact import redact
    from .fix.writers import copy_target

    target = copy_target(args.input, args.out)
    s = redact(args.input, target, _config_from_args(args))
    print(f"wrote {_shown(target)}: {s.replaced} value(s) replaced in {s.changed} of {s.rows} rows "
          f"(listed, masked, in {_shown(s.sidecar)})")
    return 0


HISTORY_NAMES_READ = 10_000  # runs read to name the datasets a history holds


def _run_history(args: argparse.Namespace) -> int:
    from .history.store import load_runs
    from .render.history import render_history

    runs = load_runs(args.db, args.dataset_name, args.limit)
    _render_to_stdout(lambda console: render_history(runs, args.db, console))
    if args.dataset_name and not runs:
        # An empty table alone reads as "no runs yet" to a script grepping the listing; name what the file holds.
        from .excerpt import plain_excerpt  # the names are data: masked and cut as the table shows them

        names = sorted({run["dataset"] for run in load_runs(args.db, None, HISTORY_NAMES_READ)})
        held = (f"the datasets it holds: {', '.join(plain_excerpt(name, 80) for name in names)}" if names
                else "it holds no finished run")
        _error_line(f"dataaudit: note: {_shown(args.db)} holds no finished run of dataset {_shown(args.dataset_name)}; {held}")
    return 0


def _run_compare(args: argparse.Namespace) -> int:
    from .api import COMPARISON_FILES, write_comparison
    from .history.compare import compare_reports, read_report
    from .output_places import prepare_out_folder, remove_empty
    from .render.compare import render_comparison_terminal

    made = prepare_out_folder(args.out, COMPARISON_FILES)
    try:
        result = compare_reports(read_report(args.before), read_report(args.after))
        if args.out:
            write_comparison(result, args.out)
    except BaseException:
        remove_empty(made)  # a failed compare leaves no empty folder of its own behind
        raise
    _render_to_stdout(lambda console: render_comparison_terminal(result, console))
    return EXIT_REGRESSED if args.fail_on_regression and result["regressions"] else 0


def _render_to_stdout(render) -> None:
    """Draw a command's table on the guarded console: stdout closed early (`| head -1`, `| true`) ends the drawing
    and leaves the command's exit code standing, where rich's own console would exit 1 (for compare, "regressed")."""
    try:
        render(_Console())
        sys.stdout.flush()
    except BrokenPipeError:
        _closed_streams_to_devnull()


def _quiet_libraries() -> None:
    # Cron logs get the report, not library chatter: offline hub, no tokenizer fork warnings, no progress bars.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    import logging

    # With an unwritable HOME, matplotlib says at every run that it made a temporary config folder; it works all the same.
    logging.getLogger("matplotlib").setLevel(logging.ERROR)
    if not sys.stderr.isatty():
        import warnings

        warnings.simplefilter("ignore")
    _say_input_warnings()


def _say_input_warnings() -> None:
    """dataaudit's own notes on the inputs (a file named twice, a glob's non-data matches) as one line on stderr,
    tty or not: `audit` puts them in its report; `dedup` and `redact` have only stderr to say them on."""
    import warnings

    from .errors import InputWarning

    warnings.simplefilter("always", InputWarning)
    if getattr(warnings.showwarning, "says_input_warnings", False):  # main() called again in one process
        return
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, InputWarning):
            print(f"dataaudit: note: {_one_line(message)}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    show.says_input_warnings = True
    warnings.showwarning = show


def _usable_streams() -> None:
    """A cron line with `2>&-` or `>&-` starts Python with that stream None; every print would raise, and before
    main's handlers run, as exit 1 ("not ready"). A closed stream goes to devnull. A locale that cannot encode
    the data (LC_ALL=C without UTF-8 mode, PYTHONIOENCODING=ascii) shows what it cannot encode as escapes
    instead of failing after the reports are written."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))
        elif hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


# A SIGTERM seen by _terminate: its Terminated can be swallowed where it lands (a matplotlib callback ignores it,
# or turns it into "ValueError: Invalid bounding box"), so the run asks here whether it was told to stop.
_TERMINATED_SEEN: list[bool] = []


def _terminate(signum, frame) -> None:
    _TERMINATED_SEEN.append(True)
    raise Terminated()


def _quiet_swallowed_stops(unraisable) -> None:
    """sys.unraisablehook: a Terminated raised in a callback that could not raise it (a weakref's) is a stop
    _terminate recorded, not a traceback to print; anything else (a Ctrl-C, which nothing records) goes to
    Python's own hook."""
    if not isinstance(unraisable.exc_value, Terminated):
        sys.__unraisablehook__(unraisable)


def _stop_if_told() -> None:
    """Raise the SIGTERM a library swallowed, before the run is confirmed as finished."""
    if _TERMINATED_SEEN:
        raise Terminated()


def main(argv: list[str] | None = None) -> int:
    # First of all: Ctrl-C or a SIGTERM in the first half second (while the checks are imported) is the same one
    # line and exit code as later, not a traceback of whatever import it landed in.
    import signal

    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread (main() called from a worker thread): SIGTERM keeps its handler
        previous = None
    _TERMINATED_SEEN.clear()
    unraisable_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_swallowed_stops
    try:
        return _stopped_as_said(lambda: _parsed_and_run(argv))
    finally:
        sys.unraisablehook = unraisable_hook
        if argv is None:
            # The command line's exit code is decided (reports written, the run confirmed): a signal now would
            # only turn it into 143 or a traceback while the interpreter shuts down, so it waits for the exit.
            _ignore_stop_signals()
        elif previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _parsed_and_run(argv: list[str] | None) -> int:
    _usable_streams()
    args = build_parser().parse_args(argv)
    args.command_line = argv is None
    if argv is None and args.command == "audit":  # the command line: a Ray driver runs in a child (see engine/driver.py)
        from .engine.driver import run_audit_command

        return run_audit_command(args, _main, lambda: _config_from_args(args))
    return _main(args)


def _stopped_as_said(run) -> int:
    """run(), with Ctrl-C and SIGTERM that reach here (outside a command's own handling) said in their one line."""
    try:
        return run()
    except (KeyboardInterrupt, Terminated) as exc:
        return _stop_said(type(exc))
    except Exception as exc:
        stopped_by = _interrupted(exc)
        if stopped_by is None:
            raise
        return _stop_said(stopped_by)


def _stop_said(stopped_by: type) -> int:
    """The one line and the exit code of a run Ctrl-C (KeyboardInterrupt) or SIGTERM (Terminated) stopped."""
    if stopped_by is KeyboardInterrupt:
        _error_line("dataaudit: interrupted")
        return EXIT_INTERRUPTED
    _error_line("dataaudit: terminated")
    return EXIT_TERMINATED


def _ignore_stop_signals() -> None:
    import signal

    try:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        pass


def _main(args: argparse.Namespace) -> int:
    _quiet_libraries()
    handlers = {"audit": _run_audit, "init": _run_init, "dedup": _run_dedup, "redact": _run_redact, "history": _run_history, "compare": _run_compare}
    from .errors import INTERFACE

    said_as_cli = INTERFACE.set("cli")  # messages name flags, not API parameters
    try:
        return _handled(handlers[args.command], args)
    finally:
        INTERFACE.reset(said_as_cli)


# Options naming a path, each with what it names: "" (an unset variable in `--out "$OUT"`) was read as no option
# (nothing written, no run recorded: exit 1 as if all went well) or, for --config, as the current folder.
_PATH_OPTIONS = {"out": ("--out", "a folder or a file"), "history": ("--history", "a history file"),
                 "config": ("--config", "a config file"), "suspects": ("--suspects", "a CSV file"),
                 "timings": ("--timings", "a JSON file")}


# Positional paths, by command: an empty one ("$DATA" unset) would otherwise be read as the current folder.
_PATH_ARGUMENTS = {"init": [("path", "the config file to write")], "dedup": [("input", "an input file, folder or glob")],
                   "redact": [("input", "the file to redact")], "history": [("db", "a history file")],
                   "compare": [("before", "a report.json"), ("after", "a report.json")]}


# Options naming a field, each with what the field holds: "" was taken as the default (--text-field: detect it)
# or as a field no record has (--label-field: "60 x : missing", blaming the data for the setting).
_FIELD_OPTIONS = {"text_field": ("--text-field", "the input text"), "label_field": ("--label-field", "the label"),
                  "id_field": ("--id-field", "the item id"), "annotator_field": ("--annotator-field", "the annotator"),
                  "annotator_columns": ("--annotator-columns", "each annotator's label"),
                  "production_text_field": ("--production-text-field", "the production text"),
                  "question": ("--question", "the annotation question's name")}


def _refuse_empty_field_names(args: argparse.Namespace) -> None:
    for name, (flag, holds) in _FIELD_OPTIONS.items():
        value = getattr(args, name, None)
        if value is not None and not value.replace(",", "").strip():
            raise InputError(f'{flag} is "{value}", which names no field (an unset variable?); name the field that holds '
                             f"{holds}, or leave {flag} out for the default")


def _refuse_empty_ray_address(args: argparse.Namespace) -> None:
    """`--ray-address "$RAY_HEAD"` with the variable unset ran the local engine: "" read as no address given."""
    if getattr(args, "ray_address", None) == "":
        raise InputError('--ray-address is "", which names no Ray cluster (an unset variable?); name one as HOST:PORT, '
                         "ray://HOST:10001 or auto, or leave --ray-address out")


def _refuse_empty_option_paths(args: argparse.Namespace) -> None:
    for name, (flag, names) in {**_PATH_OPTIONS, "cache_dir": ("--cache-dir", "a cache folder"),
                                "label_studio": ("--label-studio", "the Label Studio server's URL")}.items():
        if getattr(args, name, None) == "":
            raise InputError(f'the path is empty: {flag} is "" (an unset variable?); name {names}, or leave {flag} out')
    for name, names in _PATH_ARGUMENTS.get(args.command, []):
        value = getattr(args, name, None)
        if value == "" or (isinstance(value, list) and "" in value):
            raise InputError(f'the path is empty: {args.command}\'s {name.upper()} is "" (an unset variable?); name {names}')


def _interrupted(exc: BaseException) -> type[BaseException] | None:
    """KeyboardInterrupt or Terminated where one is behind exc: Ctrl-C (or a SIGTERM) while a C extension
    initialises (scipy) surfaces as `ImportError: initialization failed` raised while the signal was handled,
    and is still the user's Ctrl-C or the runner's stop."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (KeyboardInterrupt, Terminated)):
            return type(exc)
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return Terminated if _TERMINATED_SEEN else None  # a SIGTERM a library turned into another error on its way


def _handled(handler, args: argparse.Namespace) -> int:
    try:
        _refuse_empty_option_paths(args)
        _refuse_empty_field_names(args)
        _refuse_empty_ray_address(args)
        return handler(args)
    except (KeyboardInterrupt, Terminated) as exc:
        return _stop_said(type(exc))
    except Exception as exc:
        return _failed(exc, args)


def _failed(exc: Exception, args: argparse.Namespace) -> int:
    """The exit code and the line on stderr for an exception that ended a command."""
    signal_behind = _interrupted(exc)  # whatever Ctrl-C or SIGTERM turned into on its way up: 130 or 143, never 2
    if signal_behind is not None:
        return _stop_said(signal_behind)
    if isinstance(exc, DataAuditError):
        _error_line(f"dataaudit: error: {_one_line(exc, _given_paths(args, exc))}")
        return EXIT_USAGE
    if isinstance(exc, OSError):
        return _failed_os(exc, args)
    # A bug in dataaudit: show it, but never as exit 1, which means "not ready".
    import traceback

    _error_line("".join(traceback.format_exception(exc)).rstrip("\n"))
    _error_line("dataaudit: internal error (a bug in dataaudit, not in your data): please report it with the traceback above")
    return EXIT_USAGE


def _failed_os(exc: OSError, args: argparse.Namespace) -> int:
    """An OSError that escaped: one that names a file is about that file (a cache folder another user owns);
    one that names none is the standard output failing (`> /dev/full`, a disk filling under a redirected log)
    where the command writes it. Only `audit` knows when that began: after its reports were written."""
    if exc.filename is not None:
        _error_line(f"dataaudit: error: {_shown(exc.filename)}: {exc.strerror or _one_line(exc, _given_paths(args, exc))}; check that this user can "
                    "read and write it and that its disk has room, or point the setting that names it elsewhere")
        return EXIT_USAGE
    if args.command == "audit" and not getattr(args, "writing_standard_streams", False):
        _error_line(f"dataaudit: error: {_one_line(exc, _given_paths(args, exc))}")
        return EXIT_USAGE
    _closed_streams_to_devnull()
    written = "; the reports in --out were written first and are complete" if getattr(args, "out", None) and args.command == "audit" else ""
    _error_line(f"dataaudit: error: cannot write to standard output ({exc.strerror or exc}){written}")
    return EXIT_USAGE


def _error_line(line: str) -> None:
    """Say an error on stderr where stderr can still take it: a stderr that fails too (`2>/dev/full`, a closed
    pipe) must not turn the error's exit code into the interpreter's 1, which means "not ready"."""
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        # What stays in its buffer goes to devnull, not to a failing flush at exit; stdout is left as it is.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stderr.fileno())
            os.close(devnull)
        except (OSError, ValueError, AttributeError):
            pass


# Line breaks and tabs in a path, as escapes: shown as spaces (as a message's own line breaks are) they read as
# another name, and the user must find the file.
_PATH_BREAKS = str.maketrans({"\n": "\\n", "\t": "\\t", "\r": "\\r"})


def _shown(path: object) -> str:
    """A path printed for the user: as given (they must find the file), but its control characters as escapes,
    so a file name cannot colour or rewrite the terminal."""
    from .excerpt import visible_controls

    return visible_controls(str(path).translate(_PATH_BREAKS))


def _one_line(exc: object, paths: tuple[str, ...] = ()) -> str:
    # Messages quote the data (field names, ids, labels): its control characters are shown as escapes, so an
    # error line can never colour, retitle or hyperlink the terminal it is printed on. The paths given (as the
    # message may quote them) keep their line breaks and tabs as escapes; the message's own become spaces.
    from .excerpt import visible_controls

    text = str(exc)
    for path in sorted({p for p in paths if p and p != p.translate(_PATH_BREAKS)}, key=len, reverse=True):
        text = text.replace(path, path.translate(_PATH_BREAKS))
    return " ".join(visible_controls(text).split()) or type(exc).__name__


def _given_paths(args: argparse.Namespace, exc: BaseException | None = None) -> tuple[str, ...]:
    """Every path the command was given, as given and as a Path writes it, and those an OSError names."""
    given: list[str] = []
    for name in ("inputs", "input", "production", "eval_path", "out", "history", "config", "suspects", "timings", "prompt_log",
                 "cache_dir", "model", "tokenizer", "db", "before", "after", "path"):
        value = getattr(args, name, None)
        given += [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    given += [str(f) for f in (getattr(exc, "filename", None), getattr(exc, "filename2", None)) if f is not None]
    return tuple(dict.fromkeys([*given, *(str(Path(p)) for p in given if p)]))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
