"""Per-file (per-batch) breakdown when several files are audited as one dataset.

Per file by definition: each file's records, label shares and its own agreement are measured where the file
lies (`map_partitions`, on Ray a task per file). Its repeats are read from the index's key groups (records
in dataset order), which already join copies across files: the driver walks only the keys carried by
several records.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ..config import AgreementConfig
from ..engine.base import DataSteps, SerialSteps
from ..index import TextIndex
from ..load.records import AnnotationExport, Dataset, Record
from .agreement import alpha_grade, measure_agreement
from .balance import label_key


@dataclass
class BatchSummary:
    # records, valid and invalid count the file's rows (valid + invalid = records); items counts what its rows
    # made. They differ where several rows make one item: a long annotation layout's or a flat tool export's
    # row is one rating, so 2,670 rows can be 267 items.
    file: str
    records: int  # rows read
    valid: int  # rows without an error
    invalid: int  # rows with an error
    items: int  # records made from the file's valid rows (one per row, or one per item when rows are ratings)
    krippendorff_alpha: float | None
    label_shares: dict[str, float]  # over the labelled items, by balance.label_key
    duplicate_share: float  # items whose normalised input already appeared earlier (this or an earlier file): exact and
    # normalised copies only, not the near groups (lexical or reworded) of the duplicates check
    cross_batch_duplicates: int  # of those, first seen in another file
    # Judged here, not by the renderers: "reliable", "tentative" or "unreliable" by the agreement thresholds
    # the consistency condition uses; None without an alpha.
    alpha_grade: str | None = None
    lowest_alpha: bool = False  # this file's alpha is the lowest of the files' (never when all are the same)
    labelled: int = 0  # items with a label: the sample size of label_shares
    # alpha as computed, as AgreementResult keeps it: graded, ranked and compared with the last run unrounded
    # (0.79996 is tentative though it rounds to 0.8); older summaries carry only the rounded one
    krippendorff_alpha_unrounded: float | None = None

    @property
    def alpha_exact(self) -> float | None:
        return self.krippendorff_alpha_unrounded if self.krippendorff_alpha_unrounded is not None else self.krippendorff_alpha


def items_span_files(dataset: Dataset) -> bool:
    """Whether some item holds ratings read from another file than its own (a long layout, one file per
    annotator): per-file figures would then split items."""
    return any(a.source for record in dataset.records for a in record.annotations)


def file_batch(records: list[Record], agreement: AgreementConfig, export: AnnotationExport | None = None,
               level_named: bool = False) -> tuple[str | None, int, Counter, float | None]:
    """The map step, run where a file's records lie: its file, items, labels and its own alpha, at the level and
    order the whole dataset's alpha takes (the export's question types, a level named on the command line): a
    rating headline split over two files was read at the configured level per file (nominal figures beside an
    ordinal headline, or a configured order refused for the rating's numbers: an internal error)."""
    labels = Counter()
    # Keyed as balance keys them: a label past its limit would otherwise be copied whole into report.json and the
    # history, and be another key than the run's shares, which a new file's shares are compared with.
    for label, count in Counter(r.label for r in records if r.label is not None).items():
        labels[label_key(label)] += count
    alpha = None
    if any(r.annotations for r in records):
        result = measure_agreement(Dataset(records[0].source, [], records, [], len(records), 0, annotation_export=export),
                                   agreement, level_named=level_named)
        alpha = result.krippendorff_alpha_unrounded if result else None  # graded unrounded, shown rounded
    return (records[0].source if records else None), len(records), labels, alpha


def lowest_alpha_files(summaries: list[BatchSummary]) -> set[str]:
    """The file(s) with the lowest alpha, so a reviewer sees which batch to re-label first; none when the files
    with an alpha all have the same one (one file alone included): none is worse than another."""
    alphas = {s.file: s.alpha_exact for s in summaries if s.alpha_exact is not None}
    if len(set(alphas.values())) < 2:
        return set()
    lowest = min(alphas.values())
    return {file for file, alpha in alphas.items() if alpha == lowest}


def measure_batches(index: TextIndex, agreement: AgreementConfig, steps: DataSteps | None = None, *,
                    level_named: bool = False) -> list[BatchSummary]:
    dataset = index.dataset
    repeats: Counter = Counter()
    cross: Counter = Counter()
    for positions in index.positions.values():
        if len(positions) > 1:
            first_file = dataset.records[positions[0]].source
            for position in positions[1:]:
                source = dataset.records[position].source
                repeats[source] += 1
                cross[source] += source != first_file
    # Rows, not errors: a tool export's row can carry several errors.
    invalid_by_file = Counter(source for source, _ in {(e.source, e.line) for e in dataset.errors if e.line > 0})
    per_file = {source: (items, labels, alpha) for source, items, labels, alpha
                in (steps or SerialSteps()).map_partitions(dataset, file_batch, replace(agreement, bootstrap_resamples=0),
                                                           dataset.annotation_export, level_named)
                if source is not None}
    result = []
    for input_file in dataset.files:
        items, labels, alpha = per_file.get(input_file.path, (0, Counter(), None))
        labelled = sum(labels.values())
        invalid = invalid_by_file[input_file.path]
        result.append(BatchSummary(
            file=input_file.path, records=input_file.records, valid=input_file.records - invalid, invalid=invalid, items=items,
            krippendorff_alpha=round(alpha, 4) if alpha is not None else None, krippendorff_alpha_unrounded=alpha,
            label_shares={k: round(v / labelled, 4) for k, v in sorted(labels.items())} if labelled else {},
            duplicate_share=round(repeats[input_file.path] / items, 4) if items else 0.0,
            cross_batch_duplicates=cross[input_file.path], alpha_grade=alpha_grade(alpha, agreement), labelled=labelled))
    lowest = lowest_alpha_files(result)
    return [replace(summary, lowest_alpha=summary.file in lowest) for summary in result]
