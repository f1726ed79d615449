"""Per-file (per-batch) breakdown when several files are audited as one dataset."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

from ..config import AgreementConfig
from ..load.records import Dataset
from .agreement import measure_agreement


@dataclass
class BatchSummary:
    file: str
    records: int
    valid: int
    invalid: int
    krippendorff_alpha: float | None
    label_shares: dict[str, float]
    duplicate_share: float  # records whose normalised input already appeared earlier (this or an earlier file)
    cross_batch_duplicates: int  # of those, first seen in another file


def measure_batches(dataset: Dataset, keys: list[str], agreement: AgreementConfig) -> list[BatchSummary]:
    first_file: dict[str, str] = {}
    repeats: Counter = Counter()
    cross: Counter = Counter()
    for record, key in zip(dataset.records, keys):
        if not key:
            continue
        if key in first_file:
            repeats[record.source] += 1
            if first_file[key] != record.source:
                cross[record.source] += 1
        else:
            first_file[key] = record.source
    invalid_by_file = Counter(e.source for e in dataset.errors if e.line > 0)
    quick = replace(agreement, bootstrap_resamples=0)
    result = []
    for input_file in dataset.files:
        records = [r for r in dataset.records if r.source == input_file.path]
        labels = Counter(r.label for r in records if r.label is not None)
        labelled = sum(labels.values())
        sub = Dataset(dataset.name, [input_file], records, [], input_file.records, invalid_by_file[input_file.path])
        agreement_result = measure_agreement(sub, quick) if any(r.annotations for r in records) else None
        result.append(BatchSummary(
            file=input_file.path, records=input_file.records, valid=len(records), invalid=invalid_by_file[input_file.path],
            krippendorff_alpha=agreement_result.krippendorff_alpha if agreement_result else None,
            label_shares={k: round(v / labelled, 4) for k, v in sorted(labels.items())} if labelled else {},
            duplicate_share=round(repeats[input_file.path] / len(records), 4) if records else 0.0,
            cross_batch_duplicates=cross[input_file.path]))
    return result
