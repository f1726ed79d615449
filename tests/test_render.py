"""Renderers only render: structure, escaping of untrusted dataset text, and the HTML page in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import pytest
from rich.console import Console

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.render.html import render_html
from dataaudit.render.markdown import render_markdown
from dataaudit.render.terminal import render_terminal
from tests.conftest import SAMPLE, write_jsonl

HOSTILE = '<script>alert("x")</script></table><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def sample_report(embedder):
    return audit(SAMPLE / "support_tickets.jsonl", Config(), production=SAMPLE / "production.jsonl",
                 eval_path=SAMPLE / "support_eval.jsonl", embedder=embedder)


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    rows = [{"text": HOSTILE, "label": "</td><b>label</b>"}, {"text": HOSTILE, "label": "[bold red]markup[/]"}, '{"broken": ']
    annotations = [{"text": f"item {i}", "annotations": [{"annotator": "<i>evil</i>", "label": "a"}, {"annotator": "b&c", "label": "a" if i % 2 else "b"}]}
                   for i in range(6)]
    return audit(write_jsonl(folder / "hostile.jsonl", rows + annotations), Config(), embed=False)


def test_html_has_every_section_and_references_nothing_outside(sample_report):
    page = render_html(sample_report)
    for section in ("verdict", "actions", "format", "size", "duplicates", "coverage", "inputs"):
        assert f"id='{section}'" in page
    assert page.count("<svg") >= 4  # token lengths, labels, duplicate groups, coverage map
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", page)
    assert "url(http" not in page and "<!DOCTYPE svg" not in page
    assert sample_report.verdict.sentence.split(":")[0] in page
    assert len(page.encode()) < 3_000_000


def test_html_actions_show_commands_as_code_never_as_markup(tmp_path):
    from dataaudit.render.html import action_item

    action = "Revoke them (`dataaudit redact 'a <b>.jsonl' --out CLEAN`): a.jsonl line 3."
    assert action_item(action, ["a <b>.jsonl"]) == ("Revoke them (<code>dataaudit redact &#x27;a &lt;b&gt;.jsonl&#x27; --out CLEAN</code>): "
                                                   "a.jsonl line 3.")
    # a command naming a file that is none of the audit's inputs is not one dataaudit wrote
    assert action_item(action, ["a.jsonl"]) == "Revoke them (`dataaudit redact &#x27;a &lt;b&gt;.jsonl&#x27; --out CLEAN`): a.jsonl line 3."
    assert action_item("a ` stray backtick") == "a ` stray backtick"


def test_html_and_markdown_take_the_same_spans_of_an_action_for_commands():
    # HTML made code of any backtick span and ended a command at a backtick inside a shell-quoted path; report.md
    # took only `dataaudit ...` spans, quote-aware. One rule now, and dataset text stays escaped in both.
    from dataaudit.render.html import action_item
    from dataaudit.render.markdown import action_line

    action = "Redact (`dataaudit redact 'a`b <i>.jsonl' --out CLEAN`) near `<script>` and `code`."
    assert action_item(action, ["a`b <i>.jsonl"]) == (
        "Redact (<code>dataaudit redact &#x27;a`b &lt;i&gt;.jsonl&#x27; --out CLEAN</code>) near `&lt;script&gt;` and `code`.")
    # inside a Markdown code span nothing is markup: the path is shown as typed
    assert action_line(action, paths=["a`b <i>.jsonl"]) == (
        "Redact (``dataaudit redact 'a`b <i>.jsonl' --out CLEAN``) near \\`&lt;script&gt;\\` and \\`code\\`.")
    unclosed = "a `dataaudit never closed <b>"
    assert action_item(unclosed) == "a `dataaudit never closed &lt;b&gt;"


def test_hostile_dataset_strings_are_escaped_everywhere(hostile_report):
    page = render_html(hostile_report)
    assert "<script>" not in page and "onerror=alert(1)>" not in page and "<i>evil</i>" not in page
    assert "&lt;script&gt;" in page and "&lt;i&gt;evil&lt;/i&gt;" in page
    markdown = render_markdown(hostile_report)
    assert "<script>" not in markdown and "</table>" not in markdown and "<i>evil</i>" not in markdown
    console = Console(record=True, width=200)
    render_terminal(hostile_report, console)
    assert "[bold red]markup[/]" in console.export_text()


def test_markdown_and_terminal_lead_with_the_verdict(sample_report):
    markdown = render_markdown(sample_report)
    assert markdown.splitlines()[2].startswith("**❌ not ready** — Not ready:")
    console = Console(record=True, width=120)
    render_terminal(sample_report, console)
    text = console.export_text()
    assert "NOT READY" in text and "hygiene" in text and "next actions" in text


def test_html_numbers_and_short_words_never_wrap_mid_word(sample_report):
    # Cells may break anywhere (a long token must not widen the table); a number split over two lines misreads.
    page = render_html(sample_report)
    assert "<td class='nowrap'>38</td>" in page  # the sample's malformed line 38, in the format errors table
    assert "<td class='nowrap'>exact</td>" in page  # the eval leakage table's kind
    assert re.search(r"td\.nowrap \{[^}]*white-space: ?nowrap", page) and re.search(r"\bth \{[^}]*overflow-wrap: ?normal", page)
    assert "<td class='nowrap'>sample_data" not in page  # long paths may still break
    # a field name or path breaks after its separators first ("messages[0].conte" over "nt" read as two words)
    assert "<td>messages[0]<wbr>.<wbr>content</td>" in page
    assert re.search(r"<td>(?:[^<\s]|<wbr>)*/<wbr>support_<wbr>tickets\.<wbr>jsonl</td>", page)  # the input's path


def test_html_is_deterministic(sample_report):
    assert render_html(sample_report) == render_html(sample_report)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("Chromium is not installed and could not be installed here (.ci/run installs Debian's chromium where apt works)")


def test_report_renders_in_headless_chromium(sample_report, tmp_path):
    from dataaudit.render.outputs import write_reports

    browser = _chromium()
    (page,) = write_reports(sample_report, tmp_path, ["html"])
    flags = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
             "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "shot.png"
    result = subprocess.run(flags + ["--window-size=1100,1600", f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert shot.exists(), result.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.std() > 0.05  # not a blank page
    console_errors = [line for line in result.stderr.splitlines() if "CONSOLE" in line and "ERROR" in line.upper()]
    assert console_errors == []
    dom = subprocess.run(flags + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert "id=\"verdict-sentence\"" in dom and "Not ready:" in dom
    narrow = tmp_path / "narrow.png"
    subprocess.run(flags + ["--window-size=390,844", f"--screenshot={narrow}", page.as_uri()], capture_output=True, timeout=120)
    assert matplotlib.image.imread(narrow).std() > 0.05
    pdf = tmp_path / "report.pdf"
    subprocess.run(flags + ["--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()], capture_output=True, timeout=120)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 20_000


def test_coverage_map_labels_of_nearby_scenarios_do_not_overlap():
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    from dataaudit.render import plots

    figure, axis = plt.subplots(figsize=(7, 5))
    axis.scatter([0, 1], [0, 1])
    labels = [("billing / refund / late", [0.5, 0.5]), ("billing / refund / early", [0.5, 0.5]), ("card / lost", [0.51, 0.5])]
    plots._place_labels(figure, axis, labels)
    figure.canvas.draw()  # measured where they are drawn, not where the placing step thought they were
    renderer = figure.canvas.get_renderer()
    boxes = [Text.get_window_extent(note, renderer) for note in axis.texts]
    plt.close(figure)
    assert len(boxes) == 3
    assert not any(boxes[i].overlaps(boxes[j]) for i in range(3) for j in range(i + 1, 3))


HOSTILE_FILE = "<i>[a](j:x)|*b*\x1b[31m.jsonl"  # an HTML tag, a link, a pipe, emphasis, an escape sequence


def _rated_items(prefix: str, agreeing: int, items: int = 8) -> list[dict]:
    """Items rated by two annotators, who agree on the first `agreeing` of them; labels alternate a/b."""
    rows = []
    for i in range(items):
        label = "a" if i % 2 else "b"
        other = label if i < agreeing else ("b" if label == "a" else "a")
        rows.append({"text": f"{prefix} item {i}", "annotations": [{"annotator": "x", "label": label}, {"annotator": "y", "label": other}]})
    return rows


@pytest.fixture(scope="module")
def batches_report(tmp_path_factory):
    """Three batches: full agreement, mostly agreeing, and a bad one (a hostile name) that repeats a first-batch item."""
    folder = tmp_path_factory.mktemp("batches")
    good = write_jsonl(folder / "batch1.jsonl", _rated_items("good", 8))
    fair = write_jsonl(folder / "batch2.jsonl", _rated_items("fair", 7))
    bad = write_jsonl(folder / HOSTILE_FILE, _rated_items("bad", 4) + [_rated_items("good", 8)[0]])
    return audit([good, fair, bad], Config(), embed=False)


def test_per_file_measures_grade_each_alpha_and_mark_the_lowest(batches_report):
    good, fair, bad = batches_report.to_dict()["per_file"]
    assert good["krippendorff_alpha"] == 1.0 and good["alpha_grade"] == "reliable" and not good["lowest_alpha"]
    assert bad["krippendorff_alpha"] < fair["krippendorff_alpha"] < 0.8
    assert bad["lowest_alpha"] and not fair["lowest_alpha"] and bad["alpha_grade"] == "unreliable"
    assert bad["cross_batch_duplicates"] == 1 and bad["valid"] == 9


def _per_file_figures(report) -> list[str]:
    """Each file's alpha, duplicate share and largest label share as the reports print them."""
    figures = []
    for f in report.per_file:
        figures += [f"{f.krippendorff_alpha:.3f}", f"{f.duplicate_share:.1%}", f"{max(f.label_shares.values()):.0%}"]
    return figures


def test_terminal_shows_the_per_file_table_within_80_columns(batches_report):
    console = Console(record=True, width=80)
    render_terminal(batches_report, console)
    shown = console.export_text()
    assert "per_file" in shown and "batch1.jsonl" in shown and "batch2.jsonl" in shown
    assert all(figure in shown for figure in _per_file_figures(batches_report))
    assert "LOWEST" in shown and "earlier" in shown and "1.000" in shown
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "\x1b" not in shown and "\\x1b[31m" in shown  # the file name's escape sequence is shown, not obeyed


def test_markdown_and_html_show_the_per_file_table_and_escape_file_names(batches_report):
    markdown = render_markdown(batches_report)
    section = markdown.split("## Per file")[1].split("\n## ")[0]
    assert all(figure in section for figure in _per_file_figures(batches_report))
    lowest_row = next(line for line in section.splitlines() if "LOWEST" in line)
    assert r"| &lt;i&gt;\[a\](j:x)\|\*b\*\\x1b\[31m.jsonl |" in lowest_row  # HTML escaped, Markdown neutralised
    assert "1 from earlier files" in lowest_row and "<i>" not in markdown and "\x1b" not in markdown
    assert "[a](" not in markdown  # no link a renderer would follow
    page = render_html(batches_report)
    section = page.split("<section id='per_file'>")[1].split("</section>")[0]
    assert all(figure in section for figure in _per_file_figures(batches_report))
    assert "<i>" not in page and "\x1b" not in page and "&lt;i&gt;[a](j:x)|*b*\\x1b[31m.jsonl" in section
    assert "(unreliable, LOWEST)" in section


def test_a_one_file_report_has_no_per_file_section(hostile_report):
    console = Console(record=True, width=120)
    render_terminal(hostile_report, console)
    assert "per_file" not in console.export_text()
    assert "## Per file" not in render_markdown(hostile_report) and "id='per_file'" not in render_html(hostile_report)


def test_file_names_lose_only_the_folders_they_share():
    from dataaudit.render.sections.base import text
    from dataaudit.render.sections.per_file import short_names

    assert short_names(["/data/x/b1.jsonl", "/data/x/b2.jsonl"]) == ["b1.jsonl", "b2.jsonl"]
    assert short_names(["/data/a/data.jsonl", "/data/b/data.jsonl"]) == ["a/data.jsonl", "b/data.jsonl"]
    assert short_names(["b1.jsonl", "sub/b2.jsonl"]) == ["b1.jsonl", "sub/b2.jsonl"]
    assert text("exports_2024_annotation_batch_17.jsonl", 20, keep_end=True) == "…tion_batch_17.jsonl"  # the end tells batches apart


def test_machine_outputs_keep_file_paths_exactly_as_given(tmp_path):
    """report.json and the per-line files name the user's own files: an e-mail-like folder, a newline or an RTL
    override in a file name stay as given (scripts and `dataaudit dedup` open them); dataset text stays masked."""
    import json
    import os

    from dataaudit.cli import main
    from dataaudit.render.json_report import _safe

    folder = tmp_path / "exports" / "dana.k@acme.com"
    folder.mkdir(parents=True)
    rows = [{"text": f"query number {i} about topic {i % 5}", "label": f"l{i % 5}"} for i in range(30)]
    paths = [folder / "batch.jsonl", tmp_path / "exports" / "new\nline.jsonl", tmp_path / "exports" / "\u202eevil.jsonl"]
    write_jsonl(paths[0], rows + [{"text": "write to carol.w@example.org please", "label": "l1"}])
    write_jsonl(paths[1], rows[:10])
    write_jsonl(paths[2], rows[:10])
    out = tmp_path / "out"
    main(["audit", *map(str, paths), "--no-embeddings", "--format", "json", "--out", str(out)])
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    given = {str(p) for p in paths}
    assert {i["path"] for i in report["inputs"]} == given
    assert all(os.path.exists(i["path"]) for i in report["inputs"])
    groups = [json.loads(line) for line in (out / "duplicates.jsonl").read_text(encoding="utf-8").splitlines()]
    named = {f for g in groups for f in g["files"]} | {g["keep"]["file"] for g in groups if "keep" in g}
    assert named and named <= given and str(paths[0]) in named
    # coverage.jsonl's lines (they need embeddings to be measured), as line_files renders them
    line = _safe({"file": str(paths[1]), "nearest": {"file": str(paths[2]), "label": "dana.k@acme.com"}}, {}, given)
    assert line == {"file": str(paths[1]), "nearest": {"file": str(paths[2]), "label": line["nearest"]["label"]}}
    assert "dana.k@acme.com" not in line["nearest"]["label"]
    text = (out / "report.json").read_text(encoding="utf-8")
    assert "carol.w@example.org" not in text


def test_every_result_field_named_like_a_path_is_written_as_given():
    import dataclasses
    import importlib
    import pkgutil

    import dataaudit.checks
    from dataaudit.render.json_report import PATH_KEYS

    named = set()
    for info in pkgutil.iter_modules(dataaudit.checks.__path__):
        module = importlib.import_module(f"dataaudit.checks.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, type) and dataclasses.is_dataclass(obj) and obj.__module__ == module.__name__:
                named |= {f.name for f in dataclasses.fields(obj)
                          if re.fullmatch(r"(\w+_)?(file|files|path)", f.name) and "str" in str(f.type)}
    assert named and named <= PATH_KEYS, named - PATH_KEYS


def test_a_capped_table_says_how_many_exist_and_only_where_its_section_says_all_are():
    from dataaudit.render import html as html_render
    from dataaudit.render.markdown import _section_table
    from dataaudit.render.sections import Table

    rows = [["a.jsonl", i, "x"] for i in range(100)]
    told = Table("Suspected wrong labels (170)", ["file", "line", "label"], rows, total=170, full_list="--suspects FILE.csv writes all")
    silent = Table("Findings (170)", ["file", "line", "label"], rows, total=170)
    md = "\n".join(_section_table(told))
    assert "first 100 of 170 listed; --suspects FILE.csv writes all" in md and "report.json" not in md
    md = "\n".join(_section_table(silent))
    assert "first 100 of 170 listed" in md and "report.json" not in md and "per-line" not in md
    page = html_render._table(told.headers, told.rows, told)  # 100 rows, under the HTML cap: the note still shows
    assert page.count("<tr>") == 101 and "first 100 of 170 listed; --suspects FILE.csv writes all" in page
    many = Table("Duplicate groups (1177)", ["file", "line", "label"], rows * 3, total=1177, full_list="all are in duplicates.jsonl")
    page = html_render._table(many.headers, many.rows, many)
    assert page.count("<tr>") == html_render.MAX_ROWS + 1 and f"first {html_render.MAX_ROWS} of 1177 listed; 100 more are in report.json; all are in duplicates.jsonl" in page
    full = Table("Label counts (3)", ["label"], [["a"], ["b"], ["c"]])
    assert "listed" not in "\n".join(_section_table(full)) and "listed" not in html_render._table(full.headers, full.rows, full)



def test_a_dollar_in_dataset_text_is_drawn_as_typed_not_as_math():
    from dataaudit.render import plots

    name = "price $5 to $10"
    svgs = [plots.label_distribution({name: 3, "other": 2}, [name]),
            plots.agreement_heatmap({name: {name: 1.0, "b": 0.5}, "b": {name: 0.5, "b": 1.0}}),
            plots.annotator_bars([name, "b"], [0.9, 0.4], [False, True]),
            plots.coverage_map([[0, 0], [1, 1]], [[0.5, 0.5], [2, 2]], [False, True], [(name, [2, 2])])]
    for svg in svgs:  # one <text> as typed; math would be one <tspan> per glyph (the SVG comment keeps the source)
        assert re.search(r">price \$5 to \$10</text>", svg), svg[svg.find("price") - 200:svg.find("price") + 400]


def test_printing_the_html_report_shows_the_collapsed_tables(hostile_report, tmp_path):
    import html as html_module

    browser = _chromium()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    page = render_html(hostile_report)
    closed = re.findall(r"<details><summary>(.*?)</summary>(.*?)</details>", page, re.S)
    assert closed  # the effective configuration at least
    path = tmp_path / "report.html"
    path.write_text(page, encoding="utf-8")
    pdf = tmp_path / "report.pdf"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", path.as_uri()], capture_output=True, timeout=120)
    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "Effective configuration" in printed
    # a line from inside the closed configuration <details>: printed with it, not only its heading
    config_body = html_module.unescape(re.sub(r"<[^>]+>", "", dict(closed)["Effective configuration"]))
    deep = [line.strip() for line in config_body.splitlines() if line.strip().startswith('"') and line.strip().endswith(",")]
    assert deep and all(line in printed for line in deep[-3:]), printed[-1500:]


def test_report_json_masks_data_keyed_dicts_whose_keys_look_like_path_keys(tmp_path):
    """An annotator literally named "file" keys its label in checks.agreement.disputed[].labels: that label is
    dataset text, masked and control-free, not a path written as given."""
    import json

    from dataaudit.cli import main

    rows = [{"text": f"item {i} about topic {i % 3}", "annotations": [
        {"annotator": "file", "label": "bob@evil-label.com\x1b[31m" if i % 2 else "a"},
        {"annotator": "path", "label": "a"}, {"annotator": "carol", "label": "a"}]} for i in range(12)]
    out = tmp_path / "out"
    main(["audit", str(write_jsonl(tmp_path / "annotated.jsonl", rows)), "--no-embeddings", "--format", "json", "--out", str(out)])
    text = (out / "report.json").read_text(encoding="utf-8")
    assert "bob@evil-label.com" not in text and "\x1b" not in text and "\\u001b" not in text
    disputed = json.loads(text)["checks"]["agreement"]["disputed"]
    assert disputed and disputed[0]["labels"]["file"] == "<EMAIL ….com #a97a>\\x1b[31m"


def test_json_outputs_write_control_characters_in_paths_as_escapes_that_decode_to_the_path(tmp_path):
    from dataaudit.render.json_report import dumps

    path = str(tmp_path / "a\u202eb\x85c\x1bd.jsonl")
    written = dumps({"path": path})
    assert written == '{"path": "' + str(tmp_path) + '/a\\u202eb\\u0085c\\u001bd.jsonl"}'
    assert json.loads(written)["path"] == path


def test_html_effective_configuration_is_the_masked_configuration_report_json_writes(tmp_path):
    import html as html_module
    import json

    from dataaudit.config import config_from_dict
    from dataaudit.render.json_report import report_json

    rows = [{"text": f"query number {i} about topic {i % 5}", "label": f"l{i % 5}"} for i in range(30)]
    config = config_from_dict({"dataset_name": "team alice.smith@example.com 4111 1111 1111 1111"})
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config, embed=False)
    page = render_html(report)
    start = page.index("Effective configuration")
    shown = json.loads(html_module.unescape(page[page.index("<pre>", start) + 5:page.index("</pre>", start)]))
    assert shown == report_json(report)["config"]
    assert shown["dataset_name"] == "team <EMAIL ….com #7dcd> <CREDIT_CARD …1111>"
    assert "alice.smith" not in page and "4111 1111" not in page


def test_terminal_summary_masks_the_dataset_name_and_a_hostile_key_in_the_next_actions(tmp_path):
    from dataaudit.config import config_from_dict

    rows = [{"text": f"query number {i} about topic {i % 5}", "label": f"l{i % 5}"} for i in range(30)]
    rows.append({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "x", "bob.jones@example.org\x1b[31m": "k"}]})
    config = config_from_dict({"dataset_name": "team alice.smith@example.com 4111 1111 1111 1111"})
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), config, embed=False)
    console = Console(width=400, record=True, color_system=None)
    render_terminal(report, console)
    shown = console.export_text()
    assert shown.splitlines()[0] == "dataaudit team <EMAIL ….com #7dcd> <CREDIT_CARD …1111>  (31 records)"
    assert "bob.jones" not in shown and "alice.smith" not in shown and "4111 1111" not in shown and "\x1b" not in shown
    actions = shown[shown.index("next actions"):]
    assert "<EMAIL ….org #030b>\\x1b[31m" in actions


def test_report_md_shows_math_and_mentions_from_the_dataset_as_typed_in_cmark_gfm(tmp_path):
    cmarkgfm = pytest.importorskip("cmarkgfm")
    label = "$\\color{red}{READY}$ @octocat"
    rows = [{"text": f"query number {i} about topic {i % 5}", "label": label if i % 5 == 0 else f"l{i % 5}"} for i in range(30)]
    md = render_markdown(audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(), embed=False))
    assert "\\$\\\\color\\{red\\}\\{READY\\}\\$ \\@\u2060octocat" in md and not re.search(r"@octocat", md)
    shown = html_module_text(cmarkgfm.github_flavored_markdown_to_html(md))
    assert label in shown.replace("\u2060", "") and "\\$" not in shown and "\\@" not in shown


def html_module_text(rendered: str) -> str:
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", rendered))


def test_a_check_result_shown_in_a_notebook_does_not_print_a_value_per_line(sample_report):
    """Plot and per-line data (metadata json False) stay out of repr: 180 production lines gave a 46 KB repr."""
    import dataclasses

    report = sample_report
    for name, result in report.checks.items():
        if not dataclasses.is_dataclass(result):
            continue
        hidden = [f.name for f in dataclasses.fields(result) if f.metadata.get("json") is False]
        assert not any(f"{field}=" in repr(result) for field in hidden), name
    assert "map_points=" not in repr(report.checks["coverage"]) and "line_verdicts=" not in repr(report.checks["coverage"])


def test_every_output_says_the_reports_warnings_html_too(tmp_path):
    """A per-file table left out (items rated across files) said why in the terminal and report.md only, so the
    HTML reader saw a table missing and nothing else."""
    import dataclasses

    report = audit(write_jsonl(tmp_path / "d.jsonl", [{"text": f"query {i}", "label": "ab"[i % 2]} for i in range(40)]),
                   Config(task_type="format"), embed=False)
    report = dataclasses.replace(report, warnings=["no per-file breakdown: items are rated across files <b>x</b>",
                                                   "mail alice.smith@example.com"])
    page = render_html(report)
    assert "<h2>Warnings (2)</h2>" in page
    assert "no per-file breakdown: items are rated across files &lt;b&gt;x&lt;/b&gt;" in page  # escaped
    assert "alice.smith" not in page and "&lt;EMAIL ….com #7dcd&gt;" in page  # masked like any excerpt
    console = Console(record=True, width=200)
    render_terminal(report, console)
    for output in (render_markdown(report), console.export_text()):
        assert "no per-file breakdown" in output and "alice.smith" not in output


def test_the_near_duplicate_rule_named_is_the_one_that_ran(sample_report, tmp_path):
    without = audit(SAMPLE / "support_tickets.jsonl", Config(), embed=False)
    shown = {name: next(line for line in render_markdown(r).splitlines() if "near groups (" in line)
             for name, r in (("with", sample_report), ("without", without))}
    assert "cosine &gt;= 0.95 without a changed number" in shown["with"]  # ">" escaped for Markdown
    assert "near groups (lexical copies only, embeddings off: case, punctuation" in shown["without"]
    assert "cosine" not in shown["without"]


def test_a_conflict_shows_each_wording_so_a_reviewer_can_judge_it(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"text": "please help me reset my password today", "label": "a"},
             {"text": "Please, help me reset my password today!", "label": "b"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    (conflict,) = report.checks["duplicates"].conflicts
    assert len(conflict.texts) == 2
    line = next(x for x in render_markdown(report).splitlines() if x.startswith("- conflict: "))
    assert '"please help me reset my password today" / "Please, help me reset my password today!"' in line


def test_an_exact_group_inside_a_near_group_says_whose_record_dedup_keeps(tmp_path):
    rows = [{"text": f"unrelated query number {i} about topic {i % 7}", "label": "ab"[i % 2]} for i in range(40)]
    rows += [{"text": "please help me reset my password today", "label": "a"},      # line 41: the near group's first
             {"text": "help me reset my password today", "label": "a"},             # line 42: an exact pair with 43
             {"text": "help me reset my password today", "label": "a"}]
    report = audit(write_jsonl(tmp_path / "d.jsonl", rows), Config(task_type="format"), embed=False)
    (exact,) = report.checks["duplicates"].exact_groups
    assert exact.lines == [42, 43] and exact.keep == 41
    assert "- exact group, lines 42, 43 (keep 41, of the near group it lies in)" in render_markdown(report)


def test_compare_shows_shares_as_percentages_with_a_signed_change_and_names_each_side():
    from dataaudit.render.compare import render_comparison_markdown, render_comparison_terminal

    result = {"before": "2026-12-01T02:00:00+00:00", "after": "2026-12-02T02:00:00+00:00",
              "datasets": {"before": "tickets", "after": "tickets"}, "note": "",
              "changes": [{"figure": "usable", "before": 1200, "after": 1185},
                          {"figure": "duplicate_share", "before": 0.021, "after": 0.0345},
                          {"figure": "krippendorff_alpha", "before": 0.81234, "after": 0.7},
                          {"figure": "covered_share", "before": None, "after": 0.9},
                          {"figure": "condition:agreement", "before": "pass", "after": "warn"}],
              "regressions": []}
    markdown = render_comparison_markdown(result)
    assert markdown.splitlines()[0] == ("# dataaudit compare: tickets (2026-12-01T02:00:00\\+00:00) → "
                                        "tickets (2026-12-02T02:00:00\\+00:00)")
    rows = [line for line in markdown.splitlines() if line.startswith("| ")][1:]
    assert rows == ["| usable | 1,200 | 1,185 | -15 |", "| duplicate\\_share | 2.1% | 3.5% | \\+1.4 pt |",
                    "| krippendorff\\_alpha | 0.812 | 0.700 | -0.112 |", "| covered\\_share | - | 90.0% |  |",
                    "| condition:agreement | pass | warn |  |"]
    console = Console(width=100, record=True, color_system=None)
    render_comparison_terminal(result, console)
    text = console.export_text()
    assert "2.1% │  3.5% │ +1.4 pt" in text and "0.812" in text
    assert "tickets (2026-12-01T02:00:00+00:00) → tickets (2026-12-02T02:00:00+00:00)" in " ".join(text.split())  # not the paths
    console = Console(width=100, record=True, color_system=None)
    render_comparison_terminal({**result, "changes": []}, console)
    assert " ".join(console.export_text().split()) == ("tickets (2026-12-01T02:00:00+00:00) → tickets "
                                                       "(2026-12-02T02:00:00+00:00): no compared figure changed")
    assert "| (no compared figure changed) | | | |" in render_comparison_markdown({**result, "changes": []})
    # a table cell is no line start: a value reading like a list item is shown as written, not escaped
    listed = render_comparison_markdown({**result, "changes": [{"figure": "- 1. a", "before": "1. x", "after": "2. y"}]})
    assert "| \\- 1. a |" not in listed and "| - 1. a | 1. x | 2. y |  |" in listed


def test_html_isolates_right_to_left_dataset_text_from_the_reports_own_words(tmp_path):
    """An Arabic label or a Hebrew excerpt beside "(5)" or "at line 3": the browser's bidi algorithm would draw the
    number on the far side of the right-to-left run; each run is in <bdi>, so the report's words keep their order."""
    from dataaudit.render.html import inline

    assert inline("\u0625\u0644\u063a\u0627\u0621 (5), n\u00e9gatif (6)") == "<bdi>\u0625\u0644\u063a\u0627\u0621</bdi> (5), n\u00e9gatif (6)"
    assert inline("\u05e9\u05dc\u05d5\u05dd 3 \u05e2\u05d5\u05dc\u05dd at line 12") == "<bdi>\u05e9\u05dc\u05d5\u05dd 3 \u05e2\u05d5\u05dc\u05dd</bdi> at line 12"
    assert inline("\u05d1 (1), \u05d2 (2)") == "<bdi>\u05d1</bdi> (1), <bdi>\u05d2</bdi> (2)"  # a label list
    assert inline("<b>\u05e9</b>") == "&lt;b&gt;<bdi>\u05e9</bdi>&lt;/b&gt;"  # escaped first: a run holds no markup
    rows = [{"text": f"\u0646\u0635 \u0639\u0631\u0628\u064a {i}", "label": "\u0625\u0644\u063a\u0627\u0621" if i % 3 else "\u05d1\u05d9\u05d8\u05d5\u05dc"}
            for i in range(12)]
    page = render_html(audit(write_jsonl(tmp_path / "\u05e7\u05d5\u05d1\u05e5.jsonl", rows), Config(), embed=False))
    assert "<bdi>\u0625\u0644\u063a\u0627\u0621</bdi>" in page and "<bdi>\u05d1\u05d9\u05d8\u05d5\u05dc</bdi>" in page
    assert "<bdi>\u05e7\u05d5\u05d1\u05e5</bdi>.jsonl" in page  # the file name in the heading
    head = page.split("<body>")[0]
    assert "<bdi>" not in head  # <title> is text: a tag there would show
    assert not re.search(r"=['\"][^'\"]*<bdi>", page)  # nor in any attribute


@pytest.mark.skipif(__import__("sys").platform == "win32", reason="the folder lock is POSIX flock")
def test_two_runs_writing_one_out_folder_leave_one_runs_whole_set(tmp_path, monkeypatch):
    """Run A renames slowly (a loaded machine); run B starts renaming while A is half-way. Unlocked, the folder
    kept B's report.json beside A's report.md and report.html."""
    import os
    import threading

    import dataaudit.io as io_module

    names = ["report.json", "report.md", "report.html"]
    a_started = threading.Event()
    real_replace = os.replace

    def slow_replace(src, dst):
        real_replace(src, dst)
        if threading.current_thread().name == "A":
            a_started.set()
            time.sleep(0.3)

    monkeypatch.setattr(io_module.os, "replace", slow_replace)

    def run(which: str) -> None:
        if which == "B":
            a_started.wait(5)
        io_module.write_atomic_set([(tmp_path / name, which) for name in names])

    threads = [threading.Thread(target=run, args=(w,), name=w) for w in "AB"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    contents = {(tmp_path / name).read_text() for name in names}
    assert len(contents) == 1, f"a mixed set: {[(n, (tmp_path / n).read_text()) for n in names]}"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)  # no lock file or temporary left beside them


def test_a_report_set_removes_an_earlier_runs_other_formats_and_keeps_its_own(tmp_path):
    from dataaudit.render.outputs import write_reports

    report = audit(SAMPLE / "support_tickets.jsonl", Config(), embed=False)
    write_reports(report, tmp_path, ["json", "md", "html"])
    written = write_reports(report, tmp_path, ["md"])
    assert [p.name for p in written] == ["report.md"] and sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_html_holds_no_address_at_all_not_even_svg_metadata(sample_report):
    page = render_html(sample_report)
    assert "<svg" in page and not re.search(r"https?://", page)  # creativecommons.org, purl.org, w3.org namespaces
    assert "<rdf:RDF" not in page and "<metadata" not in page


def test_html_title_says_the_verdict_in_words():
    import dataclasses

    from dataaudit.decide.verdict import Condition, build_verdict

    report = dataclasses.replace(_tiny_report(), verdict=build_verdict([Condition("format", "fail", "3 malformed")]))
    assert "<title>dataaudit: tiny — not ready</title>" in render_html(report)


def test_report_md_shows_the_commands_of_an_action_as_code_and_the_rest_inert(sample_report):
    from dataaudit.render.markdown import action_line

    markdown = render_markdown(sample_report)
    assert "(`dataaudit redact " in markdown and "\\`dataaudit" not in markdown
    # a file name with a backtick stays inside the command (shell-quoted); dataset text around it stays escaped
    assert (action_line("Redact (`dataaudit redact 'a`b.jsonl' --out CLEAN`) near [x](http://e.com) `code`", paths=["a`b.jsonl"])
            == "Redact (``dataaudit redact 'a`b.jsonl' --out CLEAN``) near \\[x\\](http\\://e.com) \\`code\\`")
    assert action_line("a `dataaudit never closed") == "a \\`dataaudit never closed"


def _tiny_report(**changes):
    """A report built by hand: the renderers' wording about the verdict, without running an audit."""
    from dataaudit.checks.base import RunStatus
    from dataaudit.decide.verdict import Condition, build_verdict
    from dataaudit.report import CheckResults, CheckRun, InputSummary, Report

    fields = dict(dataaudit_version="0", generated_at="2026-01-02T00:00:00", dataset="tiny",
                  inputs=[InputSummary("train", "tiny.jsonl", "0" * 64, 3)], config={},
                  verdict=build_verdict([Condition("format", "pass", "all 3 records are well-formed")]),
                  checks=CheckResults({"format": None, "tokens": None}, {"format": CheckRun(RunStatus.RAN), "tokens": CheckRun(RunStatus.RAN)}))
    return Report(**{**fields, **changes})


def _regressed(**changes):
    regression = {"what": "label_share:yes", "before": 0.744, "now": 0.663, "detail": "moved by -8.1 points"}
    return _tiny_report(regressions=[regression], compared_with="2026-01-01T00:00:00", fail_on_regression=True, **changes)


def test_a_ready_verdict_failed_by_a_regression_says_so_in_every_headline_and_in_report_json():
    report = _regressed()
    assert report.verdict.status == "ready" and report.exit_code == 1
    data = report.to_dict()["verdict"]
    assert data["status"] == "ready" and data["exit_code"] == 1 and data["failing_regressions"] == 1
    assert data["sentence"] == ("Ready: every necessary condition that was judged passes. The run fails (exit 1) on 1 regression "
                                "against the run of 2026-01-01T00:00:00 (--fail-on-regression).")
    assert render_markdown(report).splitlines()[2].startswith("**❌ ready, run fails on 1 regression** — Ready: ")
    page = render_html(report)
    assert "<title>dataaudit: tiny — ready, run fails on 1 regression</title>" in page
    assert "<strong>READY, RUN FAILS ON 1 REGRESSION</strong>" in page and "The run fails (exit 1) on 1 regression" in page
    console = Console(record=True, width=200)
    render_terminal(report, console)
    assert console.export_text().splitlines()[1].startswith("READY, RUN FAILS ON 1 REGRESSION  Ready: ")
    # without --fail-on-regression the regressions are listed, and the headline is the verdict's alone
    shown = _tiny_report(regressions=report.regressions, compared_with=report.compared_with)
    assert shown.exit_code == 0 and shown.headline == "ready" and shown.to_dict()["verdict"]["failing_regressions"] == 0


def test_check_runs_say_not_applicable_for_a_check_that_ran_with_nothing_to_measure():
    from dataaudit.checks.base import RunStatus
    from dataaudit.report import CheckResults, CheckRun

    report = _tiny_report(checks=CheckResults({"format": object(), "tokens": None},
                                              {"format": CheckRun(RunStatus.RAN, seconds=0.5), "tokens": CheckRun(RunStatus.RAN, seconds=0.1)}))
    runs = report.to_dict()["check_runs"]
    assert runs["format"] == {"status": "ran", "reason": "", "reused": False}
    assert runs["tokens"] == {"status": "not_applicable", "reason": "nothing to measure in these inputs", "reused": False}
    assert report.time_spent()["checks"] == {"format": 0.5}  # the --timings file's checks are report.json's "ran"


def test_a_narrow_terminal_stacks_the_tables_as_text_and_splits_no_word(sample_report):
    console = Console(record=True, width=40)
    render_terminal(sample_report, console)
    text = console.export_text()
    assert "┃" not in text and "│" not in text
    assert all(len(line) <= 40 for line in text.splitlines())
    assert "hygiene: fail" in text and "credentials" in text.replace("\n", " ")
    for condition in sample_report.verdict.conditions:  # every word of every summary whole on some line
        words = {w for w in condition.summary.split() if len(w) <= 30 and w.isalpha()}
        assert words <= set(text.split()), words - set(text.split())


def test_a_dumb_terminal_gets_ascii_rules():
    console = Console(record=True, width=120, force_terminal=True, _environ={"TERM": "dumb"})
    render_terminal(_tiny_report(), console)
    text = console.export_text()
    assert "+--" in text and not any(ch in text for ch in "┏┃│─━")


def test_a_dumb_terminal_gets_ascii_truncation_marks_in_tables_and_lines():
    # A TERM=dumb run printed one "…": a label the per-file table had cut short.
    from dataaudit.excerpt import excerpt
    from dataaudit.render.sections import Table as SectionTable
    from dataaudit.render.terminal import section_table

    label = excerpt("a_very_long_label_name", 16, markdown=False)
    assert label == "a_very_long_lab…"
    table = SectionTable("Files (2)", ["file", "labels"], [["a.jsonl", f"{label} 60%"]], terminal=True)
    dumb = Console(record=True, width=120, force_terminal=True, _environ={"TERM": "dumb"})
    dumb.print(section_table(table, dumb))
    render_terminal(_tiny_report(warnings=[f"label {label} is rare"]), dumb)
    text = dumb.export_text()
    assert text.isascii() and "a_very_long_lab... 60%" in text and "warning: label a_very_long_lab... is rare" in text
    capable = Console(record=True, width=120, force_terminal=True, _environ={"TERM": "xterm-256color"})
    capable.print(section_table(table, capable))
    assert "a_very_long_lab… 60%" in capable.export_text()  # a terminal that draws keeps the one-character mark


def test_the_terminal_shows_the_first_format_errors_the_format_action_points_to(hostile_report):
    console = Console(record=True, width=160)
    render_terminal(hostile_report, console)
    text = console.export_text()
    assert "listed under format errors" in text
    errors = hostile_report.checks["format"].errors
    assert "Format errors (1)" in text and re.search(rf"hostile\.jsonl\s+│\s+{errors[0].line}\s+│", text)
    narrow = Console(record=True, width=50)
    render_terminal(hostile_report, narrow)
    stacked = narrow.export_text()
    assert f"-{errors[0].file}:{errors[0].line} field: (json)" in re.sub(r"\n +", "", stacked)  # a file:line item, wrapped


def test_the_terminal_names_a_report_file_as_unwritten_only_when_told_it_is_not_written():
    report = _tiny_report(warnings=["the per-file table is left out of report.md (see report.json)"])

    def note(files):
        console = Console(record=True, width=200)
        render_terminal(report, console, files=files)
        return [line for line in console.export_text().splitlines() if line.startswith("note:")]

    assert note([]) == ["note: report.json, report.md, named above, are not written by this run: add --out FOLDER "
                        "(with --format json,md,html) to have the full lists"]
    assert note(["out/report.json"]) == ["note: report.md, named above, is not written by this run: add --out FOLDER "
                                         "(with --format json,md,html) to have the full lists"]
    assert note(["out/report.json", "out/report.md"]) == [] and note(None) == []


def test_with_an_out_folder_the_unwritten_file_note_names_the_format_to_add():
    # With --out given and json not in --format, "add --out FOLDER" sent the user to add what they had.
    report = _tiny_report(warnings=["the per-file table is left out of report.md (see report.json and duplicates.jsonl)"])

    def note(files):
        console = Console(record=True, width=200)
        render_terminal(report, console, files=files, out_given=True)
        return [line for line in console.export_text().splitlines() if line.startswith("note:")]

    assert note(["out/report.md"]) == ["note: report.json, duplicates.jsonl, named above, are not written by this run: "
                                       "add json to --format to have the full lists"]
    assert note([]) == ["note: report.json, report.md, duplicates.jsonl, named above, are not written by this run: "
                        "add json,md to --format to have the full lists"]


HOSTILE_NAME = "d11/x` <img src=x onerror=alert(7)> `dataaudit evil @octocat.jsonl"


def _report_with_action(path: str, action: str):
    from dataaudit.decide.verdict import Condition, build_verdict
    from dataaudit.report import InputSummary

    return _tiny_report(inputs=[InputSummary("train", path, "0" * 64, 405)],
                        verdict=build_verdict([Condition("format", "pass", "all 405 records are well-formed"),
                                               Condition("hygiene", "fail", "personal data", {}, action)]))


def _commands_in_markdown(markdown: str) -> list[str]:
    actions = markdown.split("## Next actions", 1)[1].split("\n## ", 1)[0]
    return [match.group(2).strip() for match in re.finditer(r"(?<!\\)(`+)(.+?)(?<!`)\1(?!`)", actions)]


def test_a_file_name_with_backticks_neither_forges_nor_breaks_an_actions_commands():
    # The path, shell-quoted inside the redact command and bare after it, opened a "command" at its own
    # "`dataaudit evil" that swallowed the text up to the next real command's opening backtick.
    import shlex

    redact = f"dataaudit redact {shlex.quote(HOSTILE_NAME)} --out CLEAN"
    action = (f"Redact before training (`{redact}` replaces each value with a placeholder): {HOSTILE_NAME} lines 403, 404. "
              "De-duplicate with `dataaudit dedup` (keeps the first record of each group).")
    report = _report_with_action(HOSTILE_NAME, action)
    assert _commands_in_markdown(render_markdown(report)) == [redact, "dataaudit dedup"]
    page = render_html(report)
    assert re.findall("<code>(.*?)</code>", page.split("Next actions", 1)[1]) == [
        "dataaudit redact &#x27;d11/x` &lt;img src=x onerror=alert(7)&gt; `dataaudit evil @octocat.jsonl&#x27; --out CLEAN",
        "dataaudit dedup"]


@pytest.mark.parametrize("forged", [
    "`dataaudit redact 'evil.jsonl' --out CLEAN`",  # a command naming a file that is no input of the audit
    "`dataaudit dedup --out /tmp`",  # an option dataaudit never writes there is still dataset text
    "`dataaudit evil`",
])
def test_dataset_text_shaped_like_a_command_stays_text(forged):
    from dataaudit.render.html import action_item
    from dataaudit.render.markdown import action_line, command_pieces

    label = f"x {forged} y"
    action = f"Add examples for the rare labels; fewest first: {label}. De-duplicate with `dataaudit dedup`."
    assert [text for text, command in command_pieces(action, paths=["a.jsonl"]) if command] == ["dataaudit dedup"]
    report = _report_with_action("a.jsonl", action)
    assert _commands_in_markdown(render_markdown(report)) == ["dataaudit dedup"]
    assert action_line(action, paths=["a.jsonl"]).endswith("De-duplicate with `dataaudit dedup`.")
    assert "<code>" not in action_item(label, paths=["a.jsonl"])


def test_html_names_report_json_for_a_capped_list_only_when_the_run_writes_it(hostile_report):
    """--format html alone writes no report.json: a capped inputs table must not send the reader there."""
    import dataclasses

    from dataaudit.render.html import MAX_ROWS

    many = dataclasses.replace(hostile_report, inputs=list(hostile_report.inputs) * (MAX_ROWS + 1))
    shown = len(many.inputs[:MAX_ROWS])
    assert f"first {shown} of {len(many.inputs)} listed; all are in report.json" in render_html(many)
    alone = render_html(many, formats=("html",))
    assert f"first {shown} of {len(many.inputs)} listed; add json to write_reports(formats=...) for the full lists" in alone
    assert "all are in report.json" not in alone


def test_not_enough_evidence_is_named_in_the_readmes_words_in_every_label_and_keeps_its_json_status():
    from dataaudit.decide.verdict import Condition, build_verdict

    report = _tiny_report(verdict=build_verdict([Condition("format", "unknown", "no records could be judged")]))
    assert report.verdict.status == "insufficient_evidence" and report.exit_code == 3
    assert report.to_dict()["verdict"]["status"] == "insufficient_evidence"  # the contract stays
    # Report.headline (public API) is the displays' words, not a renderer's fix-up of "insufficient evidence".
    assert report.headline == "not enough evidence"
    assert _regressed(verdict=report.verdict).headline == "not enough evidence, run fails on 1 regression"
    assert "headline" not in json.dumps(report.to_dict())
    markdown = render_markdown(report)
    assert markdown.splitlines()[2].startswith("**❔ not enough evidence** — ")
    page = render_html(report)
    assert "<title>dataaudit: tiny — not enough evidence</title>" in page and "<strong>NOT ENOUGH EVIDENCE</strong>" in page
    console = Console(record=True, width=200)
    render_terminal(report, console)
    assert console.export_text().splitlines()[1].startswith("NOT ENOUGH EVIDENCE  ")
    for shown in (markdown, page, console.export_text()):
        assert "insufficient evidence" not in shown.lower()


def test_every_format_reads_next_actions_regressions_warnings_then_the_sections_and_shows_details_whole():
    """The terminal printed regressions and warnings after the sections and the actions last, report.html put
    warnings before regressions, report.md the warnings last; and report.md cut each regression's detail."""
    from dataaudit.decide.verdict import Condition, build_verdict

    detail = ("fell by 145 (bound 0) (no input file or folder in common with the baseline run, which read data/a.jsonl: "
              "another project named 'a' in this history? Give each project its own --dataset-name)")
    regression = {"what": "usable", "before": 585, "now": 440, "detail": detail}
    verdict = build_verdict([Condition("format", "fail", "2 of 3 records are malformed", action="Fix the malformed records.")])
    report = _tiny_report(verdict=verdict, regressions=[regression], compared_with="2026-01-01T00:00:00",
                          warnings=["history h.db: no input in common with the baseline run"])
    markdown = render_markdown(report)
    md_marks = ["## Next actions", "## Regressions against the previous run", "> warning: history h.db", "## Inputs",
                "## Production coverage"]
    assert [markdown.index(m) for m in md_marks] == sorted(markdown.index(m) for m in md_marks)
    assert f"| usable | 585 | 440 | {detail.replace('_', chr(92) + '_')} |" in markdown and "…" not in markdown
    page = render_html(report)
    # The inputs before the sections in both: report.html put them last while report.md had them first.
    html_marks = ["<section id='actions'>", "<section id='regressions'>", "<section id='warnings'>", "<section id='inputs'>",
                  "<section id='coverage'>"]
    assert [page.index(m) for m in html_marks] == sorted(page.index(m) for m in html_marks)
    console = Console(record=True, width=100)
    render_terminal(report, console)
    summary = console.export_text()
    lines = summary.splitlines()
    starts = [next(i for i, line in enumerate(lines) if line.startswith(m))
              for m in ("next actions", "regressions against the run of", "warning: history h.db", "coverage")]
    assert starts == sorted(starts) and "Give each project its own\n  --dataset-name))" in summary


def test_cut_notes_are_true_whichever_formats_the_run_writes():
    """report.json lists a section's rows, capped where the section caps them (1,000 of 1,334 format errors): a
    note sent the reader to it "for the full lists" under --format md, and said nowhere under --format html."""
    from dataaudit.render import html as html_render
    from dataaudit.render.markdown import rows_note
    from dataaudit.render.sections import Table

    errors = Table("Format errors (1334)", ["file", "line"], [["a.jsonl", n] for n in range(1000)], total=1334)
    whole = Table("Inputs (300)", ["path"], [[f"f{n}.jsonl"] for n in range(300)])
    copies = Table("Groups (4000)", ["lines"], [[n] for n in range(1000)], total=4000, full_list="all are in duplicates.jsonl")
    # from Python, formats= is what to change (the command line's --format: test_render_sections)
    assert rows_note(errors, 50, ["md"]) == "… and 1284 more: add json to write_reports(formats=...) for report.json, which lists 950 of them"
    assert rows_note(whole, 50, ["md"]) == "… and 250 more: add json to write_reports(formats=...) for the full lists"
    assert rows_note(errors, 50) == "… and 1284 more: 950 of them are in report.json (report.html lists the first 200)"
    # Without report.json the rest is what report.html lists beyond report.md's 50: it said 950 of them.
    assert rows_note(errors, 50, ["md", "html"]) == "… and 1284 more: 150 of them are in report.html (which lists the first 200)"
    assert rows_note(whole, 50, ["md", "html"]) == "… and 250 more: 150 of them are in report.html (which lists the first 200)"
    assert rows_note(whole, 10, ["md", "html", "json"]) == "… and 290 more: see report.json (report.html lists the first 200)"
    small = Table("Inputs (120)", ["path"], [[f"f{n}.jsonl"] for n in range(120)])
    assert rows_note(small, 50, ["md", "html"]) == "… and 70 more: see report.html"
    page = lambda table, written: html_render._table(table.headers, table.rows, table, json_written=written)  # noqa: E731
    assert "first 200 of 1334 listed; 800 more are in report.json</p>" in page(errors, True)
    assert "first 200 of 1334 listed; 800 more are in report.json (add json to write_reports(formats=...))</p>" in page(errors, False)
    assert "first 200 of 300 listed; all are in report.json</p>" in page(whole, True)
    assert "first 200 of 300 listed; add json to write_reports(formats=...) for the full lists</p>" in page(whole, False)
    assert "first 200 of 4000 listed; 800 more are in report.json; all are in duplicates.jsonl</p>" in page(copies, True)


def test_an_inputs_hash_is_written_whole_in_both_inputs_tables_and_as_one_prefix_in_the_html_header():
    """report.md wrote 16 hex digits, report.html's header 12 and its inputs table 64: the tables now write the
    hash whole (what a reader compares with sha256sum), and the header's prefix is the only abbreviation."""
    from dataaudit.report import InputSummary

    digest = "0123456789abcdef" * 4
    report = _tiny_report(inputs=[InputSummary("train", "tiny.jsonl", digest, 3)])
    markdown, page = render_markdown(report), render_html(report)
    assert f"| train | tiny.jsonl | 3 | {digest} |" in markdown
    assert f"<td>{digest}</td>" in page
    assert re.findall(r"0123456789abcdef[0-9a-f]*", page) == [digest[:16], digest]
    assert re.findall(r"0123456789abcdef[0-9a-f]*", markdown) == [digest]


def test_a_line_break_in_an_annotator_or_a_file_name_reads_one_way_in_every_report(tmp_path, capsys):
    """A file "part\\ntwo.jsonl" read "part two.jsonl" in the terminal: every report shows " ⏎ ", report.json keeps
    the path as given, so scripts match it. An annotator "carol\\nsmith" is spelt as labels are: "carol smith"."""
    import json

    from dataaudit.cli import main

    labels = ["refund", "delivery", "billing"]
    rows = [{"text": f"question {i} about topic {i % 7}", "label": labels[i % 3],
             "annotations": [{"annotator": "ann", "label": labels[i % 3]}, {"annotator": "bea", "label": labels[i % 3]},
                             {"annotator": "carol\nsmith", "label": labels[(i + (i % 2)) % 3]}]} for i in range(80)]
    paths = [write_jsonl(tmp_path / "part one.jsonl", rows[:40]), write_jsonl(tmp_path / "part\ntwo.jsonl", rows[40:])]
    out = tmp_path / "out"
    main(["audit", *map(str, paths), "--no-embeddings", "--format", "terminal,json,md,html", "--out", str(out)])
    terminal = capsys.readouterr().out
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    # An annotator's name is spelt as a label is (spaces, a line break among them, one space): "carol smith" in every
    # report and in report.json alike.
    assert [a["annotator"] for a in report["checks"]["agreement"]["annotators"] if a["flagged"]] == ["carol smith"]
    consistency = next(c for c in report["verdict"]["conditions"] if c["id"] == "consistency")
    assert "annotator carol smith " in consistency["summary"]
    assert str(paths[1]) in {i["path"] for i in report["inputs"]}
    markdown = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    for shown in (terminal, markdown, page):
        assert "carol ⏎ smith" not in shown and "part two.jsonl" not in shown
    assert "carol smith" in " ".join(terminal.split())
    assert "| part ⏎ two.jsonl |" in markdown and "annotator carol smith disagrees" in markdown
    assert "carol smith" in page and "part ⏎ two.jsonl" in page
