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


def _label_studio_ratings(path, units):
    """Krippendorff's 2011 data (4 coders, 12 units) as a Label Studio export of one rating question."""
    import json

    data = {"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None], "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
            "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None], "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None]}
    tasks = [{"id": i + 1, "data": {"text": f"unit number {i + 1} text"}, "annotations": [
        {"id": 100 * i + n, "completed_by": n, "was_cancelled": False,
         "result": [{"from_name": "quality", "to_name": "text", "type": "rating", "value": {"rating": data[coder][i]}}]}
        for n, coder in enumerate("ABCD", 1) if data[coder][i] is not None]} for i in units]
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return path


def test_a_rating_export_split_over_two_files_gives_each_file_the_headlines_level_and_order(tmp_path):
    """Review: per file the alpha was read at the configured level (nominal: 0.6207 and 0.8505 beside an ordinal
    headline, the first file graded lowest on the wrong figure), and a configured ordinal_order, which a rating
    keeps out of, was demanded of the rating's numbers per file: an internal error."""
    from dataaudit.api import audit
    from dataaudit.config import config_from_dict

    folder = tmp_path / "export"
    folder.mkdir()
    _label_studio_ratings(folder / "a.json", range(0, 6))
    _label_studio_ratings(folder / "b.json", range(6, 12))
    for extra in ({}, {"ordinal_order": ["low", "mid", "high"]}):
        report = audit(folder, config_from_dict({"agreement": {"bootstrap_resamples": 0, **extra}}), embed=False)
        assert report.checks["agreement"].level == "ordinal"
        # krippendorff.alpha(level_of_measurement="ordinal") over units 1-6 and 7-12
        assert [(b.file.rsplit("/", 1)[-1], b.krippendorff_alpha) for b in report.per_file] == [("a.json", 0.5499), ("b.json", 0.9382)]
