"""Writes the sample data set (written for this project; deterministic, seeded). Run from the repo root:

    python sample_data/make_sample.py

support_tickets.jsonl  chat-format classification export: ~260 tickets, 6 labels, with planted problems:
                       malformed lines, exact and case/whitespace duplicates, conflicting labels, a rare label,
                       an e-mail address, a phone number and an AWS access key id in three tickets;
                       five wrong labels (label noise)
support_eval.jsonl     eval set, 3 of whose tickets also sit in training (leakage)
production.jsonl       production inputs: the training topics, plus two topics training lacks
                       (gift cards, personal-data requests)
annotation_batch.csv   long layout (item_id, annotator, label, text): 4 annotators, ann_d careless
prompt_log.csv         prompt-engineering iterations that plateau
decision.toml          config with the decision inputs (maintenance, economics)
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).parent
SYSTEM = "You are Acme's support triage assistant. Answer with the ticket's category only."

TOPICS = {
    "billing": [
        "I was charged twice for my {plan} subscription", "there is a fee on my invoice I don't recognise",
        "my card was billed after I cancelled the {plan} plan", "I need a copy of the invoice for {month}",
        "the amount on my bill is higher than the {plan} price", "how do I change the card you charge each month",
        "you took payment before my free trial ended", "my discount code was not applied to the {month} bill",
        "why did my monthly price go up without notice", "I want a refund for the duplicate charge from {month}",
        "my company needs invoices with our VAT number on them", "the payment failed but my bank says the money left",
        "I was billed in dollars although I live in the UK", "can I switch from monthly to yearly billing and keep my credit",
        "your invoice lists a product I never ordered", "the charge shows up under a strange company name on my statement",
    ],
    "shipping": [
        "my order {order} still hasn't arrived", "the tracking for {order} hasn't updated in a week",
        "the courier says delivered but there is no parcel at my door", "can I change the delivery address for {order}",
        "my package arrived with the box crushed", "how long does express shipping take to {city}",
        "only half of order {order} was delivered", "the delivery driver never rang the bell, he left a note",
        "can you hold my parcel at the depot in {city}", "why is shipping to {city} so expensive",
        "the estimated delivery date keeps moving for {order}", "I received someone else's parcel instead of mine",
        "do you deliver on Saturdays", "the parcel was left with a neighbour I don't know",
        "customs held my parcel and want paperwork", "I paid for next-day delivery and it took five days",
    ],
    "returns": [
        "how do I return the {item} I bought", "the {item} doesn't fit, can I exchange it for another size",
        "I sent the {item} back two weeks ago and still no refund", "the return label link is broken",
        "can I return an opened {item}", "the {item} arrived damaged, I want to send it back",
        "what is the return window for sale items", "I returned the wrong {item} by mistake",
        "do I pay for return shipping on the {item}", "the store refused my return of the {item}",
        "the refund went to an old card that is closed", "can I return a gift without the receipt",
        "the courier never came to collect my return", "I got store credit but asked for my money back",
    ],
    "account": [
        "I can't log in to my account", "the password reset email never arrives",
        "how do I change the email address on my account", "my account was locked after too many attempts",
        "I want to merge two accounts I created by accident", "someone else logged into my account from {city}",
        "the two-factor code is not accepted", "how do I change the name shown on my profile",
        "I can't update my phone number in settings", "my account says suspended but I did nothing wrong",
        "how do I close my account for good", "I never signed up but I get your welcome emails",
        "my order history disappeared from my account", "I want to add my partner as a second user",
    ],
    "technical": [
        "the app crashes when I open the {screen} screen", "the website shows an error 500 at checkout",
        "I can't upload a photo to my profile, it just spins", "the {screen} page loads blank on my phone",
        "notifications stopped working after the last update", "the search results are empty for every query",
        "the app logs me out every few minutes", "dark mode makes the {screen} text unreadable",
        "the checkout button does nothing when I tap it", "syncing between my laptop and phone is broken",
        "the barcode scanner in the app doesn't focus", "images on product pages don't load on my tablet",
        "the app drains my battery in the background", "I get a certificate warning when I open your site",
    ],
    "warranty_claim": [
        "my {item} stopped working after three months, is it under warranty",
        "the warranty card for my {item} was missing from the box",
        "how do I file a warranty claim for a broken {item}",
    ],
}
UNCOVERED = {  # production topics with no training examples
    "gift cards": [
        "my gift card code says it was already redeemed", "can I use two gift cards on one order",
        "the balance on my gift card is wrong after one purchase", "how do I buy a digital gift card for a friend",
        "my gift card expired, can you reactivate it", "the gift card I received as a present is not accepted at checkout",
    ],
    "personal data": [
        "please delete all personal data you hold about me", "I want an export of all the data you store about me under GDPR",
        "who do you share my personal information with", "remove my address and phone number from your marketing lists",
        "I want to know what data your app collects about me", "send me a copy of my data, I am making a subject access request",
    ],
}
SLOTS = {
    "plan": ["Basic", "Plus", "Family", "Business", "annual", "student"],
    "month": ["January", "March", "May", "August", "October", "December"],
    "order": ["#48213", "#50977", "#31020", "#77410", "#66208", "#90415", "#12876"],
    "city": ["Leeds", "Lyon", "Porto", "Gdansk", "Bristol", "Turin", "Ghent"],
    "item": ["jacket", "blender", "headphones", "desk lamp", "running shoes", "backpack", "kettle", "monitor"],
    "screen": ["orders", "settings", "basket", "wishlist", "help"],
}
OPENERS = ["", "Hi, ", "Hello, ", "Good morning. ", "Hey support, ", "Hi there. ", "Quick question: ", "Urgent: "]
CLOSERS = ["", "", " Thanks.", " Please help.", " This is the second time I'm asking.", " Can someone get back to me today?",
           " I've been a customer for years.", " Thanks in advance!", " What are my options?"]


def fill(template: str, rng: random.Random) -> str:
    return template.format(**{k: rng.choice(v) for k, v in SLOTS.items()})


def ticket(template: str, rng: random.Random) -> str:
    body = fill(template, rng)
    opener = rng.choice(OPENERS)
    text = opener + (body[0].upper() + body[1:] if opener in ("", "Good morning. ", "Hi there. ", "Urgent: ") else body)
    return text + rng.choice([".", "?", "!", "."]) * (not text.endswith("?")) + rng.choice(CLOSERS)


def chat(text: str, label: str, record_id: str) -> dict:
    return {"id": record_id, "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": text},
                                          {"role": "assistant", "content": label}]}


def unique_tickets(rng: random.Random, counts: dict[str, int], seen: set[str], templates: dict[str, list[str]] | None = None,
                   max_uses: int = 0) -> list[tuple[str, str]]:
    """Tickets with distinct text; max_uses caps how often one template appears (templated copies are near duplicates)."""
    templates = templates or TOPICS
    uses: dict[str, int] = {}
    out = []
    for label, n in counts.items():
        made = 0
        while made < n:
            template = rng.choice(templates[label])
            if max_uses and uses.get(template, 0) >= max_uses:
                continue
            text = ticket(template, rng)
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            uses[template] = uses.get(template, 0) + 1
            out.append((text, label))
            made += 1
    rng.shuffle(out)
    return out


def main() -> None:
    rng = random.Random(20261123)
    seen: set[str] = set()
    held_out = {label: templates[-2:] for label, templates in TOPICS.items() if label != "warranty_claim"}
    train_templates = {label: templates[:-2] if label in held_out else templates for label, templates in TOPICS.items()}
    tickets = unique_tickets(rng, {"billing": 60, "shipping": 54, "returns": 46, "account": 44, "technical": 40, "warranty_claim": 4},
                             seen, train_templates, max_uses=5)
    lines = [json.dumps(chat(t, label, f"T{i:04d}"), ensure_ascii=False) for i, (t, label) in enumerate(tickets, 1)]
    # Planted personal data and a credential, all fake (the phone number is in Ofcom's range for drama, the key is
    # random), on tickets that carry no other planted problem.
    for index, extra in ((10, " My login email is maria.lopez@example.org."), (118, " Call me on +44 20 7946 0958."),
                         (199, " Our logs show this key in the failing request: AKIAQX4BZ7RT2WKD5N3M")):
        text, label = tickets[index]
        lines[index] = json.dumps(chat(text + extra, label, f"T{index + 1:04d}"), ensure_ascii=False)

    # Planted wrong labels: five tickets filed under another category (label noise). Their own generator, so
    # every other planted problem stays as it was; tickets that are copied below (duplicates, conflicts,
    # eval leakage) are left alone so a copy does not turn into a conflict.
    noise_rng = random.Random(15)
    copied = {3, 5, 17, 22, 40, 60, 77, 88, 99, 131, 140, 150, 201}
    candidates = [i for i, (_, label) in enumerate(tickets) if i not in copied and label != "warranty_claim"]
    for i in sorted(noise_rng.sample(candidates, 5)):
        text, label = tickets[i]
        wrong = noise_rng.choice([x for x in ("billing", "shipping", "returns", "account", "technical") if x != label])
        lines[i] = json.dumps(chat(text, wrong, f"T{i + 1:04d}"), ensure_ascii=False)

    # Planted duplicates: exact copies and case/whitespace variants, placed later in the file.
    for source in (5, 17, 40, 88, 131):
        text, label = tickets[source]
        lines.append(json.dumps(chat(text, label, f"D{source:04d}")))
    for source in (60, 150):
        text, label = tickets[source]
        lines.append(json.dumps(chat("  " + text.upper().replace(" ", "  ") + " ", label, f"V{source:04d}")))
    # Planted conflicts: the same ticket with a different category.
    for source, other in ((22, "returns"), (99, "billing"), (201, "technical")):
        text, label = tickets[source]
        lines.append(json.dumps(chat(text, other if other != label else "account", f"C{source:04d}")))
    # Planted malformed lines; their line numbers are what the README and tests expect.
    malformed = [
        '{"id": "M1", "messages": [{"role": "user", "content": "My parcel is late"}, {"role": "assistant", "content": "shipping"}',
        json.dumps({"id": "M2", "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "I need a refund for my order"}]}),
        json.dumps({"id": "M3", "messages": [{"role": "customer", "content": "The app keeps crashing"}, {"role": "assistant", "content": "technical"}]}),
        json.dumps({"id": "M4", "messages": [{"role": "user", "content": ""}, {"role": "assistant", "content": "billing"}]}),
        json.dumps({"id": "M5", "messages": [{"role": "assistant", "content": "account"}, {"role": "user", "content": "I can't log in"}]}),
    ]
    for offset, bad in zip((37, 112, 190, 230, 251), malformed):
        lines.insert(offset, bad)
    (HERE / "support_tickets.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # Eval set: fresh tickets plus three copied from training (leakage).
    eval_tickets = unique_tickets(rng, {"billing": 6, "shipping": 6, "returns": 6, "account": 6, "technical": 6}, seen, held_out, max_uses=3)
    eval_tickets += [tickets[i] for i in (3, 77, 140)]
    (HERE / "support_eval.jsonl").write_text(
        "".join(json.dumps(chat(t, label, f"E{i:03d}")) + "\n" for i, (t, label) in enumerate(eval_tickets, 1)), encoding="utf-8")

    # Production: inputs only, drawn from the training topics plus the two uncovered topics.
    production = [t for t, _ in unique_tickets(rng, {"billing": 38, "shipping": 36, "returns": 28, "account": 26, "technical": 24}, seen, train_templates)]
    for templates, n in ((UNCOVERED["gift cards"], 16), (UNCOVERED["personal data"], 12)):
        for _ in range(n):
            production.append(ticket(rng.choice(templates), rng))
    rng.shuffle(production)
    (HERE / "production.jsonl").write_text("".join(json.dumps({"text": t}) + "\n" for t in production), encoding="utf-8")

    # Annotation batch, long layout: 120 items x 4 annotators; ann_d is careless (random label 45% of the time).
    labels = ["billing", "shipping", "returns", "account", "technical"]
    items = unique_tickets(rng, {label: 24 for label in labels}, seen)
    error_rate = {"ann_a": 0.04, "ann_b": 0.06, "ann_c": 0.05, "ann_d": 0.45}
    with (HERE / "annotation_batch.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["item_id", "annotator", "label", "text"])
        for i, (text, truth) in enumerate(items, 1):
            for annotator, rate in error_rate.items():
                label = rng.choice([x for x in labels if x != truth]) if rng.random() < rate else truth
                writer.writerow([f"B{i:03d}", annotator, label, text if annotator == "ann_a" else ""])

    # Prompt log: ten iterations that climb, then plateau near 0.81.
    scores = [0.58, 0.66, 0.71, 0.75, 0.78, 0.80, 0.805, 0.81, 0.808, 0.812]
    with (HERE / "prompt_log.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["iteration", "prompt_version", "score"])
        for i, score in enumerate(scores, 1):
            writer.writerow([i, f"v{i}", score])


if __name__ == "__main__":
    main()
