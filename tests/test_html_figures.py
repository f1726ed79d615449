"""report.html's figures: each inline SVG is one named image."""

from __future__ import annotations

import os
import pickle
import re
import subprocess
import sys
from collections import Counter

from dataaudit.api import audit
from dataaudit.config import config_from_dict
from dataaudit.render import plots
from dataaudit.render.html import _figure, render_html
from tests.conftest import write_jsonl


def test_an_inline_svg_is_an_image_named_by_its_caption():
    caption = "Duplicate group sizes <b>& 'more'"
    page = _figure(plots.group_sizes([2, 2, 3]), caption, "figure-duplicates-1")
    named = "Duplicate group sizes &lt;b&gt;&amp; &#x27;more&#x27;"
    assert page.startswith(f"<figure><svg role='img' aria-label='{named}' ")
    assert page.count(f"<title>{named}</title>") == 1 and page.index("<title>") < page.index("<g ")
    assert page.endswith(f"<figcaption class='meta'>{named}</figcaption></figure>")


def _report(tmp_path):
    """report.html of three annotators on 40 items: token lengths, labels, per-annotator bars and the heatmap."""
    rows = [{"item_id": str(i), "annotator": name, "text": f"ticket {i} about topic {i * 7}",
             "label": "abc"[(i + (name == "carol" and i % 4 == 0)) % 3]} for i in range(40) for name in ("ann", "bob", "carol")]
    config = config_from_dict({"task_type": "format", "fields": {"annotator": "annotator", "id": "item_id"},
                               "agreement": {"bootstrap_resamples": 0}})
    return audit(write_jsonl(tmp_path / "ann.jsonl", rows), config, embed=False)


def test_no_id_is_defined_twice_in_a_page_of_several_figures_and_every_reference_resolves(tmp_path):
    page = render_html(_report(tmp_path))
    assert page.count("<svg") >= 4
    ids = Counter(re.findall(r'\sid=["\']([^"\']+)["\']', page))
    assert [name for name, n in ids.items() if n > 1] == []
    references = set(re.findall(r'url\(#([^)]+)\)', page)) | set(re.findall(r'href="#([^"]+)"', page))
    assert references and references <= set(ids)
    assert "figure-size-2-axes_1" in ids and "figure-agreement-1-axes_1" in ids


def test_a_page_with_figures_is_the_same_bytes_from_the_same_report(tmp_path):
    """Rendered again in a fresh interpreter with another hash seed, so that an id or salt drawn per process (a
    set's order, id(), matplotlib's default salt) shows as a difference; two renders in one process share them."""
    report = _report(tmp_path)
    (tmp_path / "report.pickle").write_bytes(pickle.dumps(report))
    script = ("import pickle, sys; from dataaudit.render.html import render_html; "
              "sys.stdout.buffer.write(render_html(pickle.load(open(sys.argv[1], 'rb'))).encode('utf-8'))")
    pages = []
    for seed in ("1", "2"):
        environment = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": os.pathsep.join(sys.path)}
        pages.append(subprocess.run([sys.executable, "-c", script, str(tmp_path / "report.pickle")], env=environment,
                                    capture_output=True, check=True).stdout.decode("utf-8"))
    assert pages[0].count("<svg") >= 4
    assert pages[0] == pages[1] == render_html(report)


def test_scoped_ids_leaves_references_to_ids_the_figure_does_not_define():
    svg = '<svg><defs><path id="m1"/></defs><use xlink:href="#m1"/><g clip-path="url(#p9)"/><a href="#verdict"/></svg>'
    assert plots.scoped_ids(svg, "f") == ('<svg><defs><path id="f-m1"/></defs><use xlink:href="#f-m1"/>'
                                          '<g clip-path="url(#p9)"/><a href="#verdict"/></svg>')


def test_scoped_ids_leaves_dataset_text_drawn_between_tags_as_typed():
    svg = ('<svg><defs><path id="axes_1"/></defs><g clip-path="url(#axes_1)"/>'
           '<text>x url(#axes_1) y</text><text>q id="patch_3" z</text></svg>')
    assert plots.scoped_ids(svg, "f") == ('<svg><defs><path id="f-axes_1"/></defs><g clip-path="url(#f-axes_1)"/>'
                                          '<text>x url(#axes_1) y</text><text>q id="patch_3" z</text></svg>')


def test_labels_that_read_like_ids_are_drawn_as_typed_and_define_nothing(tmp_path):
    labels = ["abc", "x url(#axes_1) y", 'q id="patch_3" z']
    rows = [{"item_id": str(i), "annotator": name, "text": f"ticket {i} about topic {i * 7}",
             "label": labels[(i + (name == "carol" and i % 4 == 0)) % 3]} for i in range(40) for name in ("ann", "bob", "carol")]
    config = config_from_dict({"task_type": "format", "fields": {"annotator": "annotator", "id": "item_id"},
                               "agreement": {"bootstrap_resamples": 0}})
    page = render_html(audit(write_jsonl(tmp_path / "ann.jsonl", rows), config, embed=False))
    drawn = re.findall(r"<text[^>]*>([^<]*)</text>", page)
    assert "x url(#axes_1) y" in drawn and 'q id="patch_3" z' in drawn
    assert not any("figure-" in text for text in drawn)
    tags = "".join(re.findall(r"<[^>]*>", page))
    ids = Counter(re.findall(r'\sid=["\']([^"\']+)["\']', tags))
    assert [name for name, n in ids.items() if n > 1] == []
    assert set(re.findall(r'url\(#([^)]+)\)', tags)) <= set(ids)
