"""Inter-annotator agreement: is the labelling consistent enough to learn from?

Krippendorff's alpha comes from the `krippendorff` package, Fleiss' kappa from statsmodels and Cohen's
kappa from scikit-learn. Gwet's AC1 has no well-kept library (irrCAC is pandas row loops, minutes at
100k items), so it is computed here from the same count table and checked against irrCAC in the tests.

Degenerate data, decided (libraries disagree: `krippendorff` raises when every rating is the same value,
others return 1):
- every rating the same value: alpha is undefined (no variation to agree on) -> None, with a note;
- one annotator, or no item with two ratings: nothing is pairable -> alpha None, with a note;
- items with a single rating: kept in the counts, but they carry no agreement information, as in
  Krippendorff's definition (they contribute no pairable values);
- an annotator who gave one label to everything: alpha is computed as usual (their constant labels lower
  it); their Cohen's kappas are None where undefined, and they are marked `constant_label`.

Annotation-tool exports ask several questions: each judged question gets its own alpha (`questions`), at
the level its type implies (single choice nominal, several choices a set compared by Jaccard distance,
rating ordinal, number interval); the headline figures are the headline question's (`fields.question`,
else the first classification question). Per annotator (`per_annotator`): items rated, agreement with the
others' majority, agreement with gold where there is gold, median seconds spent, and at a scaled level their
own alpha (agreement_stats.annotator_alphas). An annotator is flagged when far below the items-weighted median
of the others, so that a handful of items does not set the bar.

The per-record work runs on the engine's steps (docs/distributed.md), per input file where it lies: one pass
gathers each file's annotators, values, gold hits and times, a second codes every item's ratings against the
merged annotator and value order (and finds its tie). An item is one record, which lies in one partition
(a long layout's files, whose items group rows across files, are read as one), so no item is split between
passes. The statistics need the whole items x values table at once and run on the driver: one row per item,
a few bytes per value, plus the annotators x items code matrix (8 bytes a cell).
"""

from __future__ import annotations

import json
import math
import statistics
import warnings
from dataclasses import dataclass, field, replace
from itertools import chain, combinations
from operator import add
from typing import Iterator, NamedTuple

import numpy as np

from ..config import AgreementConfig
from ..decide.conditions import JUDGED_ONLY_BY
from ..digits import bound_text, snapped, value_text
from ..engine.base import DataSteps, SerialSteps
from ..errors import ConfigError, InputError, said
from ..excerpt import plain_excerpt as excerpt
from ..load.annotation_tools import JUDGED_LEVELS, LATEST_ONLY_NOTE
from ..load.annotation_tools.common import question_level, question_order
from ..load.values import is_number_label, number_label
from ..load.records import Annotation, AnnotationExport, Dataset, Record
from .agreement_stats import alpha_bootstrap, annotator_alphas, fleiss_kappa, gwet_ac1, krippendorff_alpha, pairwise_agreement_per_item
from .balance import label_key  # a label in a list or key of the result: cut past its limit, as balance keys it
from .base import AuditContext, Check, Finding, Need, Status

ANONYMOUS = "(unknown"  # the reader's name for an answer whose annotator the export does not say
MIN_ITEMS_TO_FLAG = 10  # an annotator with fewer shared items is not flagged: too little evidence
UNDEFINED_RESAMPLES_SAID = 0.05  # above this share of the bootstrap's resamples, the verdict says they were left out
MAX_ANNOTATORS_IN_MATRIX = 40  # Cohen's matrix and leave-one-annotator-out alphas for the most active ones


@dataclass(frozen=True)
class AnnotatorStats:
    annotator: str
    items: int
    agreement_with_others: float | None  # share of items where their label matches the others' majority
    alpha_without: float | None  # alpha with this annotator left out: higher than overall -> they pull it down
    constant_label: bool
    flagged: bool
    items_compared: int = 0  # of `items`, those someone else labelled too: what agreement_with_others is over
    # What set them far below: "others" (agreement with the others' majority; nominal and set levels), "alpha" (at
    # ordinal, interval and ratio level: their own alpha far below the others'), "gold" (agreement with gold); the
    # texts name the figure that did, not a figure that may be high or missing.
    flagged_by: tuple[str, ...] = ()
    gold_agreement: float | None = None  # share of their gold items where they match gold
    gold_items: int = 0
    # 1 - their observed disagreement with the others on shared items / the expected disagreement, at the level's
    # distance (agreement_stats.annotator_alphas): alpha on their ratings alone, whatever the crowd's size.
    own_alpha: float | None = None


@dataclass(frozen=True)
class LabelStats:
    label: str
    ratings: int
    specific_agreement: float | None  # when one annotator chose it, how often another did too


@dataclass(frozen=True)
class ConfusedPair:
    labels: tuple[str, str]
    count: float  # pairable disagreements between the two labels


@dataclass(frozen=True)
class DisputedItem:
    item_id: str | None
    file: str
    lines: list[int]
    text: str
    labels: dict[str, str]  # annotator -> label
    agreement: float  # pairwise agreement within the item


@dataclass(frozen=True)
class TieItem:
    item_id: str | None
    file: str
    lines: list[int]
    labels: list[str]  # the tied labels


@dataclass(frozen=True)
class AnnotatorSummary:
    """One annotator on the headline question, as an annotation lead reads it."""

    annotator: str
    items: int  # items they labelled
    agreement: float | None  # share of their items shared with others where they match the others' majority
    gold_agreement: float | None  # share of their gold items where they match gold
    median_seconds: float | None  # median time spent per annotation, where the tool records it
    flagged: bool  # far below the others (agreement or gold agreement)
    gold_items: int = 0  # their items that carry a gold answer: the sample gold_agreement is over
    items_compared: int = 0  # their items someone else labelled too: the sample agreement is over


@dataclass(frozen=True)
class QuestionAgreement:
    question: str
    type: str  # choices | choices-multiple | taxonomy | rating | number | answer | textarea | labels | ...
    level: str | None  # nominal | set | ordinal | interval; None when the type is not judged (free text, spans)
    headline: bool
    # None for a question that is not judged: the loader keeps no free-text or span answer on the records, so
    # they are not counted here, and 0 would read as nobody having answered
    items: int | None  # items with at least one answer
    items_multi: int | None  # items with two or more answers
    ratings: int | None
    annotators: int | None
    krippendorff_alpha: float | None
    percent_agreement: float | None
    gold_items: int = 0


@dataclass(frozen=True)
class AgreementResult:
    layout: str  # nested | long | wide | label_studio_json | label_studio_json_min | label_studio_csv | prodigy_jsonl | argilla_records_json
    level: str
    items: int
    items_multi: int  # items with >= 2 labels
    share_multi: float
    ratings: int
    krippendorff_alpha: float | None
    alpha_ci: list[float] | None
    bootstrap_resamples: int
    percent_agreement: float | None
    fleiss_kappa: float | None
    gwet_ac1: float | None
    cohen_kappa: dict[str, dict[str, float | None]]
    annotators: list[AnnotatorStats]
    labels: list[LabelStats]
    confused_pairs: list[ConfusedPair]
    disputed: list[DisputedItem]  # the first agreement.disputed_limit, least agreement first
    label_source: str  # gold | majority
    ties: int
    tie_items: list[TieItem]
    note: str = ""
    notes: list[str] = field(default_factory=list)
    question: str = "label"  # the headline question
    questions: list[QuestionAgreement] = field(default_factory=list)
    per_annotator: list[AnnotatorSummary] = field(default_factory=list)
    annotator_agreement: float | None = None  # agreement with the others, averaged over annotators weighted by items compared
    export: AnnotationExport | None = None  # what an annotation tool's export held besides (cancelled, predictions, ...)
    gold_items: int = 0  # items whose training label is their gold answer (label_source "gold": the others take the majority)
    annotators_named: bool = True  # False: the export names no annotator, so `annotators` is empty
    # alpha as computed: what the thresholds are compared with (krippendorff_alpha is it rounded to 4 places,
    # and 0.79996 rounds to 0.8 while falling short of 0.800)
    krippendorff_alpha_unrounded: float | None = None
    # bootstrap resamples with no alpha (no variation left in them), left out of alpha_ci
    bootstrap_undefined: int = 0
    disputed_total: int = 0  # items whose labels disagree, of which `disputed` lists the first
    # The one value every rating of the items rated twice or more holds, where that left alpha undefined: a single
    # class, or the wrong question or field read, not missing overlap
    only_value: str | None = None
    # Labels of the question equal but for case ("POSITIVE", "Positive", "positive"), each group sorted: an export's
    # spelling, not annotators disagreeing; and alpha with each group read as one label (None where not computed:
    # an ordinal order ranks the spellings apart)
    case_variants: list[list[str]] = field(default_factory=list)
    alpha_case_folded: float | None = None
    # The annotators the Cohen's kappa matrix holds and the per-annotator plot shows: the MAX_ANNOTATORS_IN_MATRIX
    # most active, and every flagged one beside them (all of them in a small crowd); in the annotators' input order.
    plotted_annotators: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Table:
    annotators: list[str]
    values: list[str]  # label of each value code, in code order
    codes: np.ndarray  # annotators x items, float code or nan
    counts: np.ndarray  # items x values, ratings per value
    items: list[Record]
    numbers: bool = False  # labels that are numbers read as numbers ("03" is "3"): _reads_numbers


def _chosen_set(value: str) -> frozenset[str]:
    """The choices a set-valued answer holds: several are a JSON array of names; one is its plain name (the
    loader writes a single choice so, to keep a question's labels one spelling whether or not anyone chose two)."""
    if value.startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list) and all(isinstance(v, str) for v in parsed):
            return frozenset(parsed)
    return frozenset([value])


def _jaccard_distances(values: list[str]) -> np.ndarray:
    """Pairwise 1 - |A & B| / |A | B| between set values (two empty sets agree): between two single choices
    this is the nominal distance, so only answers of several choices are compared partially."""
    sets = [_chosen_set(v) for v in values]
    size = len(sets)
    distances = np.zeros((size, size))
    for i, j in combinations(range(size), 2):
        union = sets[i] | sets[j]
        distances[i, j] = distances[j, i] = 1 - len(sets[i] & sets[j]) / len(union) if union else 0.0
    return distances


class LevelMismatch(ValueError):
    """A label that the level of measurement cannot take; `label` finds the record that holds it.

    order_source: for a label missing from [agreement] ordinal_order, the config file that set the order ("" where
    none is known yet, or a config built in code); None for any other mismatch. The order may be the config's fault
    as much as the data's, so the message names its file.
    """

    def __init__(self, label: str, reason: str, order_source: str | None = None):
        self.label, self.reason, self.order_source = label, reason, order_source
        if order_source is None:
            super().__init__(reason)
        else:
            where = f" (set in {order_source})" if order_source else ""
            super().__init__(f"agreement.ordinal_order{where} does not list it {reason}")

    def __reduce__(self):
        # BaseException pickles as cls(*args), args being the message alone: rebuilt from its own fields instead,
        # so the error crosses a process (a Ray task, a multiprocessing pool) as raised.
        return type(self), (self.label, self.reason, self.order_source)

    def order_set_in(self, source: str) -> LevelMismatch:
        """The same mismatch, naming the config file that set the order where it is about the order."""
        return self if self.order_source is None else LevelMismatch(self.label, self.reason, source)


def _value_order(labels: set[str], level: str, order: list[str]) -> tuple[list[str], np.ndarray | None]:
    """Value labels in code order, and their scale: numeric values for interval/ratio metrics, the distance
    matrix for set values, None otherwise. order: the configured ordinal order where it applies to this question
    (the headline's text levels), else empty."""
    if level == "set":
        ordered = sorted(labels)
        return ordered, _jaccard_distances(ordered)
    if level in ("interval", "ratio"):
        text = sorted(label for label in labels if not is_number_label(label))
        if text:
            # a data error, named at its record: one stray word in a numeric column is fixed in the file, not the config
            raise LevelMismatch(text[0], f"{level} data must be numbers; fix that label, or for labels that are not numbers "
                                "use " + said("--level ordinal (with [agreement] ordinal_order in dataaudit.toml) or --level nominal",
                                              "agreement.level = 'ordinal' (with ordinal_order) or 'nominal'"))
        numeric = {label: float(label) for label in labels}
        ordered = sorted(labels, key=lambda s: numeric[s])
        if level == "ratio" and numeric[ordered[0]] < 0:
            # the ratio metric divides by c + k, which is 0 for -1 against 1: no distance means anything there
            raise LevelMismatch(ordered[0], "ratio data cannot be negative (a ratio scale starts at a true zero); for values "
                                "that can be negative use " + said("--level interval", "agreement.level = 'interval'"))
        return ordered, np.array([numeric[s] for s in ordered])
    if level == "ordinal":
        if order:
            missing = sorted(labels - set(order))
            if missing:
                raise LevelMismatch(missing[0], f"({len(missing)} label(s) missing from the order: "
                                    f"{', '.join(map(repr, missing[:5]))}); add them to ordinal_order or fix the labels",
                                    order_source="")
            return [s for s in order if s in labels], None
        text = sorted(label for label in labels if not is_number_label(label))
        if text:
            raise LevelMismatch(text[0], "ordinal text labels need their order: set [agreement] ordinal_order in "
                                "dataaudit.toml or pass --config")
        return sorted(labels, key=float), None
    return sorted(labels), None




def _reads_numbers(level: str, order: list[str]) -> bool:
    """Whether labels that are numbers are compared as numbers: at interval and ratio level, and at ordinal level
    where no configured order names the labels. Then "03" and "3" are one value everywhere in the result (alpha,
    percent agreement, the label and annotator figures), as the metric reads them."""
    return level in ("interval", "ratio") or (level == "ordinal" and not order)


def _as_read(label: str, numbers: bool) -> str:
    return number_label(label) if numbers else label


def _where_label(dataset: Dataset, label: str, fields) -> str:
    """'FILE: line N: field F holds LABEL' for the first rating of `label`, as a data error names its place (a
    number read as a number, "-01" as -1, is named as the file writes it)."""
    # as written first: where labels are not read as numbers, "03" is not the "3" an order lacks
    for record, rating in chain(_ratings_holding(dataset, lambda held: held == label),
                                _ratings_holding(dataset, lambda held: number_label(held) == label)):
        field = (rating.question or (rating.annotator if rating.annotator in fields.annotator_columns else
                                     fields.label if record.format == "annotation_long" else "annotations"))
        return f"{rating.source or record.source}: line {rating.line}: field {field!r} holds {rating.label!r}"
    return f"label {label!r}"


def _ratings_holding(dataset: Dataset, holds) -> Iterator[tuple[Record, Annotation]]:
    """Every (record, rating) whose label `holds`, in file order."""
    return ((record, rating) for record in dataset.records
            for rating in chain(record.annotations, record.question_annotations) if holds(rating.label))


def _item_ratings(record: Record, question: str | None, numbers: bool = False) -> tuple[tuple[Annotation, ...], str | None]:
    """The ratings and gold a record holds on `question` of an export (None: its headline annotations and gold);
    numbers: labels that are numbers as numbers (_reads_numbers)."""
    if question is None:
        ratings, gold = record.annotations, record.gold
    else:
        ratings = tuple(a for a in record.question_annotations if a.question == question and not a.is_gold)
        gold = next((a.label for a in record.question_annotations if a.question == question and a.is_gold), None)
    if numbers:
        ratings = tuple(a if number_label(a.label) == a.label else replace(a, label=number_label(a.label)) for a in ratings)
        gold = None if gold is None else number_label(gold)
    return ratings, gold


@dataclass
class RatingVocabulary:
    """What the rated items of some files hold on one question: whatever the table's codes and the per-annotator
    gold and time figures need, added up over files."""

    annotators: set[str]
    values: set[str]
    items: int  # records with at least one rating
    gold_items: int
    formats: set[str]  # of the rated records: the layout is read from them
    per_annotator: dict[str, tuple[int, int, list[float]]]  # annotator -> (gold hits, gold items rated, seconds spent)


def rating_vocabulary(records: list[Record], question: str | None, numbers: bool = False) -> RatingVocabulary:
    """The first map step, run where a file's records lie."""
    vocabulary = RatingVocabulary(set(), set(), 0, 0, set(), {})
    for record in records:
        ratings, gold = _item_ratings(record, question, numbers)
        if not ratings:
            continue
        vocabulary.items += 1
        vocabulary.gold_items += gold is not None
        vocabulary.formats.add(record.format)
        for mine in ratings:
            vocabulary.annotators.add(mine.annotator)
            vocabulary.values.add(mine.label)
            hits, gold_items, seconds = vocabulary.per_annotator.get(mine.annotator, (0, 0, []))
            if mine.lead_time is not None:
                seconds.append(mine.lead_time)
            if gold is not None:
                hits, gold_items = hits + (mine.label == gold), gold_items + 1
            vocabulary.per_annotator[mine.annotator] = (hits, gold_items, seconds)
    return vocabulary


def _merge_vocabularies(a: RatingVocabulary, b: RatingVocabulary) -> RatingVocabulary:
    a.annotators |= b.annotators
    a.values |= b.values
    a.items += b.items
    a.gold_items += b.gold_items
    a.formats |= b.formats
    for name, (hits, gold_items, seconds) in b.per_annotator.items():
        had_hits, had_gold, had_seconds = a.per_annotator.get(name, (0, 0, []))
        a.per_annotator[name] = (had_hits + hits, had_gold + gold_items, had_seconds + seconds)
    return a


class CodedItem(NamedTuple):
    cells: tuple[int, ...]  # annotator code x number of values + value code, one per annotator (their last rating)
    tie: TieItem | None  # its top labels when several share the most ratings and there is no gold


def _tie(record: Record, ratings: tuple[Annotation, ...]) -> TieItem | None:
    """The record's top labels when several share the most ratings (asked of items with no gold)."""
    counts: dict[str, int] = {}
    for rating in ratings:  # a dict, not a Counter: Counter's own checks cost more than the count, once per item
        counts[rating.label] = counts.get(rating.label, 0) + 1
    top = max(counts.values())
    tied = sorted(label for label, n in counts.items() if n == top)
    return TieItem(record.record_id, record.source, list(record.all_lines), [label_key(label) for label in tied]) if len(tied) > 1 else None


def coded_items(records: list[Record], question: str | None, annotator_codes: dict[str, int],
                value_codes: dict[str, int], numbers: bool = False) -> list[CodedItem | None]:
    """The second map step, one value per record (None: no rating on the question), run where its file lies."""
    row_starts = {name: code * len(value_codes) for name, code in annotator_codes.items()}
    coded: list[CodedItem | None] = []
    for record in records:
        ratings, gold = _item_ratings(record, question, numbers)
        if not ratings:
            coded.append(None)
            continue
        last = {row_starts[a.annotator]: value_codes[a.label] for a in ratings}
        tie = _tie(record, ratings) if gold is None and len(ratings) > 1 else None
        coded.append(CodedItem(tuple(map(add, last, last.values())), tie))
    return coded


def _rating_table(dataset: Dataset, config: AgreementConfig, level: str, question: str | None,
                  steps: DataSteps, order: list[str] | None = None) -> tuple[_Table, np.ndarray | None, RatingVocabulary, list[TieItem]] | None:
    """The annotators x items codes and items x values counts of the records rated on `question`, their
    vocabulary and ties, from the two per-file passes; None when no record is rated. order: the ordinal order
    this question takes (None: the configured one, as for a layout of one question)."""
    order = config.ordinal_order if order is None else order
    numbers = _reads_numbers(level, order)
    vocabulary = steps.map_merge(dataset, rating_vocabulary, _merge_vocabularies, question, numbers)
    if vocabulary is None or not vocabulary.items:
        return None
    annotators = sorted(vocabulary.annotators)
    values, scale = _value_order(vocabulary.values, level, order)
    coded = steps.map_records(dataset, coded_items, question, {a: i for i, a in enumerate(annotators)},
                              {v: i for i, v in enumerate(values)}, numbers)
    items = [record for record, item in zip(dataset.records, coded) if item is not None]
    rated = [item for item in coded if item is not None]
    per_item = np.fromiter((len(item.cells) for item in rated), dtype=np.int64, count=len(rated))
    cells = np.fromiter(chain.from_iterable(item.cells for item in rated), dtype=np.int64, count=int(per_item.sum()))
    codes = np.full((len(annotators), len(rated)), np.nan)
    codes[cells // len(values), np.repeat(np.arange(len(rated)), per_item)] = cells % len(values)
    counts = np.zeros((len(rated), len(values)))
    rows, cols = np.nonzero(~np.isnan(codes))
    np.add.at(counts, (cols, codes[rows, cols].astype(int)), 1)
    ties = sorted((item.tie for item in rated if item.tie is not None), key=lambda t: (id_order(t.item_id), t.file, t.lines))
    return _Table(annotators, values, codes, counts, items, numbers), scale, vocabulary, ties


def value_weighted_kappa(x: np.ndarray, y: np.ndarray, values: np.ndarray) -> float:
    """Cohen's kappa weighted by the squared difference of the values themselves, from the confusion matrix of
    two annotators' value codes: interval alpha's metric. scikit-learn's quadratic weights are on code order, so
    values 0, 1, 10 would count 0 against 10 as twice 0 against 1, not a hundred times (nan where undefined).
    Ratio-level data is weighted the same way (interval distances): the pairwise kappa is a by-annotator view
    beside alpha, which alone uses the ratio metric."""
    size = len(values)
    confusion = np.bincount(x.astype(int) * size + y.astype(int), minlength=size * size).reshape(size, size).astype(float)
    expected = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / confusion.sum()
    weights = np.subtract.outer(values, values) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return float(1.0 - (weights * confusion).sum() / (weights * expected).sum())


def _cohen_matrix(table: _Table, annotators: list[int], level: str,
                  scale: np.ndarray | None = None) -> dict[str, dict[str, float | None]]:
    from sklearn.metrics import cohen_kappa_score

    weights = {"nominal": None, "set": None, "ordinal": "linear"}.get(level, "quadratic")
    by_value = level in ("interval", "ratio") and scale is not None
    matrix: dict[str, dict[str, float | None]] = {table.annotators[a]: {} for a in annotators}
    for a in annotators:
        matrix[table.annotators[a]][table.annotators[a]] = 1.0
    for a, b in combinations(annotators, 2):
        both = ~np.isnan(table.codes[a]) & ~np.isnan(table.codes[b])
        value = None
        if both.sum() >= 2:
            x, y = table.codes[a, both], table.codes[b, both]
            with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
                warnings.simplefilter("ignore")
                kappa = (value_weighted_kappa(x, y, scale) if by_value else
                         float(cohen_kappa_score(x, y, weights=weights, labels=np.arange(len(table.values)))))
            value = None if math.isnan(kappa) else round(kappa, 4)
        matrix[table.annotators[a]][table.annotators[b]] = value
        matrix[table.annotators[b]][table.annotators[a]] = value
    return matrix


def _weighted_median(values: list[float], weights: list[int]) -> float:
    """The lower weighted median: the first value, in sorted order, at which half the weight is reached."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    half = sum(weights) / 2
    running = 0
    for i in order:
        running += weights[i]
        if running >= half:
            return values[i]
    return values[order[-1]]


def _far_below(scores: dict[str, tuple[float | None, int]], margin: float) -> set[str]:
    """Names whose score is more than `margin` below the items-weighted median of the others' (at least two
    others, and at least MIN_ITEMS_TO_FLAG items behind the score)."""
    scored = {name: (score, n) for name, (score, n) in scores.items() if score is not None}
    flagged = set()
    for name, (score, n) in scored.items():
        others = [(s, w) for other, (s, w) in scored.items() if other != name]
        if n < MIN_ITEMS_TO_FLAG or len(others) < 2:
            continue
        if score < _weighted_median([s for s, _ in others], [w for _, w in others]) - margin:
            flagged.add(name)
    return flagged


SCALED_LEVELS = ("ordinal", "interval", "ratio")  # where a near rating is a near agreement, not a miss


def _annotator_stats(table: _Table, level: str, scale: np.ndarray | None, margin: float, alpha_for: set[int],
                     per_annotator_extras: dict[str, tuple[int, int, list[float]]],
                     alpha: float | None = None) -> tuple[list[AnnotatorStats], list[AnnotatorSummary]]:
    """alpha: the overall alpha, which each annotator's alpha without them is set against at a scaled level."""
    # a near rating is a near agreement on a scale: the nominal distance on nominal and set levels is exact match
    own_alphas = annotator_alphas(table.counts, table.codes, level, scale) if level in SCALED_LEVELS else [None] * len(table.annotators)
    rows = []
    for a, name in enumerate(table.annotators):
        if name.startswith(ANONYMOUS):  # no one's figures (measure_agreement's note)
            continue
        labelled = ~np.isnan(table.codes[a])
        items = int(labelled.sum())
        own = table.codes[a, labelled].astype(int)
        others = table.counts[labelled].copy()
        others[np.arange(len(own)), own] -= 1
        has_others = others.sum(axis=1) > 0
        compared = int(has_others.sum())  # items someone else labelled too: the only ones agreement speaks of
        agreement = None
        if compared:
            top = others[has_others].max(axis=1)
            agree = others[has_others][np.arange(compared), own[has_others]] == top
            agreement = float(agree.mean())
        alpha_without = None
        if a in alpha_for and len(table.annotators) > 2:
            counts = table.counts.copy()
            counts[labelled, own] -= 1
            alpha_without = krippendorff_alpha(counts, level, scale)
        gold_hits, gold_items, seconds = per_annotator_extras.get(name, (0, 0, []))
        gold = gold_hits / gold_items if gold_items else None
        median_seconds = round(float(statistics.median(seconds)), 2) if seconds else None
        # how many of their labels go against the others' majority or gold: what re-labelling them would touch
        disagreements = (compared * (1 - agreement) if agreement is not None else 0) + (gold_items - gold_hits)
        if own_alphas[a] is not None:
            # at a scaled level, their share of alpha's shortfall: disagreement over the expected, times their values
            disagreements = compared * (1 - own_alphas[a]) + (gold_items - gold_hits)
        rows.append((name, items, compared, agreement, alpha_without, len(set(own.tolist())) == 1 and items > 1, gold,
                     gold_items, median_seconds, disagreements, own_alphas[a]))
    # compared unrounded, each on the items it is measured over: the shared items, the gold items
    if level in SCALED_LEVELS:
        # On a scale, exact matches with the others' modal value say little (one of 200 scores of 0-100 match, the
        # careless rater's as the careful ones'): an annotator is judged by their own alpha, at its metric. Not by
        # alpha without them: the change one rater makes shrinks with their share of the ratings, so a random rater
        # among 15 moved alpha 0.759 -> 0.891 and stayed under the margin.
        below_others = set()
        below_alpha = _far_below({r[0]: (None if alpha is None else r[10], r[2]) for r in rows}, margin)
    else:
        below_others = _far_below({r[0]: (r[3], r[2]) for r in rows}, margin)
        below_alpha = set()
    below_gold = _far_below({r[0]: (r[6], r[7]) for r in rows}, margin)
    # An export without annotator ids reads "(unknown #n)", the n-th answer to each item: not a person, so
    # nobody's labels to review.
    flagged = {name for name in below_others | below_alpha | below_gold if not name.startswith(ANONYMOUS)}
    flagged_by = {name: tuple(by for by, names in (("others", below_others), ("alpha", below_alpha), ("gold", below_gold))
                              if name in names)
                  for name in flagged}
    # The flagged first, the one whose labels cost the most first (most labels against the others or gold, at a
    # scaled level their disagreement over the expected summed over their shared items; then the highest alpha
    # without them), so that a few careless labels do not hide hundreds; then the others by agreement.
    impact = {r[0]: (-r[9], -(r[4] if r[4] is not None else -2.0)) for r in rows}

    def order(name: str, agreement: float | None) -> tuple:
        if name in flagged:
            return (0, *impact[name], name)
        return (1, agreement if agreement is not None else 2, 0.0, name)

    stats = [AnnotatorStats(name, items, _round(agreement), _round(alpha_without), constant, name in flagged, compared,
                            flagged_by.get(name, ()), _round(gold), gold_items, _round(own))
             for name, items, compared, agreement, alpha_without, constant, gold, gold_items, _, _, own in rows]
    stats.sort(key=lambda s: order(s.annotator, s.agreement_with_others))
    summaries = [AnnotatorSummary(name, items, _round(agreement), _round(gold), median_seconds, name in flagged, gold_items, compared)
                 for name, items, compared, agreement, _, _, gold, gold_items, median_seconds, _, _ in rows]
    summaries.sort(key=lambda s: order(s.annotator, s.agreement))
    return stats, summaries


def _label_stats(table: _Table) -> tuple[list[LabelStats], list[ConfusedPair]]:
    counts = table.counts[table.counts.sum(axis=1) >= 2]
    r = counts.sum(axis=1)
    labels = []
    for k, label in enumerate(table.values):
        pairs_with = (counts[:, k] * (r - 1)).sum()
        agree = (counts[:, k] * (counts[:, k] - 1)).sum()
        labels.append(LabelStats(label_key(label), int(table.counts[:, k].sum()), round(float(agree / pairs_with), 4) if pairs_with else None))
    weighted = counts / np.maximum(r - 1, 1)[:, None]
    coincidence = weighted.T @ counts  # Krippendorff's coincidence matrix of pairable values
    confused = [ConfusedPair((label_key(table.values[k]), label_key(table.values[l])), round(float(coincidence[k, l] + coincidence[l, k]), 3))
                for k, l in combinations(range(len(table.values)), 2) if coincidence[k, l] > 0]
    confused.sort(key=lambda p: (-p.count, p.labels))
    return labels, confused[:10]


def _case_variants(table: _Table, level: str) -> tuple[list[list[str]], float | None]:
    """The groups of values equal ignoring case, and alpha with each group one value (nominal and set levels; the
    loader already dropped surrounding spaces and made runs of spaces one)."""
    if table.numbers:
        return [], None
    groups: dict[str, list[int]] = {}
    for code, value in enumerate(table.values):
        groups.setdefault(_case_folded(value, level), []).append(code)
    variants = [codes for codes in groups.values() if len(codes) > 1]
    if not variants:
        return [], None
    named = sorted(sorted(label_key(table.values[c]) for c in codes) for codes in variants)
    if level not in ("nominal", "set"):
        return named, None
    folded = sorted(groups)
    counts = np.stack([table.counts[:, groups[key]].sum(axis=1) for key in folded], axis=1)
    return named, krippendorff_alpha(counts, level, _jaccard_distances(folded) if level == "set" else None)


def _case_folded(value: str, level: str) -> str:
    """The value ignoring case. A set answer is folded choice by choice and written as the loader writes it (a
    sorted JSON array, one choice as its plain name): its array is sorted case-sensitively, so '["Zeta", "alpha"]'
    and '["alpha", "zeta"]', one answer, fold to different strings as a whole."""
    if level != "set":
        return value.casefold()
    chosen = sorted({choice.casefold() for choice in _chosen_set(value)})
    return chosen[0] if len(chosen) == 1 else json.dumps(chosen, ensure_ascii=False)


def case_variants_text(variants: list[list[str]], labels: int, alpha_folded: float | None) -> str:
    """The case variants as the note and the condition say them: "labels 'POSITIVE', 'Positive', 'positive' differ
    only in case: ignoring case gives 3 labels and alpha 0.528"."""
    shown = "; ".join(", ".join(f"'{excerpt(label, 40)}'" for label in group) for group in variants[:3])
    more = f" and {len(variants) - 3} more group(s)" if len(variants) > 3 else ""
    folded = labels - sum(len(group) - 1 for group in variants)
    alpha = f" and alpha {alpha_folded:.3f}" if alpha_folded is not None else ""
    return f"labels {shown}{more} differ only in case: ignoring case gives {folded} label{'' if folded == 1 else 's'}{alpha}"


def id_order(record_id: str | None) -> tuple[int, int, str]:
    """A sort key for item ids that does not hang on row order: numeric ids by value (9 before 10), then the others
    as text, then records without one."""
    if record_id is None:
        return (2, 0, "")
    if record_id.isascii() and record_id.isdigit():
        return (0, int(record_id), record_id)
    return (1, 0, record_id)


def _disputed(table: _Table, limit: int) -> tuple[list[DisputedItem], int]:
    """The `limit` items whose labels agree least, and how many items disagree at all."""
    per_item = pairwise_agreement_per_item(table.counts)
    candidates = np.where(~np.isnan(per_item) & (per_item < 1))[0]
    # Ties broken by item id before place, so the same items list alike however the rows are ordered.
    order = sorted(candidates, key=lambda j: (per_item[j], -table.counts[j].sum(), id_order(table.items[j].record_id),
                                              table.items[j].source, table.items[j].line))
    result = []
    for j in order[:limit]:
        record = table.items[j]
        result.append(DisputedItem(record.record_id, record.source, list(record.all_lines), excerpt(record.query_text),
                                   {a.annotator: label_key(_as_read(a.label, table.numbers)) for a in record.annotations},
                                   round(float(per_item[j]), 4)))
    return result, len(candidates)


def _layout(export: AnnotationExport | None, formats: set[str]) -> str:
    """formats: of the records that carry annotations."""
    if export is not None:
        return f"{export.tool}_{export.kind}"
    if "annotation_long" in formats:
        return "long"
    if "annotation_wide" in formats:
        return "wide"
    return "nested"


def _level_note(kind: str, level: str, question: str, config: AgreementConfig, level_named: bool) -> str:
    """What became of a configured level the headline question does not take: never silently ignored."""
    if level == config.level or (config.level == "nominal" and not level_named):
        return ""
    return (f"agreement level {config.level} does not apply to question '{excerpt(question, 60)}' ({excerpt(kind, 30)}): "
            f"judged at {level} level, as its type is")


def _question_summary(question: str, kind: str, level: str | None, headline: bool, dataset: Dataset,
                      config: AgreementConfig, steps: DataSteps) -> QuestionAgreement:
    """level: None for a question that is not judged (free text, spans)."""
    built = (_rating_table(dataset, config, level, question, steps, question_order(kind, level, config.ordinal_order, headline))
             if level is not None else None)
    if level is None:
        return QuestionAgreement(question, kind, level, headline, None, None, None, None, None, None)
    if built is None:
        return QuestionAgreement(question, kind, level, headline, 0, 0, 0, 0, None, None)
    table, scale, vocabulary, _ = built
    ratings = table.counts.sum(axis=1)
    multi = int((ratings >= 2).sum())
    alpha = krippendorff_alpha(table.counts, level, scale)
    percent = float(np.nanmean(pairwise_agreement_per_item(table.counts))) if multi else None
    return QuestionAgreement(question, kind, level, headline, vocabulary.items, multi, int(ratings.sum()), len(table.annotators),
                             _round(alpha), _round(percent), vocabulary.gold_items)


def measure_agreement(dataset: Dataset, config: AgreementConfig, steps: DataSteps | None = None, *,
                      level_named: bool = False) -> AgreementResult | None:
    """None when no record carries annotations (one label per item: nothing to compare). steps: the engine
    whose tasks do the per-file passes where each file lies; None runs them here. level_named: the level was
    named (a flag or an override), so a nominal level is honoured on a rating or number headline question.

    Raises ValueError when labels do not fit the configured level of measurement.
    """
    export = dataset.annotation_export
    # A plain labelled dataset, the usual case, starts no per-file pass.
    if not any(r.annotations for r in dataset.records):
        return None
    steps = steps or SerialSteps()
    question = export.headline if export is not None and export.headline else "label"
    typed = export is not None and bool(export.headline)
    kind = export.questions[question] if typed else "label"
    level = question_level(kind, config.level, True, level_named) if typed else config.level
    order = question_order(kind, level, config.ordinal_order, True) if typed else list(config.ordinal_order)
    table, scale, vocabulary, ties = _rating_table(dataset, config, level, None, steps, order)
    items = table.items
    per_item_ratings = table.counts.sum(axis=1)
    items_multi = int((per_item_ratings >= 2).sum())
    notes = list(export.notes) if export is not None else []
    if typed and (level_note := _level_note(kind, level, question, config, level_named)):
        notes.append(level_note)
    alpha = krippendorff_alpha(table.counts, level, scale)
    note = ""
    only_value = None
    if len(table.annotators) < 2:
        note = "only one annotator labelled the data"
    elif items_multi == 0:
        note = "every item has a single annotation"
    elif alpha is None:
        note = "every rating is the same value, so there is no variation to agree on (alpha is undefined; percent agreement is 1.0)"
        pairable = table.counts[per_item_ratings >= 2].sum(axis=0)
        only_value = label_key(table.values[int(np.argmax(pairable))])
        if np.count_nonzero(table.counts.sum(axis=0)) > 1:
            # other values only on items rated once: nothing pairs with them
            note = ("every rating of the items rated twice or more is the same value, so there is no variation to agree "
                    "on (alpha is undefined; percent agreement is 1.0); other values are only on items rated once")
    ci, undefined = (alpha_bootstrap(table.counts, level, scale, config.bootstrap_resamples, config.seed)
                     if alpha is not None else (None, 0))
    per_item = pairwise_agreement_per_item(table.counts)
    percent = float(np.nanmean(per_item)) if items_multi else None
    # "(unknown #2)" is every item's second unnamed answer, not a person: it counts in alpha and in the named
    # annotators' agreement with the others, but figures of its own (a row, a kappa) would describe no one.
    anonymous = [a for a, name in enumerate(table.annotators) if name.startswith(ANONYMOUS)]
    active = sorted((a for a in range(len(table.annotators)) if a not in anonymous),
                    key=lambda a: (-int((~np.isnan(table.codes[a])).sum()), table.annotators[a]))
    shown = sorted(active[:MAX_ANNOTATORS_IN_MATRIX])
    named = not table.annotators or bool(active)
    if named and anonymous:
        notes.append("answers that name no annotator count in alpha and in the named annotators' agreement with the "
                     "others, but get no per-annotator figures of their own")
    if named:
        annotators, per_annotator = _annotator_stats(table, level, scale, config.careless_margin, set(shown), vocabulary.per_annotator,
                                                     alpha)
    else:
        # "(unknown #2)" is every item's second answer, not a person: alpha and the item figures hold, figures
        # per annotator (agreement with the others, kappa between two of them) would describe no one.
        annotators, per_annotator, shown = [], [], []
        notes.append("the export names no annotator, so no per-annotator figures (agreement with the others, Cohen's "
                     "kappa) are given; alpha and the item figures count every answer")
    # Who the kappa matrix and the per-annotator plot show: the most active, and every flagged annotator beside
    # them, or one the report names as far below the others would be missing from both figures.
    flagged_names = {s.annotator for s in annotators if s.flagged}
    plotted = sorted(set(shown) | {a for a, name in enumerate(table.annotators) if name in flagged_names})
    if len(active) > MAX_ANNOTATORS_IN_MATRIX:
        extra = len(plotted) - len(shown)
        notes.append(f"Cohen's kappa matrix and alpha-without shown for the {MAX_ANNOTATORS_IN_MATRIX} most active of {len(active)} annotators"
                     + (f"; the matrix also shows the {extra} flagged annotator{'s' if extra > 1 else ''} outside them" if extra else ""))
    scored = [(s.agreement, s.items_compared) for s in per_annotator if s.agreement is not None and s.items_compared]
    weighted = sum(a * n for a, n in scored) / sum(n for _, n in scored) if scored else None
    labels, confused = _label_stats(table)
    case_variants, alpha_case_folded = _case_variants(table, level)
    if case_variants:
        notes.append(case_variants_text(case_variants, len(labels), alpha_case_folded))
    nominal = level == "nominal"
    if export is None:
        questions = [QuestionAgreement(question, "label", level, True, len(items), items_multi, int(per_item_ratings.sum()),
                                       len(table.annotators), _round(alpha), _round(percent), vocabulary.gold_items)]
    else:
        questions = [_question_summary(q, q_kind, None if q_kind not in JUDGED_LEVELS else
                                       question_level(q_kind, config.level, q == question, level_named), q == question, dataset, config, steps)
                     for q, q_kind in export.questions.items()]
    disputed, disputed_total = _disputed(table, config.disputed_limit)
    return AgreementResult(
        layout=_layout(export, vocabulary.formats),
        level=level,
        items=len(items),
        items_multi=items_multi,
        share_multi=round(items_multi / len(items), 4),
        ratings=int(per_item_ratings.sum()),
        krippendorff_alpha=None if alpha is None else round(alpha, 4),
        krippendorff_alpha_unrounded=alpha,
        alpha_ci=ci,
        bootstrap_resamples=config.bootstrap_resamples,
        bootstrap_undefined=undefined,
        percent_agreement=None if percent is None else round(percent, 4),
        fleiss_kappa=_round(fleiss_kappa(table.counts)) if nominal else None,
        gwet_ac1=_round(gwet_ac1(table.counts)) if nominal else None,
        cohen_kappa=_cohen_matrix(table, plotted, level, scale),
        plotted_annotators=[table.annotators[a] for a in plotted],
        annotators=annotators,
        labels=labels,
        confused_pairs=confused,
        disputed=disputed,
        disputed_total=disputed_total,
        label_source="gold" if vocabulary.gold_items else "majority",
        gold_items=vocabulary.gold_items,
        annotators_named=named,
        ties=len(ties),
        tie_items=ties[:50],
        note=note,
        notes=notes,
        only_value=only_value,
        case_variants=case_variants,
        alpha_case_folded=_round(alpha_case_folded),
        question=question,
        questions=questions,
        per_annotator=per_annotator,
        annotator_agreement=_round(weighted),
        export=export,
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


# ---------------------------------------------------------------------------------------------------
# The check

NEED_OVERLAP = ("have at least two annotators label an overlapping sample (10-20% of items, 200+ items) "
                "and supply their labels (nested 'annotations', --annotator-field, --annotator-columns, or an "
                "annotation tool's full export)")


def measure(ctx: AuditContext) -> AgreementResult | None:
    """None when no item carries two annotations on any question: there is nothing to agree on."""
    try:
        result = measure_agreement(ctx.train.dataset, ctx.config.agreement, ctx.steps,
                                   level_named="agreement.level" in ctx.config.set_by)
    except LevelMismatch as exc:  # a data file's label the level cannot take: named where it is, as a data error
        raise InputError(f"{_where_label(ctx.train.dataset, exc.label, ctx.config.fields)}, but "
                         f"{exc.order_set_in(ctx.config.source)}") from exc
    except ValueError as exc:  # labels that do not fit the configured level of measurement
        raise ConfigError(f"agreement: {exc}") from exc
    if result is None or (result.items_multi == 0 and not any(q.items_multi for q in result.questions)):
        return None
    return result


def _review_action(flagged: list[AnnotatorStats], by_name: dict[str, AnnotatorSummary], alpha: float | None = None) -> str:
    def share(s: AnnotatorStats) -> str:
        summary = by_name.get(s.annotator)
        parts = []
        if flagged_by_alpha(s):
            parts.append(alpha_figure(s, alpha))
        elif s.agreement_with_others is not None:
            parts.append(f"agreement with the others {s.agreement_with_others:.0%}")
        if summary is not None and summary.gold_agreement is not None:
            parts.append(f"with gold {summary.gold_agreement:.0%}")
        return ", ".join(parts)

    if len(flagged) == 1:
        worst = flagged[0]
        return (f"Review annotator {worst.annotator}'s labels ({share(worst)}) "
                "and re-label or drop them; then adjudicate the disputed items.")
    listed = "; ".join(f"{s.annotator} ({share(s)})" for s in flagged[:5])
    more = f" and {len(flagged) - 5} more" if len(flagged) > 5 else ""
    return f"Review the labels of annotators {listed}{more}, and re-label or drop them; then adjudicate the disputed items."


def flagged_by_others(s: AnnotatorStats) -> bool:
    """Whether agreement with the others' majority set them far below (results without `flagged_by` say it by
    having that figure)."""
    return s.agreement_with_others is not None and ("others" in s.flagged_by or not s.flagged_by)


def flagged_by_gold(s: AnnotatorStats) -> bool:
    return s.gold_agreement is not None and "gold" in s.flagged_by


def flagged_by_alpha(s: AnnotatorStats) -> bool:
    # results before own_alpha was kept were flagged by alpha without them
    return (s.own_alpha is not None or s.alpha_without is not None) and "alpha" in s.flagged_by


def alpha_figure(s: AnnotatorStats, alpha: float | None) -> str:
    """"alpha on their ratings 0.052 (alpha without them 0.891, with them 0.759)": what flags an annotator at a
    scaled level, and what it does to alpha where that was computed (the most active annotators only)."""
    with_them = f", with them {alpha:.3f}" if alpha is not None else ""
    if s.own_alpha is None:
        return f"alpha without them {s.alpha_without:.3f}{with_them}"
    without = f" (alpha without them {s.alpha_without:.3f}{with_them})" if s.alpha_without is not None else ""
    return f"alpha on their ratings {s.own_alpha:.3f}{without}"


def gold_figure(s: AnnotatorStats) -> str:
    return f"agrees with gold on {s.gold_agreement:.0%} of {s.gold_items} gold items"


def flag_figures(s: AnnotatorStats, *, as_disagreement: bool = False, alpha: float | None = None) -> list[str]:
    """The figure(s) that flagged an annotator: a gold-flagged one may share no item, or agree with the others.
    as_disagreement: the share with the others written as disagreement (the verdict's wording). alpha: the
    overall alpha, beside alpha without them where that flagged them."""
    figures = []
    if flagged_by_alpha(s):
        figures.append(alpha_figure(s, alpha))
    if flagged_by_others(s):
        share = 1 - s.agreement_with_others if as_disagreement else s.agreement_with_others
        verb = "disagrees with the others" if as_disagreement else "agrees with their majority"
        figures.append(f"{verb} on {share:.0%} of the {s.items_compared} items they share with them")
    if flagged_by_gold(s):
        figures.append(gold_figure(s))
    return figures


def ci_text(ci: list[float]) -> str:
    """An interval as "low to high": "-0.026-1.000" read as a range from 0.026, or a subtraction."""
    return f"{ci[0]:.3f} to {ci[1]:.3f}"


def undefined_text(result: AgreementResult) -> str:
    """The resamples left out of the interval, when they are more than UNDEFINED_RESAMPLES_SAID of them: the
    interval then speaks only of resamples that kept every value's variation."""
    if not result.bootstrap_resamples or result.bootstrap_undefined <= UNDEFINED_RESAMPLES_SAID * result.bootstrap_resamples:
        return ""
    return (f"; {result.bootstrap_undefined:,} of {result.bootstrap_resamples:,} resamples left out, with no variation "
            "to give an alpha")


KRIPPENDORFF_TENTATIVE = 2 / 3  # Krippendorff's ".667" is 2/3 written to three places


def tentative_bound(agreement: AgreementConfig) -> float:
    """The tentative bound alpha is compared with: a configured 0.667 (the default) is Krippendorff's .667, which
    is 2/3, so an alpha of exactly 2/3 (two coders, 3 of 18 units apart) is tentative, not "below 0.667"."""
    if agreement.tentative_alpha == round(KRIPPENDORFF_TENTATIVE, 3):
        return KRIPPENDORFF_TENTATIVE
    return agreement.tentative_alpha


def alpha_grade(alpha: float | None, agreement: AgreementConfig) -> str | None:
    """Krippendorff's reading of an alpha by the configured thresholds: what the consistency condition judges
    and what the per-file breakdown marks each file with."""
    if alpha is None:
        return None
    tentative = tentative_bound(agreement)
    # alpha sums floats: 2/3 computed may miss 2/3 by one ulp either way
    alpha = snapped(alpha, agreement.reliable_alpha, tentative)
    if alpha >= agreement.reliable_alpha:
        return "reliable"
    return "tentative" if alpha >= tentative else "unreliable"


def _label_noise_switched_off(ctx: AuditContext) -> str:
    """Why label noise did not run, where it would have judged these labels had embeddings been on; "" otherwise."""
    if ctx.train is None or ctx.has(Need.EMBEDDINGS) or "label_noise" not in ctx.not_run:
        return ""
    generation = ctx.config.task_type == "generation"  # free-text replies are not labels (label_noise._target)
    labelled = any(r.label is not None or (not generation and r.target is not None) for r in ctx.train.records)
    return ctx.not_run["label_noise"] if labelled else ""


def _annotation_layout(ctx: AuditContext) -> bool:
    """Whether the training data came as annotators' answers (an annotation tool's export, or nested, long or
    wide annotations) rather than a plain file of one label per example."""
    if ctx.train is None:
        return False
    return ctx.train.dataset.annotation_export is not None or any(r.annotations for r in ctx.train.records)


def _training_annotators(ctx: AuditContext) -> list[str]:
    """The named annotators who answered the training question, sorted ("(unknown #n)", an export's n-th answer
    to an item, is nobody in particular)."""
    if ctx.train is None:
        return []
    return sorted({a.annotator for r in ctx.train.records for a in r.annotations if not a.annotator.startswith(ANONYMOUS)})


def _single_labels_note(ctx: AuditContext, annotators: list[str]) -> str:
    """Why these answers, though annotators', are judged by label noise as a plain file's labels: "" where two or
    more named annotators answered the training question, whose missing agreement label noise cannot stand in for."""
    if len(annotators) >= 2 or not _annotation_layout(ctx):
        return ""
    export = ctx.train.dataset.annotation_export
    if not annotators:
        who = "the answers name no annotator"
    elif export is not None and export.headline:
        who = f"one annotator ({excerpt(annotators[0], 40)}) answered '{excerpt(export.headline, 60)}'"
    else:
        who = f"one annotator ({excerpt(annotators[0], 40)}) gave every label"
    return f"{who}, so label noise judges these labels as it does a plain file's"


HELD_FOR_AGREEMENT = "in annotators' answers, label noise's estimate from single labels does not stand in for their agreement"


def judge(result: AgreementResult | None, ctx: AuditContext) -> list[Finding]:
    config = ctx.config
    reliable, tentative = config.agreement.reliable_alpha, config.agreement.tentative_alpha
    if result is None:
        export = ctx.train.dataset.annotation_export if ctx.train is not None else None
        summary = "no item carries more than one annotation, so consistency cannot be judged"
        action = f"To judge label consistency, {NEED_OVERLAP}."
        unjudged = [q for q, kind in export.questions.items() if kind not in JUDGED_LEVELS] if export is not None else []
        free_text_only = bool(unjudged) and len(unjudged) == len(export.questions)
        if free_text_only:
            # Items may well carry several answers: free text and spans are read and counted, never compared.
            listed = ", ".join(f"'{excerpt(q, 60)}' ({excerpt(export.questions[q], 30)})" for q in unjudged[:5])
            summary = (f"no question of the export is one agreement compares ({listed}{', ...' if len(unjudged) > 5 else ''}: "
                       "free text or spans), so consistency cannot be judged")
            action = ("To judge label consistency, add a choice, rating or number question to the labelling task and have "
                      "two or more annotators answer an overlapping sample (10-20% of items, 200+ items).")
        headline_kind = export.questions.get(export.headline) if export is not None and export.headline else None
        free_text_headline = not free_text_only and headline_kind is not None and headline_kind not in JUDGED_LEVELS
        if free_text_headline:
            # The headline question read is free text or spans: its answers are never compared, however many an item
            # has, so more overlap is not what is missing; another question of the export is.
            judged = [q for q in export.questions if q not in unjudged]
            listed = ", ".join(f"'{excerpt(q, 60)}'" for q in judged[:5]) + (", ..." if len(judged) > 5 else "")
            summary = (f"the question read, '{excerpt(export.headline, 60)}' ({excerpt(headline_kind, 30)}), is free text "
                       "or spans, which agreement does not compare, so consistency cannot be judged")
            action = (f"To judge label consistency, read a choice, rating or number question of the export "
                      f"({said('--question', 'fields.question')}: {listed}).")
        free_text = free_text_only or free_text_headline
        # nothing compared where no question read is one agreement compares: no count of items, however many answers
        evidence = {} if free_text else {"items_with_multiple_labels": 0}
        annotators = _training_annotators(ctx)
        single_labels = "" if free_text else _single_labels_note(ctx, annotators)
        held = _annotation_layout(ctx) and len(annotators) >= 2 and not free_text
        if held:
            # Several annotators answered the training question and none overlapped: what is missing is their
            # agreement, which label noise's estimate from single labels cannot stand in for.
            evidence[JUDGED_ONLY_BY] = "agreement"
        # an export of free text or spans only is remedied by a question agreement compares, not by embeddings
        noise_off = "" if held or free_text else _label_noise_switched_off(ctx)
        if noise_off:
            # Single labels are judged by label noise when it runs: a second annotator is one remedy, not the only one.
            summary += f"; label noise, which judges single labels, did not run: {noise_off}"
            action = (f"To judge label consistency, {said('run without --no-embeddings', 'audit with embed=True')} so label "
                      f"noise estimates how many labels are wrong, or {NEED_OVERLAP}.")
        if export is not None and export.latest_only:
            summary += f" ({LATEST_ONLY_NOTE})"
            action = ("Export the project as full JSON (or audit it with --label-studio URL --project ID), which keeps "
                      "every annotator's answer; " + action[0].lower() + action[1:])
        if held:
            summary += f"; {HELD_FOR_AGREEMENT}"
        elif single_labels and not noise_off:
            summary += f"; {single_labels}"
        return [Finding("consistency", Status.UNKNOWN, summary, evidence, action)]
    # judged on alpha as computed, never on its rounding (older results carry only the rounded one)
    alpha = result.krippendorff_alpha_unrounded if result.krippendorff_alpha_unrounded is not None else result.krippendorff_alpha
    # the alpha judged next to the rounded one: 0.8 shown, WARN at 0.79996 must be readable from the evidence
    evidence = {"krippendorff_alpha": result.krippendorff_alpha, "krippendorff_alpha_unrounded": alpha,
                "alpha_ci": result.alpha_ci, "bootstrap_resamples": result.bootstrap_resamples,
                "bootstrap_resamples_undefined": result.bootstrap_undefined, "level": result.level,
                "items_with_multiple_labels": result.items_multi, "reliable": reliable, "tentative": tentative,
                "flagged_annotators": [a.annotator for a in result.annotators if a.flagged]}
    judged = [q for q in result.questions if q.level is not None]
    if result.export is not None:
        evidence["question"] = result.question
        evidence["questions"] = {q.question: q.krippendorff_alpha for q in judged}
    about = f"question '{result.question}': " if len(judged) > 1 else ""
    if alpha is None:
        summary = f"{about}agreement is undefined: {result.note}"
        if result.items_multi == 0:
            # Overlap on another question only (a reviewer answering one question of each task) leaves the
            # training question's single answers: held for agreement as when no question overlaps.
            single_labels = _single_labels_note(ctx, _training_annotators(ctx))
            if _annotation_layout(ctx) and not single_labels:
                evidence[JUDGED_ONLY_BY] = "agreement"
                summary += f"; {HELD_FOR_AGREEMENT}"
            elif single_labels:
                summary += f"; {single_labels}"
        action = f"To judge consistency, {NEED_OVERLAP}."
        if result.only_value is not None:
            # More overlap of the same kind never gives an alpha: the one value is what to look into.
            read = (("question", said("--question", "fields.question")) if result.export is not None else
                    ("columns", said("--annotator-columns", "fields.annotator_columns")) if result.layout == "wide" else
                    ("label field", said("--label-field", "fields.label")))
            action = (f"Every rating of the {result.items_multi:,} items rated twice or more is "
                      f"'{excerpt(result.only_value, 60)}': check that the right {read[0]} was read ({read[1]}) and that "
                      "the export kept every answer; a classifier needs two or more classes, so label examples of the "
                      "others too.")
        return [Finding("consistency", Status.UNKNOWN, summary, evidence, action)]
    flagged = [a for a in result.annotators if a.flagged]
    blame = ""
    action = "Tighten the labelling guidelines on the most confused label pairs and adjudicate the disputed items."
    if flagged:
        worst = flagged[0]
        figures = flag_figures(worst, as_disagreement=True, alpha=alpha)
        if flagged_by_alpha(worst):
            figures[0] = "pulls alpha down: " + figures[0]
        blame = f"; annotator {worst.annotator} " + (" and ".join(figures) or "is far below the others")
        if len(flagged) > 1:
            blame += f" ({len(flagged) - 1} more annotator(s) flagged)"
        action = _review_action(flagged, {s.annotator: s for s in result.per_annotator}, alpha)
    case = ""
    if result.case_variants:
        # An export's spelling, not a disagreement: the first thing to fix, before guidelines or annotators.
        case = "; " + case_variants_text(result.case_variants, len(result.labels), result.alpha_case_folded)
        action = ("Write each label one way (some differ only in case) in the export or the labelling tool's label "
                  "set, then audit again" + (f"; then: {action[0].lower()}{action[1:]}" if flagged else "."))
    ci = f" (95% CI {ci_text(result.alpha_ci)}{undefined_text(result)})" if result.alpha_ci else ""
    grade = alpha_grade(alpha, config.agreement)
    # Written against both bounds, as every section writes it: 0.66704 read 0.667 here and 0.66704 there. Against
    # 2/3 too where that is the bound compared with: 0.66666 read 0.6667 "below 0.667" beside a tentative 0.66669.
    compared = tentative_bound(config.agreement)
    near_compared = snapped(alpha, compared) == compared
    shown = value_text(alpha, reliable, tentative, *([] if near_compared or compared == tentative else [compared]))
    if grade == "reliable":
        bound = bound_text(reliable)
        return [Finding("consistency", Status.PASS, f"{about}Krippendorff's alpha {shown}{ci} >= {bound}{blame}{case}", evidence,
                        action if flagged or case else "")]
    if grade == "tentative":
        bound = bound_text(reliable)
        return [Finding("consistency", Status.WARN, f"{about}Krippendorff's alpha {shown}{ci} is only tentative (< {bound}){blame}{case}",
                        evidence, action)]
    bound = bound_text(tentative)
    return [Finding("consistency", Status.FAIL, f"{about}Krippendorff's alpha {shown}{ci} is below {bound}{blame}{case}",
                    evidence, action)]


CHECK = Check(id="agreement", order=40, measure=measure, judge=judge, conditions=frozenset({"consistency"}))
