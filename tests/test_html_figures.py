"""report.html's figures: each inline SVG is one named image."""

from __future__ import annotations

from dataaudit.render import plots
from dataaudit.render.html import _figure


def test_an_inline_svg_is_an_image_named_by_its_caption():
    caption = "Duplicate group sizes <b>& 'more'"
    page = _figure(plots.group_sizes([2, 2, 3]), caption)
    named = "Duplicate group sizes &lt;b&gt;&amp; &#x27;more&#x27;"
    assert page.startswith(f"<figure><svg role='img' aria-label='{named}' ")
    assert page.count(f"<title>{named}</title>") == 1 and page.index("<title>") < page.index("<g ")
    assert page.endswith(f"<figcaption class='meta'>{named}</figcaption></figure>")
