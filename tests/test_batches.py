"""The per-file breakdown: each file's alpha graded, ranked and shown unrounded where the rounding would mislead."""

from __future__ import annotations

from types import SimpleNamespace

from dataaudit.checks.batches import BatchSummary, lowest_alpha_files
from dataaudit.render.sections.per_file import SECTION


def _summary(file: str, alpha: float, grade: str) -> BatchSummary:
    return BatchSummary(file=file, records=10, valid=10, invalid=0, items=10, krippendorff_alpha=round(alpha, 4),
                        label_shares={"a": 1.0}, duplicate_share=0.0, cross_batch_duplicates=0, alpha_grade=grade,
                        labelled=10, krippendorff_alpha_unrounded=alpha)


def test_the_lowest_file_is_found_on_alpha_unrounded():
    # both round to 0.7434: only the unrounded alphas tell which is lower
    files = [_summary("a.jsonl", 0.74342, "tentative"), _summary("b.jsonl", 0.74338, "tentative")]
    assert lowest_alpha_files(files) == {"b.jsonl"}
    # a summary without the unrounded alpha (an older one) is ranked by its rounded one
    older = [BatchSummary("c.jsonl", 1, 1, 0, 1, 0.5, {}, 0.0, 0), BatchSummary("d.jsonl", 1, 1, 0, 1, 0.6, {}, 0.0, 0)]
    assert lowest_alpha_files(older) == {"c.jsonl"}


def test_a_tentative_file_alpha_is_never_shown_as_the_threshold():
    files = [_summary("x/batch1.jsonl", 0.79996, "tentative"), _summary("x/batch2.jsonl", 0.9, "reliable")]
    files[0].lowest_alpha = True
    report = SimpleNamespace(per_file=files, config={"agreement": {"reliable_alpha": 0.8, "tentative_alpha": 0.667}})
    content = SECTION.build(report)
    assert content.lines[1] == "lowest alpha: batch1.jsonl 0.79996 (tentative)"
    assert [row[2] for row in content.tables[0].rows] == ["0.79996 (tentative, LOWEST)", "0.900"]
