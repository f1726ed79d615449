"""Personal-data scan at scale: 1,000,000 short records (real CLINC150 / Banking77 queries, a third with order
numbers, dates or amounts added), one planted value every 5,000 records, scanned by the `pii` check.

    .venv/bin/python benchmarks/bench_pii.py [--records N]

Prints seconds, records/s, the recall on the planted values per kind and the findings outside them, and the
seconds one long record takes (16,000 e-mail addresses, 112 KB; 20,000 phone numbers excerpted): the work grows with
a text's values, not their square.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.corpus import base_queries  # noqa: E402
from dataaudit.checks.base import AuditContext  # noqa: E402
from dataaudit.checks.pii import measure_pii  # noqa: E402
from dataaudit.config import Config, config_from_dict  # noqa: E402
from dataaudit.excerpt import excerpt  # noqa: E402
from dataaudit.index import build_index  # noqa: E402
from dataaudit.load.records import Dataset, Record  # noqa: E402
from dataaudit.scan.pii import scan_text  # noqa: E402

LOOK_ALIKES = [" for order #{n}", " placed on 2024-{m:02d}-{d:02d}", " it cost ${n3}.{c:02d}", " ref {n}-{d:02d}", " tracking 1Z{n}{n3}",
               " app version {m}.{d}.{n3}", " booked for {d:02d}/{m:02d}/2025", " invoice INV-{n}"]
PLANTED = {
    "email": lambda r: f" reach me at {r.choice(['ana', 'li.wei', 'j.smith'])}{r.randrange(100)}@example.com",
    "phone": lambda r: f" call me on +44 20 7946 {r.randrange(1000, 10000)}",
    "credit_card": lambda r: " my card is 4111 1111 1111 1111",
    "iban": lambda r: " IBAN DE89 3704 0044 0532 0130 00",
    "secret": lambda r: f" my key is AKIA{''.join(r.choice('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567') for _ in range(16))}",
}


def build(n: int, seed: int = 0) -> tuple[list[Record], dict[int, str]]:
    rng = random.Random(seed)
    queries, _ = base_queries()
    kinds = list(PLANTED)
    records, planted = [], {}
    for i in range(n):
        text = rng.choice(queries)
        if rng.random() < 0.33:
            text += rng.choice(LOOK_ALIKES).format(n=rng.randrange(10**6, 10**7), n3=rng.randrange(100, 1000), c=rng.randrange(100),
                                                   m=rng.randrange(1, 13), d=rng.randrange(1, 29))
        if i % 5000 == 2500:
            kind = kinds[(i // 5000) % len(kinds)]
            text += PLANTED[kind](rng)
            planted[i + 1] = kind
        records.append(Record("bench.jsonl", i + 1, "text_label", text, label="x"))
    return records, planted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--regions", default="US,GB", help="phone regions (comma-separated)")
    args = parser.parse_args()
    records, planted = build(args.records)
    config = config_from_dict({"pii": {"max_listed": 10**9, "phone_regions": args.regions.split(",")}}) if args.regions else Config()
    index = build_index("train", Dataset("bench", [], records, [], len(records), 0), lambda text: "")  # the scan reads records only
    distinct = len({r.input_text for r in records})
    start = time.perf_counter()
    result = measure_pii(AuditContext(config=config, train=index))
    seconds = time.perf_counter() - start
    found = {(f.line, f.kind) for f in result.findings}
    recall = Counter(kind for line, kind in planted.items() if (line, kind) in found)
    total = Counter(planted.values())
    extra = [f for f in result.findings if planted.get(f.line) != f.kind]
    print(f"records: {len(records):,} ({distinct:,} distinct texts), planted: {len(planted)}")
    print(f"scan: {seconds:.1f} s, {len(records) / seconds:,.0f} records/s")
    print("planted recall: " + ", ".join(f"{k} {recall[k]}/{total[k]}" for k in PLANTED) + f"; overall {sum(recall.values()) / len(planted):.3f}")
    print(f"findings outside the planted values: {len(extra)}" + (f" (first: {extra[0].kind} {extra[0].masked} line {extra[0].line})" if extra else ""))
    print(long_record())


def long_record() -> str:
    addresses, phones = "a@b.co " * 16_000, "(212) 555-0147 " * 20_000
    start = time.perf_counter()
    found = len(scan_text(addresses))
    scanned = time.perf_counter() - start
    start = time.perf_counter()
    excerpt(phones)
    excerpted = time.perf_counter() - start
    return (f"one long record: scan of {found:,} addresses ({len(addresses) // 1000} KB) {scanned:.2f} s; "
            f"excerpt of 20,000 phone numbers {excerpted:.1f} s")


if __name__ == "__main__":
    main()
