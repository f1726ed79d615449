"""Coverage validity: the coverage check on cases with known truth, from CLINC150 and Banking77.

Training: the training split of the kept intents; production: the test split (CLINC150 also its out-of-scope
queries), with intents held out of training (random sets per seed), rare gaps near 5%, out-of-scope queries
at 10% and 25% of production, nothing held out, a change of mix only (20-25 intents make all of production,
all trained), a sample below the minimum, one absent intent at 7%, and cases whose training rows are shuffled
(seeded; all intents, and 40 rows per intent), since a file's order must not change the estimate, and random
training samples of 150-4,800 rows (3,000-15,000 with 12 intents left out) against 600 random test queries (issue 21), on
which coverage.min_training_inputs_per_label was chosen. Per case: true and estimated covered share, condition status
expected (from the truth: fail below min_covered_share or when the absent intents together hold more of production
than max_uncovered_scenario_share, as the rule judges its uncovered scenarios together; warn for any gap, pass without one, unknown below the minimum sample) and got, per-line AUROC of `score`, per-line precision/recall of "uncovered", how many absent
intents making >= 1% of production were named (>= half their lines in uncovered scenarios), and the lines in
uncovered scenarios when nothing is absent.

    PYTHONPATH=. .venv/bin/python benchmarks/coverage_validity.py   (needs ../shared/datasets; embeds once into
    .dataaudit-cache/, several minutes the first time)
"""

from __future__ import annotations

import csv
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dataaudit.checks.base import AuditContext  # noqa: E402
from dataaudit.checks.coverage import CHECK, CoverageConfig, coverage_lines  # noqa: E402
from dataaudit.config import Config  # noqa: E402
from dataaudit.index import build_index  # noqa: E402
from dataaudit.load.records import Dataset, Record  # noqa: E402

SHARED = ROOT.parent / "shared" / "datasets"
# $XDG_CACHE_HOME/dataaudit/embeddings where set (a cache of one's own on a shared machine), else beside the project
CACHE = (Path(os.environ["XDG_CACHE_HOME"]) / "dataaudit" if os.environ.get("XDG_CACHE_HOME") else ROOT / ".dataaudit-cache") / "embeddings"
NAMED_MIN_SHARE = 0.01  # absent intents at least this share of production must be named


@dataclass
class Case:
    name: str
    train: list[tuple[str, str]]  # (text, intent)
    production: list[tuple[str, str]]
    absent: set[str] = field(default_factory=set)


def _load():
    clinc = json.loads((SHARED / "clinc150" / "data_full.json").read_text())
    domains = json.loads((SHARED / "clinc150" / "domains.json").read_text())
    bank = {}
    for split in ("train", "test"):
        with open(SHARED / "banking77" / f"{split}.csv", newline="", encoding="utf-8") as handle:
            bank[split] = [(r["text"], r["category"]) for r in csv.DictReader(handle)]
    return clinc, domains, bank


def _with_gap_share(rng, production, absent, share):
    """Production with the absent intents at `share` of it (subsampling whichever side is too large)."""
    inside = [p for p in production if p[1] not in absent]
    outside = [p for p in production if p[1] in absent]
    n_out = int(round(share * len(inside) / (1 - share)))
    if n_out > len(outside):
        n_in = int(round(len(outside) * (1 - share) / share))
        inside = [inside[i] for i in sorted(rng.choice(len(inside), n_in, replace=False))]
        n_out = len(outside)
    return inside + [outside[i] for i in sorted(rng.choice(len(outside), n_out, replace=False))]


def _case(name, train, production, absent=()):
    absent = set(absent)
    return Case(name, [t for t in train if t[1] not in absent], list(production), absent)


def _shuffled(rows, seed):
    """The same rows in a seeded random order: a file whose rows were written in one sitting per intent keeps
    them together, and an estimator must not depend on that (CLINC150 read false gaps once shuffled)."""
    order = np.random.default_rng(seed).permutation(len(rows))
    return [rows[i] for i in order]


def _thin(rows, per_intent):
    """The first per_intent rows of each intent, in file order."""
    seen: dict[str, int] = {}
    out = []
    for text, intent in rows:
        if seen.get(intent, 0) < per_intent:
            seen[intent] = seen.get(intent, 0) + 1
            out.append((text, intent))
    return out


def build_cases(train_per_intent: int | None = None, test_per_intent: int | None = None, only: set[str] | None = None) -> list[Case]:
    """The battery; the per-intent caps shrink it for tests (None: the full splits)."""
    clinc, domains, bank = _load()

    def cap(rows, n):
        return _thin(rows, n) if n else rows

    ctrain, ctest = cap([tuple(x) for x in clinc["train"]], train_per_intent), cap([tuple(x) for x in clinc["test"]], test_per_intent)
    oos = [tuple(x) for x in clinc["oos_test"]]
    btrain, btest = cap(bank["train"], train_per_intent), cap(bank["test"], test_per_intent)
    intents = sorted({i for _, i in ctrain})
    bintents = sorted({i for _, i in btrain})
    cases: list[Case] = []
    for seed in (0, 1):
        rng = np.random.default_rng(seed)
        held = {i for d in rng.choice(sorted(domains), 3, replace=False) for i in domains[d]}
        cases.append(_case(f"CLINC150, 3 domains absent, 25% (seed {seed})", ctrain, _with_gap_share(rng, ctest, held, 0.25), held))
    for seed in (0, 1):
        rng = np.random.default_rng(10 + seed)
        held = set(rng.choice(intents, 8, replace=False))
        cases.append(_case(f"CLINC150, 8 intents absent, 5% (seed {seed})", ctrain, _with_gap_share(rng, ctest, held, 0.05), held))
    rng = np.random.default_rng(3)
    for share in (0.10, 0.25):
        oos_n = int(round(share * len(ctest) / (1 - share)))
        picked = _with_gap_share(rng, ctest + oos[:max(oos_n, 1) if test_per_intent else len(oos)], {"oos"}, share)
        cases.append(_case(f"CLINC150 out-of-scope, {share:.0%}", ctrain, picked, {"oos"}))
    cases.append(_case("CLINC150, nothing absent", ctrain, ctest))
    mix = set(np.random.default_rng(4).choice(intents, 25, replace=False))
    cases.append(_case("CLINC150, 25-intent mix only", ctrain, [p for p in ctest if p[1] in mix]))
    for seed in (0, 1, 2):
        rng = np.random.default_rng(20 + seed)
        held = set(rng.choice(bintents, 10, replace=False))
        cases.append(_case(f"Banking77, 10 intents absent (seed {seed})", btrain, btest, held))
    rng = np.random.default_rng(30)
    held = set(rng.choice(bintents, 4, replace=False))
    cases.append(_case("Banking77, 4 intents absent, 5%", btrain, _with_gap_share(rng, btest, held, 0.05), held))
    cases.append(_case("Banking77, nothing absent", btrain, btest))
    mix = set(np.random.default_rng(31).choice(bintents, 20, replace=False))
    cases.append(_case("Banking77, 20-intent mix only", btrain, [p for p in btest if p[1] in mix]))
    rng = np.random.default_rng(32)
    cases.append(_case("Banking77, 25 production inputs", btrain, [btest[i] for i in sorted(rng.choice(len(btest), 25, replace=False))]))
    # The same training rows shuffled (seeded): nothing in a file's order may change the estimate.
    cases.append(_case("CLINC150 shuffled, nothing absent", _shuffled(ctrain, 40), ctest))
    rng = np.random.default_rng(41)
    held = {i for d in rng.choice(sorted(domains), 3, replace=False) for i in domains[d]}
    cases.append(_case("CLINC150 shuffled, 3 domains absent, 25%", _shuffled(ctrain, 41), _with_gap_share(rng, ctest, held, 0.25), held))
    rng = np.random.default_rng(42)
    held = set(rng.choice(intents, 8, replace=False))
    cases.append(_case("CLINC150 shuffled, 8 intents absent, 5%", _shuffled(ctrain, 42), _with_gap_share(rng, ctest, held, 0.05), held))
    cases.append(_case("Banking77 shuffled, nothing absent", _shuffled(btrain, 43), btest))
    rng = np.random.default_rng(44)
    held = set(rng.choice(bintents, 10, replace=False))
    cases.append(_case("Banking77 shuffled, 10 intents absent", _shuffled(btrain, 44), btest, held))
    # Few rows per intent: 40 (the first 40 in file order, then shuffled), production the test split.
    small = _shuffled(_thin(ctrain, 40), 45)
    cases.append(_case("CLINC150 shuffled, 40 per intent, nothing absent", small, ctest))
    rng = np.random.default_rng(46)
    held = {i for d in rng.choice(sorted(domains), 2, replace=False) for i in domains[d]}
    cases.append(_case("CLINC150 shuffled, 40 per intent, 2 domains absent", small, _with_gap_share(rng, ctest, held, 0.15), held))
    cases.append(_case("Banking77 shuffled, 40 per intent, nothing absent", _shuffled(_thin(btrain, 40), 47), btest))
    # One absent intent above the fail line's complement: 7% of production, which clustering may split.
    rng = np.random.default_rng(48)
    one = {str(rng.choice(bintents))}
    cases.append(_case("Banking77, one intent absent, 7%", btrain, _with_gap_share(rng, btest, one, 0.07), one))
    # Few rows and a small production sample, as a user's first audit often is: 20 intents x 40 rows, 150 test
    # queries of them and 50 of 2 absent intents. Drawn as the statistics QA's probe drew it (Python's random,
    # seeded), so seed 2 is its case, whose covered share read 0.899 while its uncovered scenarios held 25%.
    for seed in (2, 3):
        cases.append(_small_case(clinc, seed))
    cases.append(_chat_probe_case(clinc))
    cases.extend(_random_training_cases(ctrain, ctest, btrain, btest))
    return [c for c in cases if only is None or c.name in only]


# Small random training sets (issue 21): rows drawn at random from the training split, production 600 random
# test rows, as QA's 300-item Banking77 batch (77 intents, about 4 rows each) that read 36.2% covered where 99%
# was true. The truth is the share of production whose intent the sample holds. The sizes span the rows per label
# where the estimate breaks and where it holds (coverage.min_training_inputs_per_label was chosen on them); the
# CLINC150 cases "minus 12 intents" also leave 12 random intents out of training (a gap of 7-11% of production),
# above the minimum and up to the whole training split.
RANDOM_SIZES = {"Banking77": (150, 300, 600, 1200, 1600, 1950, 2150, 2400), "CLINC150": (150, 300, 600, 1200, 2400, 3000, 3600, 4800)}
RANDOM_GAP_SIZES = {"CLINC150": (3000, 4500, 9000, 15000)}
RANDOM_GAP_INTENTS = 12
RANDOM_SEEDS = (0, 1, 2)
RANDOM_PRODUCTION = 600


def _random_case_names() -> list[str]:
    plain = [f"{name}, {size} random training rows (seed {seed})" for name, sizes in RANDOM_SIZES.items() for size in sizes
             for seed in RANDOM_SEEDS]
    gaps = [f"{name}, {size} random training rows minus {RANDOM_GAP_INTENTS} intents (seed {seed})"
            for name, sizes in RANDOM_GAP_SIZES.items() for size in sizes for seed in RANDOM_SEEDS]
    return plain + gaps


def _random_training_cases(ctrain, ctest, btrain, btest) -> list[Case]:
    cases = []
    splits = {"Banking77": (btrain, btest), "CLINC150": (ctrain, ctest)}
    for name, (train, test) in splits.items():
        runs = [(size, 0) for size in RANDOM_SIZES[name]] + [(size, RANDOM_GAP_INTENTS) for size in RANDOM_GAP_SIZES.get(name, ())]
        for size, gap in runs:
            for seed in RANDOM_SEEDS:
                if size > len(train):  # the tests' thinned splits
                    continue
                rng = np.random.default_rng(100 + seed)
                picked = [train[i] for i in sorted(rng.choice(len(train), size, replace=False))]
                if gap:
                    dropped = set(rng.choice(sorted({intent for _, intent in train}), gap, replace=False))
                    picked = [row for row in picked if row[1] not in dropped]
                production = [test[i] for i in sorted(rng.choice(len(test), min(RANDOM_PRODUCTION, len(test)), replace=False))]
                absent = {intent for _, intent in production} - {intent for _, intent in picked}
                label = f"{name}, {size} random training rows" + (f" minus {gap} intents" if gap else "") + f" (seed {seed})"
                cases.append(_case(label, picked, production, absent))
    return cases


def _queries_by_intent(clinc) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """CLINC150's train and test queries, each split by intent, in file order."""
    split: tuple[dict[str, list[str]], dict[str, list[str]]] = ({}, {})
    for queries, name in zip(split, ("train", "test")):
        for text, intent in clinc[name]:
            queries.setdefault(intent, []).append(text)
    return split


def _chat_probe_case(clinc) -> Case:
    """The chat QA's case as text (a chat record's query is its user turn): the first 22 intents by name, 20
    with 30 training rows, production 8 test queries of each and 20 training-split queries of the 2 others.
    Its report named one uncovered scenario of 32 lines and called 8 more lines of the absent intents covered."""
    import random

    by_intent, test_by_intent = _queries_by_intent(clinc)
    draw = random.Random(1)
    intents = sorted(by_intent)[:22]
    kept, absent = intents[:20], intents[20:]
    train = [(text, intent) for intent in kept for text in by_intent[intent][:30]]
    draw.shuffle(train)
    production = ([(text, intent) for intent in kept for text in test_by_intent[intent][10:18]]
                  + [(text, intent) for intent in absent for text in by_intent[intent][:20]])
    draw.shuffle(production)
    return _case("CLINC150, 20 intents x 30, 2 absent, 20% (small, chat probe)", train, production, absent)


def _small_case(clinc, seed: int) -> Case:
    import random

    by_intent, test_by_intent = _queries_by_intent(clinc)
    draw = random.Random(seed)
    picked = draw.sample(sorted(by_intent), 22)
    kept, absent = picked[:20], picked[20:]
    train = [(text, intent) for intent in kept for text in by_intent[intent][:40]]
    inside = [(text, intent) for intent in kept for text in test_by_intent[intent]]
    draw.shuffle(inside)
    production = inside[:150] + [(text, intent) for intent in absent for text in test_by_intent[intent][:25]]
    draw.shuffle(production)
    return _case(f"CLINC150, 20 intents x 40, 2 absent, 25% (small, seed {seed})", train, production, absent)


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _index(role: str, rows: list[tuple[str, str]], labelled: bool, embedder):
    records = [Record(f"{role}.jsonl", i + 1, "text_label", text, label=intent if labelled else None) for i, (text, intent) in enumerate(rows)]
    index = build_index(role, Dataset(role, [], records, [], len(records), 0), _normalise)
    vectors = embedder.embed(index.distinct)
    return index.with_vectors(dict(zip(index.distinct, vectors)), vectors.shape[1])


def run_case(case: Case, embedder, config: Config | None = None) -> dict:
    """Runs the coverage check on one case and scores it against the truth."""
    from sklearn.metrics import roc_auc_score

    config = config or Config()
    settings: CoverageConfig = config.section("coverage")
    ctx = AuditContext(config=config, train=_index("train", case.train, True, embedder),
                       production=_index("production", case.production, False, embedder), embedding_model=embedder.label)
    started = time.perf_counter()
    result = CHECK.measure(ctx)
    finding = CHECK.judge(result, ctx)[0]
    seconds = time.perf_counter() - started
    truth_absent = np.array([intent in case.absent for _, intent in case.production])
    true_covered = 1.0 - float(truth_absent.mean())
    intents = np.array([intent for _, intent in case.production])
    # Below either minimum the truth is that the sample cannot tell: the rule's own reading, as for production.
    if len(case.production) < settings.min_production_inputs or _per_label(case.train) < settings.min_training_inputs_per_label:
        expected = "unknown"
    # The rule judges the uncovered scenarios together (one absent intent split in two must still fail), so the
    # truth is the whole gap against the same bound, not its largest intent.
    elif true_covered < settings.min_covered_share or 1.0 - true_covered > settings.max_uncovered_scenario_share + 1e-9:
        expected = "fail"
    else:
        expected = "warn" if truth_absent.any() else "pass"
    row = {"case": case.name, "production": len(case.production), "per_label": _per_label(case.train), "true_covered": true_covered,
           "estimated": result.covered_share, "expected": expected, "got": str(finding.status), "seconds": seconds,
           "auroc": None, "precision": None, "recall": None, "named": None, "named_of": None, "false_named_lines": None,
           "mix_shift": result.mix_shift, "result": result, "finding": finding, "uncovered_share": None}
    if result.covered_share is None:
        return row
    lines = list(coverage_lines(result))
    score = np.array([line["score"] for line in lines])
    flagged = np.array([not line["covered"] for line in lines])
    row["uncovered_share"] = sum(s.size for s in result.uncovered) / max(result.production_inputs, 1)
    # Lines at the duplicates check's near-copy cosine to a training input: how many are truly uncovered, and how
    # many the check judged uncovered (whether such a copy should count as covered whatever the mixture reads).
    near = np.array([line["nearest"] is not None and line["nearest"]["similarity"] >= config.duplicates.near_cosine for line in lines])
    row["near_copies"] = (int(near.sum()), int((near & truth_absent).sum()), int((near & flagged).sum()),
                          int((near & flagged & ~truth_absent).sum()))
    if truth_absent.any():
        row["auroc"] = float(roc_auc_score(truth_absent, -score))
        row["precision"] = float((flagged & truth_absent).sum() / flagged.sum()) if flagged.any() else None
        row["recall"] = float((flagged & truth_absent).sum() / truth_absent.sum())
        uncovered_ids = {s.id for s in result.scenarios if s.uncovered}
        in_gap = np.array([line["scenario"] in uncovered_ids for line in lines])
        big = [i for i in sorted(case.absent) if (intents == i).mean() >= NAMED_MIN_SHARE]
        row["named"] = sum(in_gap[intents == i].mean() >= 0.5 for i in big)
        row["named_of"] = len(big)
    else:
        row["false_named_lines"] = int(flagged.sum())
    return row


def _per_label(train: list[tuple[str, str]]) -> float:
    """Distinct training inputs per label, as the coverage check counts them (coverage.inputs_per_label)."""
    label_of = {_normalise(text): intent for text, intent in train}
    return len(label_of) / max(len(set(label_of.values())), 1)


def _f(value, spec=".3f"):
    return "-" if value is None else format(value, spec)


def table(rows: list[dict]) -> str:
    out = ["| case | production | true covered | estimated | error | condition expected / got | per-line AUROC | "
           "precision / recall (uncovered) | absent intents >= 1% named | lines named when nothing absent | mix shift |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        error = None if r["estimated"] is None else r["estimated"] - r["true_covered"]
        named = "-" if r["named_of"] is None else f"{r['named']}/{r['named_of']}"
        mark = "" if r["expected"] == r["got"] else " ✗"
        out.append(f"| {r['case']} | {r['production']} | {r['true_covered']:.3f} | {_f(r['estimated'])} | {_f(error, '+.3f')} | "
                   f"{r['expected']} / {r['got']}{mark} | {_f(r['auroc'])} | {_f(r['precision'], '.2f')} / {_f(r['recall'], '.2f')} | "
                   f"{named} | {_f(r['false_named_lines'], 'd')} | {_f(r['mix_shift'], '.2f')} |")
    return "\n".join(out)


def goals(rows: list[dict]) -> str:
    measured = [r for r in rows if r["estimated"] is not None]
    gap = [r for r in measured if r["auroc"] is not None]
    within = sum(abs(r["estimated"] - r["true_covered"]) <= 0.03 for r in measured)
    status = sum(r["expected"] == r["got"] for r in rows)
    auroc = sum(r["auroc"] >= 0.95 for r in gap)
    named = sum(r["named"] for r in gap)
    named_of = sum(r["named_of"] for r in gap)
    precise = sum(r["precision"] is not None and r["precision"] >= 0.8 for r in gap)
    quiet = [r for r in measured if r["auroc"] is None]
    near = np.array([r["near_copies"] for r in measured if r.get("near_copies")] or [[0, 0, 0, 0]]).sum(axis=0)
    return "\n".join([
        f"- covered share within 0.03 of truth: {within} of {len(measured)} cases",
        f"- condition status right: {status} of {len(rows)} cases",
        f"- per-line AUROC >= 0.95: {auroc} of {len(gap)} cases with a gap",
        f"- absent intents (>= 1% of production) named: {named} of {named_of}",
        f"- >= 80% of lines in uncovered scenarios truly uncovered: {precise} of {len(gap)} cases with a gap",
        f"- nothing named when nothing is absent or only the mix changed: {sum(r['false_named_lines'] == 0 for r in quiet)} of {len(quiet)} cases",
        f"- (diagnostic) lines at cosine >= near_cosine to a training input: {near[0]}, {near[1]} truly uncovered; "
        f"judged uncovered {near[2]}, of them truly covered {near[3]}",
    ])


def main() -> None:
    """--part I/N runs every N-th case from the I-th and writes its rows to a JSON file (parts run in parallel on
    a busy machine); --table FILE... prints the table of the rows in those files; no argument runs everything."""
    import pickle

    args = sys.argv[1:]
    if args[:1] == ["--table"]:
        rows = [r for name in args[1:] for r in pickle.loads(Path(name).read_bytes())]
        order = {c: i for i, c in enumerate(CASE_ORDER)}
        rows.sort(key=lambda r: order.get(r["case"], len(order)))
        print(table(rows))
        print()
        print(goals(rows))
        return
    if not (SHARED / "clinc150").exists() or not (SHARED / "banking77").exists():
        sys.exit("../shared/datasets/clinc150 and banking77 are needed beside the project")
    from dataaudit.embeddings import Embedder

    embedder = Embedder(cache_dir=CACHE)
    part, parts = (int(x) for x in args[1].split("/")) if args[:1] == ["--part"] else (0, 1)
    # --cases TEXT runs only the cases whose name holds TEXT (while iterating; the table is of those alone)
    wanted = args[args.index("--cases") + 1] if "--cases" in args else None
    rows = []
    for case in [c for c in build_cases() if wanted is None or wanted in c.name][part::parts]:
        row = run_case(case, embedder)
        rows.append({k: v for k, v in row.items() if k not in ("result", "finding")})
        print(f"  {case.name}: {row['seconds']:.1f} s", file=sys.stderr, flush=True)
    if args[:1] == ["--part"]:
        Path(args[2]).write_bytes(pickle.dumps(rows))
        return
    print(table(rows))
    print()
    print(goals(rows))


CASE_ORDER = [c for c in (
    "CLINC150, 3 domains absent, 25% (seed 0)", "CLINC150, 3 domains absent, 25% (seed 1)", "CLINC150, 8 intents absent, 5% (seed 0)",
    "CLINC150, 8 intents absent, 5% (seed 1)", "CLINC150 out-of-scope, 10%", "CLINC150 out-of-scope, 25%", "CLINC150, nothing absent",
    "CLINC150, 25-intent mix only", "Banking77, 10 intents absent (seed 0)", "Banking77, 10 intents absent (seed 1)",
    "Banking77, 10 intents absent (seed 2)", "Banking77, 4 intents absent, 5%", "Banking77, nothing absent",
    "Banking77, 20-intent mix only", "Banking77, 25 production inputs", "CLINC150 shuffled, nothing absent",
    "CLINC150 shuffled, 3 domains absent, 25%", "CLINC150 shuffled, 8 intents absent, 5%", "Banking77 shuffled, nothing absent",
    "Banking77 shuffled, 10 intents absent", "CLINC150 shuffled, 40 per intent, nothing absent",
    "CLINC150 shuffled, 40 per intent, 2 domains absent", "Banking77 shuffled, 40 per intent, nothing absent",
    "Banking77, one intent absent, 7%", "CLINC150, 20 intents x 40, 2 absent, 25% (small, seed 2)",
    "CLINC150, 20 intents x 40, 2 absent, 25% (small, seed 3)", "CLINC150, 20 intents x 30, 2 absent, 20% (small, chat probe)",
    *_random_case_names())]


if __name__ == "__main__":
    main()
