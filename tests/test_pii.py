"""Personal data and credentials: recall per kind on planted values, silence on look-alikes, masking everywhere."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from stdnum import luhn

from dataaudit.checks.base import AuditContext, Status
from dataaudit.checks.pii import judge_pii, measure_pii, record_texts
from dataaudit.load.records import Record
from dataaudit.config import Config, ConfigError, config_from_dict
from dataaudit.excerpt import excerpt
from dataaudit.index import build_index
from dataaudit.load.dataset import load_dataset
from dataaudit.scan.pii import KINDS, ScanOptions, masked_form, redact_text, scan_text

from conftest import SAMPLE, chat, shared_dataset, write_jsonl

# Each kind in several of the forms it takes in real tickets: (sentence, the value planted in it).
PLANTED: dict[str, list[tuple[str, str]]] = {
    "email": [
        ("Please write to jane.doe+billing@example.co.uk about it.", "jane.doe+billing@example.co.uk"),
        ("From: JOHN_SMITH@Mail.Example.com", "JOHN_SMITH@Mail.Example.com"),
        ("reply to <maria.lopez@example.org>, thanks", "maria.lopez@example.org"),
        ("mailto:ops-team@sub.example-corp.io?subject=x", "ops-team@sub.example-corp.io"),
    ],
    "phone": [
        ("Call me at (415) 555-2671 after 5pm", "(415) 555-2671"),
        ("my UK number: +44 20 7946 0958.", "+44 20 7946 0958"),
        ("from abroad dial 0044 20 7946 0958", "0044 20 7946 0958"),
        ("office 020 7946 0958, ask for Sam", "020 7946 0958"),
        ("cell 415.555.2671", "415.555.2671"),
        ("+1-415-555-2671 is my work line", "+1-415-555-2671"),
        ("Berlin office +49 30 901820", "+49 30 901820"),
        ("phone 4155552671", "4155552671"),
    ],
    "credit_card": [
        ("card 4111 1111 1111 1111 exp 12/26", "4111 1111 1111 1111"),
        ("charged to 5500-0000-0000-0004 twice", "5500-0000-0000-0004"),
        ("amex 378282246310005", "378282246310005"),
        ("amex 3782 822463 10005 declined", "3782 822463 10005"),
        ("Discover 6011111111111117.", "6011111111111117"),
    ],
    "iban": [
        ("IBAN GB82 WEST 1234 5698 7654 32 AND the sort code", "GB82 WEST 1234 5698 7654 32"),
        ("refund to DE89370400440532013000 please", "DE89370400440532013000"),
        ("FR14 2004 1010 0505 0001 3M02 606 is my account", "FR14 2004 1010 0505 0001 3M02 606"),
        ("NL91ABNA0417164300", "NL91ABNA0417164300"),
    ],
    "us_ssn": [
        ("SSN 123-45-6789 on file", "123-45-6789"),
        ("social 123 45 6789", "123 45 6789"),
        ("ssn: 123456789", "123456789"),
    ],
    "ip_address": [
        ("login from 81.2.69.142 yesterday", "81.2.69.142"),
        ("resolver 8.8.8.8.", "8.8.8.8"),
        ("http://81.2.69.142:8080/admin", "81.2.69.142"),
        ("IPv6 2001:4860:4860::8888 blocked", "2001:4860:4860::8888"),
    ],
    "secret": [
        ("my key AKIAQX4BZ7RT2WKD5N3M thanks", "AKIAQX4BZ7RT2WKD5N3M"),
        ("token ghp_1234567890abcdefghijABCDEFGHIJ123456 ok", "ghp_1234567890abcdefghijABCDEFGHIJ123456"),
        ("use glpat-Zx8Qp2Lm9Vt4Rk7Ws3Yb for CI", "glpat-Zx8Qp2Lm9Vt4Rk7Ws3Yb"),
        ("bot xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx posts", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
        ("hook https://hooks.slack.com/services/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",
         "https://hooks.slack.com/services/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"),
        ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("OPENAI_API_KEY=sk-proj-abcdefghij1234567890T3BlbkFJabcdefghij1234567890",
         "sk-proj-abcdefghij1234567890T3BlbkFJabcdefghij1234567890"),
        ("maps key AIzaSyD-1234567890abcdefghijklmnopqrstu in the app", "AIzaSyD-1234567890abcdefghijklmnopqrstu"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
         "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
         "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ."
         "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
        ("here:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq98Zx\nQp2Lm9Vt4Rk7Ws3Yb==\n-----END RSA PRIVATE KEY-----\nbye",
         "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7bq98Zx\nQp2Lm9Vt4Rk7Ws3Yb==\n-----END RSA PRIVATE KEY-----"),
        ("my api key is 9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c", "9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"),
        ("config: api_key=Zx8Qp2Lm9Vt4Rk7Ws3Yb", "Zx8Qp2Lm9Vt4Rk7Ws3Yb"),
        ("db url postgres://admin:Zx8Qp2Lm9V@db.example.com/prod", "Zx8Qp2Lm9V"),
        # Environment and configuration names, where the key word is one part of a longer name.
        ("my config has aws_secret_access_key = q8Lm2VxT7pR4nZ0bW9cY3kH6jF1sD5gA8eU2iO7t is that safe",
         "q8Lm2VxT7pR4nZ0bW9cY3kH6jF1sD5gA8eU2iO7t"),
        ("I pasted OPENAI_API_KEY=Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS in the chat by mistake", "Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS"),
        ("our .env says DB_PASSWORD=q8Lm2VxT7pR4nZ0b and more", "q8Lm2VxT7pR4nZ0b"),
        ("GITHUB_TOKEN=Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS", "Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS"),
        ("{\"dbPassword\": \"q8Lm2VxT7pR4nZ0bW9\"}", "q8Lm2VxT7pR4nZ0bW9"),
        ("client-secret: Zk39dLq0Pw7XcV2bNm8R", "Zk39dLq0Pw7XcV2bNm8R"),
    ],
}

# Numbers and strings that look like the kinds above and are not.
LOOK_ALIKES = [
    "Order #1234567890 shipped", "order 1234567812345670 (16 digits, fails Luhn)", "card 4111 1111 1111 1112 fails Luhn",
    "invoice INV-2024-001234 and invoice 2024001234", "ticket 55512345678",
    "Dates 2024-03-15, 12/03/2024, 15.03.2024 and 2024-03-15T10:22:33Z at 10:22:33",
    "Amount $1,234,567.89 and EUR 12 345 678,90 and 1.234.567,89 €",
    "Tracking 1Z999AA10123456784, USPS 9400 1000 0000 0000 0000 00, FedEx 7489 1234 5678",
    "Booking ref ABC123, PNR X7K9QZ, flight BA0117, seat 14C",
    "version v2.3.14, build 20240315.1, version 1.2.3.4, Chrome/120.0.0.0",
    "private network 192.168.1.20 and 10.0.0.1, localhost 127.0.0.1",
    "uuid 123e4567-e89b-12d3-a456-426614174000, commit 3f786850e387550fdab836ed7e6dc881de23001b",
    "see logo@2x.png, ping @support and user@localhost",
    "password: I forgot it", "reset my password: correcthorsebatterystaple", "the token expired yesterday",
    "set OPENAI_API_KEY=your-api-key-here", "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}", "SECRET_KEY=os.environ['SECRET_KEY']",
    "token_type_ids = input_ids_shifted_by_1", "max_tokens=4096 in tokenizer_config.json", "PASSWORD_MIN_LENGTH=12",
    "the tokens 12345678901234567 were counted", "a secretary, ref Q8LM2VXT7PR4NZ0BW9",
    "my SSN is not something I will share", "SSN 078-05-1120 is the famous invalid one",
    "ISBN 978-3-16-148410-0 and EAN 4006381333931",
    "12:30:45 and 00:1A:2B:3C:4D:5E",
]


def _found(text: str, options: ScanOptions | None = None) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start:f.end]) for f in scan_text(text, options)]


@pytest.mark.parametrize("kind", KINDS)
def test_every_planted_value_of_each_kind_is_found_with_its_exact_extent(kind):
    missed = [value for text, value in PLANTED[kind] if (kind, value) not in _found(text)]
    recall = 1 - len(missed) / len(PLANTED[kind])
    assert recall == 1.0, f"{kind}: recall {recall:.2f}, missed {missed}"


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_look_alikes_raise_no_alarm(text):
    assert _found(text) == []


def test_no_alarm_on_real_news_sentences_and_banking_queries():
    # RTE-1 news sentences are full of dates, amounts, counts and years; Banking77 queries talk about cards,
    # PINs and passwords without holding any. Neither holds a real value of any kind.
    import pandas as pd

    rte = pd.read_csv(shared_dataset("snow2008_rte") / "rte1.tsv", sep="\t", dtype=str, keep_default_na=False)
    banking = pd.read_csv(shared_dataset("banking77") / "test.csv", dtype=str, keep_default_na=False)
    texts = set(rte["text"]) | set(rte["hypothesis"]) | set(banking["text"])
    assert len(texts) > 4500
    assert {t: _found(t) for t in texts if _found(t)} == {}


def test_kinds_can_be_switched_off_and_regions_change_national_forms():
    assert _found("mail jane@example.com or call +44 20 7946 0958", ScanOptions(kinds=frozenset({"phone"}))) == [("phone", "+44 20 7946 0958")]
    assert _found("office 020 7946 0958", ScanOptions(phone_regions=("US",))) == []
    assert _found("office 020 7946 0958", ScanOptions(phone_regions=("GB",))) == [("phone", "020 7946 0958")]


def test_a_card_number_is_one_card_finding_not_also_a_phone():
    assert _found("pay with 4111 1111 1111 1111 now") == [("credit_card", "4111 1111 1111 1111")]


@pytest.mark.parametrize("kind,text,value", [(k, t, v) for k in KINDS for t, v in PLANTED[k]])
def test_masked_form_names_the_kind_and_shows_at_most_the_last_four_characters(kind, text, value):
    (finding,) = [f for f in scan_text(text) if f.kind == kind]
    assert finding.masked.startswith(f"<{kind.upper()}")
    shown, tag = re.fullmatch(rf"<{kind.upper()}(?: …(.*?))?(?: #([0-9a-f]{{4}}))?>", finding.masked, re.S).groups()
    assert len(shown or "") <= 4 and value.endswith(shown or "")
    # An address is also tagged by its digest, case-blind (an address's case does not make another mailbox).
    assert tag == (hashlib.sha256(value.lower().encode()).hexdigest()[:4] if kind == "email" else None)
    assert value not in excerpt(text, limit=10_000, markdown=False)


def test_masked_form_of_short_values_shows_a_quarter():
    assert masked_form("ip_address", "8.8.8.8") == "<IP_ADDRESS …8>"
    assert masked_form("secret", "-----BEGIN RSA PRIVATE KEY-----\nabc") == "<SECRET>"


def test_redact_text_uses_placeholders():
    text, findings = redact_text("mail jane@example.com, card 4111-1111-1111-1111, key AKIAQX4BZ7RT2WKD5N3M")
    assert text == "mail <EMAIL>, card <CREDIT_CARD>, key <SECRET>"
    assert [f.kind for f in findings] == ["email", "credit_card", "secret"]


def _card(prefix: str, body: str) -> str:
    partial = (prefix + body)[:15]
    return partial + luhn.calc_check_digit(partial)


emails = st.from_regex(r"[a-z][a-z0-9._]{0,15}[a-z0-9]@[a-z]{2,10}\.(com|org|net|de|io)", fullmatch=True)
cards = st.builds(_card, st.sampled_from(["4", "51", "55", "2221", "6011"]), st.text("0123456789", min_size=15, max_size=15))


@settings(max_examples=150, deadline=None)
@given(prefix=st.text(max_size=40), value=st.one_of(emails, cards), suffix=st.text(max_size=40),
       limit=st.integers(min_value=1, max_value=400))
def test_excerpt_never_shows_a_planted_email_or_card(prefix, value, suffix, limit):
    text = f"{prefix} {value} {suffix}"
    assert value not in excerpt(text, limit=limit, markdown=False)
    assert value not in excerpt(text, limit=limit)


def test_record_texts_reads_the_input_and_target_of_a_record_without_its_parsed_source():
    without_source = Record("t.jsonl", 1, "chat", "hi\nagain", target="billing", label="billing")
    assert list(record_texts(without_source, "text", "label")) == [("messages[user]", "hi\nagain"), ("messages[assistant]", "billing")]


# A chat line whose personal data sits outside message content: a tool call's arguments (text the model is
# trained to write), a message's name, a refusal.
TOOL_LINES = [
    {"messages": [{"role": "system", "content": "escalate to ops@example.com"}, {"role": "user", "content": "open a ticket"},
                  {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function", "function": {
                      "name": "open_ticket", "arguments": json.dumps({"email": "maria.lopez@examplecorp.com", "aws": "AKIAIOSFODNN7EXAMPLF"})}}]},
                  {"role": "tool", "tool_call_id": "c1", "content": "done"}, {"role": "assistant", "content": "Ticket opened."}]},
    {"messages": [{"role": "user", "content": "where is my order?", "name": "john.smith@corp.com"},
                  {"role": "assistant", "content": "", "refusal": "I cannot share that with +44 20 7946 0958."}]},
    {"messages": [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}]},
]


def test_tool_call_arguments_names_and_refusals_are_scanned_and_a_key_in_arguments_fails_hygiene(tmp_path):
    path = write_jsonl(tmp_path / "tools.jsonl", TOOL_LINES)
    result = measure_pii(_ctx(Config(), path))
    assert sorted((f.line, f.field, f.kind) for f in result.findings) == [
        (1, "messages[0].content", "email"),
        (1, "messages[2].tool_calls[0].function.arguments", "email"),
        (1, "messages[2].tool_calls[0].function.arguments", "secret"),
        (2, "messages[0].name", "email"),
        (2, "messages[1].refusal", "phone"),
    ]
    assert (result.records, result.records_with_findings, result.personal_records, result.secret_records) == (3, 2, 2, 1)
    statuses = [f.status for f in judge_pii(result, _ctx(Config(), path))]
    assert Status.FAIL in statuses


def test_the_check_finds_what_redact_replaces_in_a_chat_line(tmp_path):
    from dataaudit.fix.redact import redact

    path = write_jsonl(tmp_path / "tools.jsonl", TOOL_LINES)
    summary = redact(path, tmp_path / "clean.jsonl", Config())
    replaced = [json.loads(line) for line in summary.sidecar.read_text().splitlines()]
    result = measure_pii(_ctx(Config(), path))
    assert sorted((f.line, f.field, f.kind, f.masked) for f in result.findings) == sorted(
        (r["line"], r["field"], r["kind"], r["masked"]) for r in replaced)
    assert summary.replaced == result.findings_total == 5


# ---------------------------------------------------------------------------------------------------
# The check


def _ctx(config: Config, train: Path, eval_path: Path | None = None, production: Path | None = None) -> AuditContext:
    def index(role, path):
        return build_index(role, load_dataset(path, config, role=role, name=role), str.casefold) if path else None

    return AuditContext(config=config, train=index("train", train), eval=index("eval", eval_path), production=index("production", production))


def _tickets(n: int, planted: dict[int, str]) -> list[dict]:
    return [chat(f"ticket number {i} about my order" + (f" {planted[i]}" if i in planted else ""), "billing" if i % 2 else "shipping")
            for i in range(n)]


def test_check_lists_each_finding_by_file_line_and_field_across_train_eval_and_production(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", _tickets(200, {4: "mail jane@example.com", 9: "card 4111 1111 1111 1111"}))
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [{"text": "call +44 20 7946 0958", "label": "x"}])
    production = write_jsonl(tmp_path / "prod.jsonl", [{"text": "login from 81.2.69.142"}, {"text": "fine"}])
    config = Config()
    result = measure_pii(_ctx(config, train, eval_path, production))
    assert (result.records, result.records_with_findings, result.personal_records, result.secret_records) == (203, 4, 4, 0)
    assert result.by_kind == {"email": 1, "phone": 1, "credit_card": 1, "ip_address": 1}
    assert result.by_role == {"train": 2, "eval": 1, "production": 1}
    assert result.share == pytest.approx(4 / 203)
    # The user turn is messages[1] when the loader keeps each chat record's parsed source (Record.raw).
    user = "messages[1].content" if "raw" in Record.__dataclass_fields__ else "messages[user]"
    assert [(Path(f.file).name, f.line, f.field, f.kind, f.masked) for f in result.findings] == [
        ("train.jsonl", 5, user, "email", "<EMAIL ….com #8c87>"),
        ("train.jsonl", 10, user, "credit_card", "<CREDIT_CARD …1111>"),
        ("eval.jsonl", 1, "text", "phone", "<PHONE …0958>"),
        ("prod.jsonl", 1, "text", "ip_address", "<IP_ADDRESS …42>"),
    ]
    (finding,) = judge_pii(result, _ctx(config, train))
    # judged on the training records: 2 of 200 is not above 1%; the eval and production findings are said and listed
    assert finding.condition == "hygiene" and finding.status is Status.WARN
    assert finding.summary == ("personal data in 2 of 200 training records (1.0%): 1 email, 1 credit_card; 2 more in the eval "
                               "or production inputs")
    assert finding.action.endswith(f"{train} lines 5, 10; eval input: {eval_path} line 1; production input: {production} line 1.")
    assert "`dataaudit redact INPUT --out CLEAN` for each file" in finding.action


def test_personal_data_warns_at_or_below_the_share_and_any_secret_fails(tmp_path):
    config = Config()
    one_email = write_jsonl(tmp_path / "a.jsonl", _tickets(200, {7: "jane@example.com"}))
    (finding,) = judge_pii(measure_pii(_ctx(config, one_email)), _ctx(config, one_email))
    assert finding.status is Status.WARN and "1 of 200 training records (0.5%)" in finding.summary and "a.jsonl line 8" in finding.action
    a_key = write_jsonl(tmp_path / "b.jsonl", _tickets(200, {3: "key AKIAQX4BZ7RT2WKD5N3M"}))
    (finding,) = judge_pii(measure_pii(_ctx(config, a_key)), _ctx(config, a_key))
    assert finding.status is Status.FAIL and "b.jsonl line 4" in finding.action
    assert finding.action.startswith(f"Revoke the credentials, then remove or redact them (`dataaudit redact {a_key} --out CLEAN`)")
    clean = write_jsonl(tmp_path / "c.jsonl", _tickets(50, {}))
    (finding,) = judge_pii(measure_pii(_ctx(config, clean)), _ctx(config, clean))
    assert finding.status is Status.PASS
    lenient = config_from_dict({"pii": {"warn_share": 0.01, "max_share": 0.05}})
    assert judge_pii(measure_pii(_ctx(lenient, one_email)), _ctx(lenient, one_email))[0].status is Status.PASS


def test_listing_is_capped_and_the_counts_are_not(tmp_path):
    config = config_from_dict({"pii": {"max_listed": 3}})
    nothing_listed = config_from_dict({"pii": {"max_listed": 0}})
    path = write_jsonl(tmp_path / "a.jsonl", _tickets(20, {i: f"user{i}@example.com" for i in range(10)}))
    result = measure_pii(_ctx(config, path))
    assert (result.findings_total, result.findings_listed, len(result.findings)) == (10, 3, 3)
    # the action names the lines and counts the rest from every record, not from the three listed findings
    assert judge_pii(result, _ctx(config, path))[0].action.endswith("a.jsonl lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10.")
    unlisted = measure_pii(_ctx(nothing_listed, path))
    action = judge_pii(unlisted, _ctx(nothing_listed, path))[0].action
    assert unlisted.findings == [] and f"`dataaudit redact {path} --out CLEAN`" in action and "lines 1, 2, 3" in action


def test_the_redact_action_counts_every_line_with_personal_data_beyond_the_listed_findings(tmp_path):
    config = config_from_dict({"pii": {"max_listed": 5, "max_share": 1.0}})
    path = write_jsonl(tmp_path / "a.jsonl", _tickets(300, {i: f"user{i}@example.com" for i in range(0, 300, 2)}))
    result = measure_pii(_ctx(config, path))
    assert (result.records_with_findings, result.findings_listed) == (150, 5)
    assert [(p.file, p.first_lines, p.lines) for p in result.personal_places] == [(str(path), list(range(1, 20, 2)), 150)]
    (finding,) = judge_pii(result, _ctx(config, path))
    assert finding.action.endswith(f"{path} lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 140 more.")
    # Whole, so that it names no report file or key (checks.pii.findings): a check cannot know which files a run writes.
    assert finding.action == (f"Redact before training (`dataaudit redact {path} --out CLEAN` replaces each value with a "
                              f"placeholder): {path} lines 1, 3, 5, 7, 9, 11, 13, 15, 17, 19 and 140 more.")


def test_secret_and_personal_lines_are_counted_apart_per_file(tmp_path):
    config = config_from_dict({"pii": {"max_listed": 0, "max_share": 1.0}})
    path = write_jsonl(tmp_path / "a.jsonl", _tickets(30, {2: "key AKIAQX4BZ7RT2WKD5N3M", 4: "jane@example.com",
                                                          6: "key AKIAQX4BZ7RT2WKD5N3N and jo@example.com"}))
    result = measure_pii(_ctx(config, path))
    assert [(p.first_lines, p.lines) for p in result.secret_places] == [([3, 7], 2)]
    assert [(p.first_lines, p.lines) for p in result.personal_places] == [([5, 7], 2)]
    secret, personal = judge_pii(result, _ctx(config, path))
    assert secret.action.endswith(f"{path} lines 3, 7.") and personal.action.endswith(f"{path} lines 5, 7.")


def test_an_action_names_the_first_five_files_and_counts_the_rest(tmp_path):
    config = config_from_dict({"pii": {"max_share": 1.0}})
    (tmp_path / "parts").mkdir()
    paths = [write_jsonl(tmp_path / "parts" / f"part{i:02d}.jsonl", [{"text": f"write to user{i}x{j}@example.com", "label": "a"}
                                                             for j in range(3)]) for i in range(12)]
    from dataaudit.api import audit

    report = audit(f"{tmp_path / 'parts'}/*.jsonl", config, embed=False)
    result = report.checks["pii"]
    assert sorted((Path(p.file).name, p.lines) for p in result.personal_places) == [(p.name, 3) for p in paths]
    (action,) = [a for a in report.verdict.actions if "Redact before training" in a]
    named = "; ".join(f"{p} lines 1, 2, 3" for p in sorted(paths)[:5])
    assert action.endswith(f"{named}; and 7 more files (21 lines).")
    assert str(sorted(paths)[5]) not in action


def test_a_file_read_in_two_roles_is_counted_once_in_each_and_named_under_its_role(tmp_path):
    path = write_jsonl(tmp_path / "roles.jsonl", _tickets(40, {2: "mail jo2@example.com", 5: "key AKIAQX4BZ7RT2WKD5N3M"}))
    config = config_from_dict({"pii": {"max_share": 1.0}})
    ctx = _ctx(config, path, eval_path=path)
    result = measure_pii(ctx)
    assert [(p.role, p.first_lines, p.lines) for p in result.personal_places] == [("train", [3], 1), ("eval", [3], 1)]
    assert [(p.role, p.first_lines, p.lines) for p in result.secret_places] == [("train", [6], 1), ("eval", [6], 1)]
    secret, personal = judge_pii(result, ctx)
    assert secret.action.endswith(f"{path} line 6; eval input: {path} line 6.")
    assert personal.action.endswith(f"placeholder): {path} line 3; eval input: {path} line 3.")
    assert f"`dataaudit redact {path} --out CLEAN`" in personal.action  # one file, whatever roles read it
    # the listed findings say their role too (they were listed twice, alike)
    assert [(f.line, f.kind, f.role) for f in result.findings] == [(3, "email", "train"), (6, "secret", "train"),
                                                                     (3, "email", "eval"), (6, "secret", "eval")]


def test_prompt_completion_and_text_label_fields_are_named(tmp_path):
    path = write_jsonl(tmp_path / "pc.jsonl", [{"prompt": "hi", "completion": "write to jane@example.com"}])
    (finding,) = measure_pii(_ctx(Config(task_type="generation"), path)).findings
    assert (finding.field, finding.kind) == ("completion", "email")
    path = write_jsonl(tmp_path / "tl.jsonl", [{"body": "hi", "cat": "jane@example.com"}])
    config = config_from_dict({"fields": {"text": "body", "label": "cat"}})
    (finding,) = measure_pii(_ctx(config, path)).findings
    assert (finding.field, finding.kind) == ("cat", "email")


@pytest.mark.parametrize("section,message", [
    ({"kinds": ["email", "passport"]}, "unknown kind 'passport'"),
    ({"phone_regions": ["UK"]}, "'UK' is not a region code"),
    ({"max_share": 1.5}, "pii.max_share"),
    ({"warn_share": 0.2, "max_share": 0.1},
     r"^pii\.warn_share: 0\.2 is above max_share \(0\.1\); a warning bound must not exceed the failing one"),
    ({"secret_min_length": 4}, "secret_min_length"),
])
def test_bad_pii_config_is_a_config_error(section, message):
    with pytest.raises(ConfigError, match=message):
        config_from_dict({"pii": section})


def test_sample_data_holds_the_three_planted_findings():
    config = Config()
    result = measure_pii(_ctx(config, SAMPLE / "support_tickets.jsonl", SAMPLE / "support_eval.jsonl", SAMPLE / "production.jsonl"))
    assert [(f.line, f.kind, f.masked) for f in result.findings] == [
        (11, "email", "<EMAIL ….org #0552>"), (121, "phone", "<PHONE …0958>"), (203, "secret", "<SECRET …5N3M>")]
    assert result.by_kind == {"email": 1, "phone": 1, "secret": 1}


# ---------------------------------------------------------------------------------------------------
# Reports: no found value may appear unmasked in any output

PLANTED_IN_REPORT = ["jane.doe@example.com", "4111 1111 1111 1111", "AKIAQX4BZ7RT2WKD5N3M"]


@pytest.fixture(scope="module")
def report_with_planted_values(tmp_path_factory):
    from dataaudit.api import audit

    folder = tmp_path_factory.mktemp("pii-report")
    rows = [{"text": f"ticket {i} about refunds and {PLANTED_IN_REPORT[i % 3]}", "label": "billing" if i % 2 else "shipping"} for i in range(30)]
    rows.append('{"text": "broken line from jane.doe@example.com')
    path = write_jsonl(folder / "tickets.jsonl", rows)
    config = Config()
    report = audit(path, config, embed=False)
    return folder, report


def test_the_pii_section_of_the_json_report_holds_only_masked_values(report_with_planted_values):
    from dataaudit.report import to_jsonable

    _, report = report_with_planted_values
    section = json.dumps(to_jsonable(report.checks["pii"]), ensure_ascii=False)
    # the broken last line's address is counted too (as redact replaces it), apart from the records
    assert report.checks["pii"].by_kind == {"email": 11, "credit_card": 10, "secret": 10}
    assert report.checks["pii"].malformed_rows_with_findings == 1
    assert "jane.doe@example.com" not in section
    assert not [v for v in PLANTED_IN_REPORT if v in section]
    assert "<EMAIL ….com #86e0>" in section and "<CREDIT_CARD …1111>" in section and "<SECRET …5N3M>" in section


def test_no_report_file_nor_the_terminal_shows_a_planted_value(report_with_planted_values):
    from dataaudit.render.outputs import write_reports
    from dataaudit.render.terminal import render_terminal

    folder, report = report_with_planted_values
    written = write_reports(report, folder / "out", ["json", "md", "html"])
    console = Console(record=True, width=120)
    render_terminal(report, console)
    outputs = {p.name: p.read_text(encoding="utf-8") for p in written} | {"terminal": console.export_text()}
    leaks = {name: [v for v in PLANTED_IN_REPORT if v in text] for name, text in outputs.items()}
    assert leaks == {name: [] for name in outputs}


def test_the_share_is_judged_on_the_training_records_and_other_inputs_are_still_said(tmp_path):
    """8 of 600 training records with an e-mail fail (1.3% > 1%) whatever the size of a production sample: 1,360
    production inputs turned it into a warning (8 of 1,960, 0.4%) while the training data had not changed."""
    config = Config()
    train = write_jsonl(tmp_path / "train.jsonl", _tickets(600, {i * 70: f"user{i}@example.com" for i in range(8)}))
    production = write_jsonl(tmp_path / "production.jsonl", [{"text": f"production question {i}"} for i in range(1360)])
    (alone,) = judge_pii(measure_pii(_ctx(config, train)), _ctx(config, train))
    (beside,) = judge_pii(measure_pii(_ctx(config, train, production=production)), _ctx(config, train, production=production))
    assert alone.status is beside.status is Status.FAIL
    assert beside.summary == "personal data in 8 of 600 training records (1.3%): 8 emails"
    leaky = write_jsonl(tmp_path / "leaky.jsonl", [{"text": f"call me on +44 20 7946 0{i:03d}"} for i in range(3)])
    clean = write_jsonl(tmp_path / "clean.jsonl", _tickets(50, {}))
    (finding,) = judge_pii(measure_pii(_ctx(config, clean, production=leaky)), _ctx(config, clean, production=leaky))
    assert finding.status is Status.PASS
    assert finding.summary == "no personal data or credentials in the 50 training records; 3 eval or production record(s) hold personal data"


def test_the_suggested_redact_command_quotes_the_path_for_a_shell(tmp_path):
    import shlex

    config = Config()
    hostile = write_jsonl(tmp_path / "host|ile `name` $(x).jsonl", _tickets(200, {3: "key AKIAQX4BZ7RT2WKD5N3M"}))
    (finding,) = judge_pii(measure_pii(_ctx(config, hostile)), _ctx(config, hostile))
    command = re.search(r"`(dataaudit redact .*--out CLEAN)`", finding.action).group(1)
    assert shlex.split(command) == ["dataaudit", "redact", str(hostile), "--out", "CLEAN"]
    # A folder named after an address would print masked, a command naming no file: INPUT says so instead.
    (tmp_path / "ops@acme.com").mkdir()
    addressed = write_jsonl(tmp_path / "ops@acme.com" / "a.jsonl", _tickets(200, {3: "key AKIAQX4BZ7RT2WKD5N3M"}))
    (finding,) = judge_pii(measure_pii(_ctx(config, addressed)), _ctx(config, addressed))
    assert "`dataaudit redact INPUT --out CLEAN`" in finding.action


def test_a_pass_under_a_loosened_bound_says_what_was_found(tmp_path):
    lenient = config_from_dict({"pii": {"warn_share": 0.01, "max_share": 0.05}})
    one_email = write_jsonl(tmp_path / "a.jsonl", _tickets(200, {7: "jane@example.com"}))
    (finding,) = judge_pii(measure_pii(_ctx(lenient, one_email)), _ctx(lenient, one_email))
    assert finding.status is Status.PASS  # it read "no personal data or credentials in the 200 training records"
    assert finding.summary == "personal data in 1 of 200 training records (0.5%, within the 1.0% bound)"


@pytest.mark.parametrize("text, kept", [
    ("*_alice.smith@example.com_* emphasised", "*_<EMAIL ….com #7dcd>_* emphasised"),  # Markdown emphasis
    ("mail alice.smith@example.com2024 please", "mail <EMAIL ….com #7dcd>2024 please"),  # glued to a year
    ("report_alice.smith@example.com_2024.jsonl", "<EMAIL ….com #2967>_2024.jsonl"),  # a file name
    ("emb_alice.smith@example.com_<b>", "<EMAIL ….com #97af>_<b>"),
    ("--bob.jones@example.org-", "--<EMAIL ….org #030b>-"),
])
def test_an_address_touching_underscores_dashes_or_digits_is_found(text, kept):
    (finding,) = scan_text(text)
    assert finding.kind == "email" and excerpt(text, markdown=False) == kept


def test_a_data_file_named_by_an_address_is_masked_as_the_address_its_stem_is():
    """c/bob.smith@example.org.jsonl read as an address ending in ".jsonl": its tag differed from its stem's (the
    dataset name), so one address had two placeholders; with ".json" or ".gz" the address was not masked at all."""
    stem = excerpt("bob.smith@example.org", markdown=False)
    assert stem.startswith("<EMAIL ….org #")
    assert excerpt("c/bob.smith@example.org.jsonl", markdown=False) == f"c/{stem}.jsonl"
    assert excerpt("bob.smith@example.org.json", markdown=False) == f"{stem}.json"
    assert excerpt("see bob.smith@example.org.csv.gz now", markdown=False) == f"see {stem}.csv.gz now"
    assert [f.kind for f in scan_text("c/bob.smith@example.org.parquet")] == ["email"]
    assert scan_text("x@example.jsonl and logo@2x.json") == []  # a file name with an @, no address
    # a label the address does not end with before the extension: the address ends where it did before
    assert excerpt("jane.doe@example.com-q.jsonl", markdown=False).startswith("<EMAIL ….com #")


def test_an_address_inside_a_word_or_a_file_name_with_an_at_is_not_an_address():
    assert scan_text("logo@2x.png and icon@3x.png2") == []


@pytest.mark.parametrize("text, kept", [
    ("key sk-ant-api03-" + "a1B2" * 23 + "AA please", "key <SECRET …B2AA> please"),
    ("token hf_abcdefghijklmnopqrstuvwxyzABCDEFGH please", "token <SECRET …EFGH> please"),
])
def test_anthropic_and_hugging_face_keys_are_secrets(text, kept):
    (finding,) = scan_text(text)
    assert finding.kind == "secret" and finding.detail in ("Anthropic API Key", "Hugging Face Token")
    assert excerpt(text, markdown=False) == kept


def test_a_secret_after_a_configuration_name_is_named_by_the_whole_name_and_masked_in_excerpts():
    text = "our .env says DB_PASSWORD=q8Lm2VxT7pR4nZ0b and GITHUB_TOKEN=Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS"
    assert [f.detail for f in scan_text(text)] == ["high-entropy value after 'db_password'", "high-entropy value after 'github_token'"]
    assert excerpt(text, markdown=False) == "our .env says DB_PASSWORD=<SECRET …nZ0b> and GITHUB_TOKEN=<SECRET …P6aS>"


def test_an_env_file_credential_fails_hygiene(tmp_path):
    config = Config()
    path = write_jsonl(tmp_path / "env.jsonl", _tickets(20, {4: "I pasted OPENAI_API_KEY=Zk39dLq0Pw7XcV2bNm8R5tY1uI4oP6aS by mistake"}))
    (finding,) = judge_pii(measure_pii(_ctx(config, path)), _ctx(config, path))
    assert finding.status is Status.FAIL and "env.jsonl line 5" in finding.action


def test_hugging_face_words_are_not_tokens():
    assert scan_text("from huggingface_hub import hf_hub_download; hf_model_name_for_the_classifier") == []


def test_a_phone_number_followed_by_a_card_number_is_masked_as_both_whole():
    text = "call +1 415-555-2671 4111 1111 1111 1111 thanks"
    assert [(f.kind, text[f.start:f.end]) for f in scan_text(text)] == [("phone", "+1 415-555-2671"),
                                                                         ("credit_card", "4111 1111 1111 1111")]
    assert excerpt(text, markdown=False) == "call <PHONE …671> <CREDIT_CARD …1111> thanks"


def test_phone_regions_configured_for_the_check_mask_every_excerpt_of_that_run_only(tmp_path):
    """A German number found under phone_regions = ["DE"] is masked in the conflict excerpts of every report;
    a run with the defaults in the same process (a notebook) shows the same text as a fresh run would."""
    from dataaudit.api import audit
    from dataaudit.config import config_with_overrides
    from dataaudit.render.json_report import render_json
    from dataaudit.render.markdown import render_markdown
    from dataaudit.render.terminal import render_terminal

    rows = [{"text": f"please reset the password for order {i} today", "label": "ab"[i % 2]} for i in range(60)]
    rows += [{"text": "call me at 030 23125678 about my order", "label": label} for label in ("a", "b")]
    path = tmp_path / "t.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    german = config_with_overrides(Config(task_type="format"), {"pii.phone_regions": ["DE"]})
    for config, shown in ((german, False), (Config(task_type="format"), True)):
        report = audit(path, config, embed=False)
        assert report.checks["duplicates"].conflict_count == 1
        console = Console(record=True, width=200)
        render_terminal(report, console)
        for output in (render_markdown(report), render_json(report), console.export_text()):
            assert ("23125678" in output) is shown


def test_annotators_known_by_address_at_one_domain_stay_told_apart_when_masked():
    """Label Studio names annotators by e-mail, all at the team's domain: "….com" alone would make the flagged
    annotator in the agreement section anyone."""
    team = ["ann.lee@labelco.com", "bo.chen@labelco.com", "cy.diaz@labelco.com", "Ann.Lee@labelco.com"]
    shown = [excerpt(address, markdown=False) for address in team]
    assert len(set(shown[:3])) == 3 and all(s.startswith("<EMAIL ….com #") for s in shown)
    assert shown[3] == shown[0]  # one mailbox, however its case is typed
    assert not any("labelco" in s or "lee" in s for s in shown)


def test_one_address_gets_one_tag_however_invisible_characters_split_it():
    """The pii table (raw text) and the excerpts (text as read) name the same address the same way."""
    plain = masked_form("email", "alice.smith@example.com")
    assert masked_form("email", "alice\u200b.smith@example.com") == plain
    assert masked_form("email", "alice.smith@exam\x1b[0mple.com") == plain


def test_the_check_and_redact_find_what_an_invisible_character_splits_as_the_excerpts_do():
    """The excerpts read text as shown; the pii counts and redact's clean copy must see the same values."""
    for text in ("mail alice\u200b.smith@example.com please", "mail alice.smith@exam\x1b[0mple.com please"):
        (finding,) = scan_text(text)
        assert finding.kind == "email" and finding.masked == masked_form("email", "alice.smith@example.com")
        assert redact_text(text)[0] == "mail <EMAIL> please"  # the hidden character inside goes with the value


# Values as typed in Japanese, Chinese, Arabic and Hindi text: full-width forms (what a CJK input method types),
# other scripts' digits, Unicode e-mail addresses. (text, the value as typed, kind)
INTERNATIONAL = [
    ("０９０－１２３４－５６７８に電話してください", "０９０－１２３４－５６７８", "phone"),
    ("電話：090-1234-5678までご連絡ください", "090-1234-5678", "phone"),  # Japanese text: JP national forms
    ("電話番号は09012345678です", "09012345678", "phone"),  # a bare run after a Japanese phone word
    ("هاتفي ٠٥٠١٢٣٤٥٦٧ من فضلك", "٠٥٠١٢٣٤٥٦٧", "phone"),  # Arabic-Indic digits
    ("هاتفي 0501234567 من فضلك", "0501234567", "phone"),
    ("my phone is +٩٦٦٥٠١٢٣٤٥٦٧", "+٩٦٦٥٠١٢٣٤٥٦٧", "phone"),  # + numbers for every country, in any digits
    ("شماره +۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹ است", "+۹۸ ۹۱۲ ۳۴۵ ۶۷۸۹", "phone"),  # Extended Arabic-Indic (Persian) digits
    ("मेरा फ़ोन नंबर ९८७६५४३२१० है", "९८७६५४३२१०", "phone"),  # Devanagari digits
    ("मेरा फ़ोन नंबर 9876543210 है", "9876543210", "phone"),
    ("전화번호는 010-1234-5678 입니다", "010-1234-5678", "phone"),
    ("卡号 ４１１１ １１１１ １１１１ １１１１", "４１１１ １１１１ １１１１ １１１１", "credit_card"),
    ("IBAN ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００", "ＤＥ８９ ３７０４ ００４４ ０５３２ ０１３０ ００", "iban"),
    ("メール：ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ", "email"),
    ("이메일: user@例え.jp 로 보내주세요", "user@例え.jp", "email"),
    ("邮箱：张三@公司.中国，谢谢", "张三@公司.中国", "email"),
    ("邮箱：张三@公司.中国谢谢", "张三@公司.中国", "email"),  # no space after it: the TLD in use ends it
    ("user@example.com으로 보내 주세요", "user@example.com", "email"),
    ("contact: jürgen.müller@bücher.de", "jürgen.müller@bücher.de", "email"),
    ("लिखें राम@डाकघर.भारत पर", "राम@डाकघर.भारत", "email"),  # vowel signs and viramas inside the words
    ("my ip is １.２.３.４", "１.２.３.４", "ip_address"),
]


@pytest.mark.parametrize("text, value, kind", INTERNATIONAL)
def test_values_in_other_scripts_and_full_width_forms_are_found_and_replaced_as_typed(text, value, kind):
    assert _found(text) == [(kind, value)]
    redacted, _ = redact_text(text)
    assert redacted == text.replace(value, f"<{kind.upper()}>")
    shown = excerpt(text, markdown=False)
    assert value not in shown and f"<{kind.upper()}" in shown


def test_a_folded_value_is_masked_and_tagged_as_its_ascii_form():
    (wide,) = scan_text("ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏ．ｊｐ")
    assert wide.masked == masked_form("email", "yamada@example.co.jp")
    (card,) = scan_text("卡号 ４１１１ １１１１ １１１１ １１１１")
    assert card.masked == "<CREDIT_CARD …1111>"


def test_a_character_that_folds_to_several_maps_back_whole():
    # "㍿" folds to four characters and "ﬃ" to three: spans after them, and a span ending inside one, map to
    # the characters as typed.
    text = "㍿ﬃ 連絡 oﬃce@example.com と ０９０－１２３４－５６７８に電話"
    found = _found(text)
    assert found == [("email", "oﬃce@example.com"), ("phone", "０９０－１２３４－５６７８")]
    assert scan_text(text)[0].masked == masked_form("email", "office@example.com")
    assert redact_text(text)[0] == "㍿ﬃ 連絡 <EMAIL> と <PHONE>に電話"


def test_folding_composes_with_the_reading_view_of_invisible_characters():
    text = "電話 ０９０\u200b－１２３４－５６７８ まで"
    assert _found(text) == [("phone", "０９０\u200b－１２３４－５６７８")]
    assert redact_text(text)[0] == "電話 <PHONE> まで"
    assert "５６７８" not in excerpt(text)


@pytest.mark.parametrize("text", [
    "単価@100円.次は来週",  # a price, not an address
    "注文番号は09012345678です",  # an order number: no phone word before it
    "ping @サポート and user@localhost",
    "数量 ２０２４-０３-１５ に発送、注文 ＩＮＶ-２０２４００１２３４",
    "商品コード ４００６３８１３３３９３１",  # an EAN in full-width digits
    "रकम ₹१,२३४.५० और तारीख १५-०३-२०२४",  # Devanagari amount and date
])
def test_international_look_alikes_raise_no_alarm(text):
    assert _found(text) == []


def test_the_script_of_the_text_names_a_number_valid_in_several_regions():
    """050-234-5678 is a valid mobile number in Israel and in Saudi Arabia: Hebrew text says which."""
    options = ScanOptions(phone_regions=("US", "GB", "SA", "IL"))
    (hebrew,) = scan_text("מספר הטלפון שלי 050-234-5678", options)
    (arabic,) = scan_text("رقم هاتفي 050-234-5678", options)
    (english,) = scan_text("call me on 050-234-5678", options)
    assert (hebrew.detail, arabic.detail, english.detail) == ("IL phone number", "SA phone number", "SA or IL phone number")


def test_a_phone_word_of_another_language_lets_a_bare_run_count():
    de = ScanOptions(phone_regions=("US", "GB", "DE"))
    assert _found("Telefonnummer: 03023125678", de) == [("phone", "03023125678")]
    assert _found("téléphone 0612345678", ScanOptions(phone_regions=("FR",))) == [("phone", "0612345678")]
    assert _found("Bestellnummer 03023125678", de) == []


def test_a_long_run_of_letters_with_an_at_sign_scans_in_linear_time():
    import time

    text = ("क\u093e" * 3000) + "@" + ("ब\u093f" * 3000) + " " + ("张" * 5000) + "@" + ("公" * 5000) + "." + "x"
    start = time.perf_counter()
    scan_text(text)
    assert time.perf_counter() - start < 2.0


def test_a_record_with_folded_and_ascii_values_counts_once(tmp_path):
    path = write_jsonl(tmp_path / "t.jsonl", [
        {"text": "電話 ０９０－１２３４－５６７８ と mail yamada@example.co.jp", "label": "a"},
        {"text": "nothing here", "label": "b"},
    ])
    config = Config(task_type="classification")
    index = build_index("train", load_dataset(path, config), lambda text: "")
    result = measure_pii(AuditContext(config=config, train=index))
    assert (result.records_with_findings, result.findings_total, result.by_kind) == (1, 2, {"email": 1, "phone": 1})


def test_a_preference_pairs_rejected_reply_is_scanned_and_its_fields_are_named_prompt_chosen_rejected(tmp_path):
    path = write_jsonl(tmp_path / "pref.jsonl", [
        {"prompt": "Explain lists.", "chosen": "Lists hold items in order.",
         "rejected": "Contact me at jane.doe@example.org or +1 415 555 0134."},
        {"prompt": "Explain sets.", "chosen": "Write to sam.lee@example.com for more.", "rejected": "No."}])
    ds = load_dataset(path, Config())
    assert [[f for f, _ in record_texts(r, "text", "label")] for r in ds.records] == [["prompt", "chosen", "rejected"]] * 2
    result = measure_pii(_ctx(Config(), path))
    assert sorted((p.line, p.field, p.kind) for p in result.findings) == [
        (1, "rejected", "email"), (1, "rejected", "phone"), (2, "chosen", "email")]
    assert result.training_personal_records == 2


def test_numbers_glued_to_cjk_text_are_no_ssn_or_ip_address():
    from dataaudit.scan.pii import scan_text

    for text in ("バージョン8.8.8.8にしました", "版本号1.2.3.4已发布", "部屋番号は123-45-6789です", "在庫数123 45 6789個"):
        assert [f.kind for f in scan_text(text)] == [], text
    assert [f.kind for f in scan_text("my SSN is 123-45-6789, server 8.8.8.8")] == ["us_ssn", "ip_address"]


def test_personal_data_past_the_loaders_cut_is_found(tmp_path):
    from dataaudit.checks.pii import measure_pii

    config = Config()
    path = write_jsonl(tmp_path / "long.jsonl", [{"text": "word " * 30_000 + "write to jane.doe@example.com", "label": "a"}]
                       + [{"text": f"ticket {i}", "label": "b"} for i in range(30)])
    result = measure_pii(_ctx(config, path))
    assert result.records_with_findings == 1 and result.by_kind == {"email": 1}  # 150,000 characters in: past the cut


def test_a_count_of_findings_reads_in_the_plural_past_one():
    from dataaudit.scan.pii import kind_count

    assert [kind_count(1, "secret"), kind_count(4, "secret"), kind_count(2, "ip_address"), kind_count(0, "email")] == \
        ["1 secret", "4 secrets", "2 ip_addresses", "0 emails"]


def _openai_project_key(seed: int) -> str:
    """A key of the current OpenAI form (gitleaks' rule): sk-proj-, 74 base64url characters, the 'T3BlbkFJ'
    marker ('OpenAI' in base64), 74 more; '-' and '_' may sit right beside the marker."""
    import random

    rng = random.Random(seed)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    before, after = ("".join(rng.choice(alphabet) for _ in range(73)) for _ in range(2))
    return f"sk-proj-{before}_T3BlbkFJ-{after}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_realistic_openai_project_key_is_one_secret_masked_whole(seed):
    key = _openai_project_key(seed)
    text = f"I pasted {key} into the prompt"
    (finding,) = scan_text(text)
    assert (finding.kind, text[finding.start:finding.end]) == ("secret", key)
    assert excerpt(text, markdown=False) == f"I pasted <SECRET …{key[-4:]}> into the prompt"


def test_an_openai_shaped_placeholder_without_the_marker_is_no_secret_unless_a_key_word_names_it():
    """'sk-' and the alphabet is the documentation's placeholder: no OpenAI key lacks the 'T3BlbkFJ' marker,
    so on its own it is not one; written after a key name, the value rule reads it as any other value."""
    placeholder = "sk-abcdefghijklmnopqrstuvwxyz123456"
    assert scan_text(f"set it to {placeholder} in the client") == []
    assert _found(f"OPENAI_API_KEY={placeholder}") == [("secret", placeholder)]


def test_a_value_under_a_key_holding_an_address_is_named_as_redact_names_it_never_by_the_address(tmp_path):
    from dataaudit.fix.redact import redact

    lines = [chat("hi", "x") | {"jo@example.com": {"tel": "call +44 20 7946 0958"}}]
    path = write_jsonl(tmp_path / "keyed.jsonl", lines)
    summary = redact(path, tmp_path / "clean.jsonl", Config())
    replaced = [json.loads(line) for line in summary.sidecar.read_text().splitlines()]
    result = measure_pii(_ctx(Config(), path))
    assert [(f.field, f.kind) for f in result.findings] == [("(key)", "email"), ("<EMAIL>.tel", "phone")]
    assert [(f.field, f.kind, f.masked) for f in result.findings] == [(r["field"], r["kind"], r["masked"]) for r in replaced]


def test_an_address_after_a_c1_control_is_found_as_a_reader_of_the_escaped_text_sees_it():
    """The reading view drops "\x9b a" as one CSI sequence, leaving "¯0@aa.com": the check found nothing in
    "¯\x9b a0@aa.com" while every excerpt showed a0@aa.com as typed."""
    from dataaudit.scan.pii import scan_text

    text = "\u00af\x9b a0@aa.com please call"
    (found,) = scan_text(text)
    assert (found.kind, text[found.start:found.end]) == ("email", "a0@aa.com")
    assert scan_text("ann@example.org \x1b[31mred\x1b[0m") and len(scan_text("a\u200bnn@example.org")) == 1


@pytest.mark.parametrize("text, kind, value", [
    ("refund to +1 415 555 0958é", "phone", "+1 415 555 0958"),
    ("call +1 415 555 0958word", "phone", "+1 415 555 0958"),
    ("phone 415 555 0958abc", "phone", "415 555 0958"),
    ("write bob@example.orgé", "email", "bob@example.org"),
    ("write bob@example.orgçà merci", "email", "bob@example.org"),
])
def test_a_letter_glued_after_a_value_does_not_hide_it(text, kind, value):
    """The boundary rule took a value touching a letter for part of a word and gave it up: a letter typed right after
    an address or a number showed it whole in every excerpt."""
    assert [(f.kind, text[f.start:f.end]) for f in scan_text(text)] == [(kind, value)]
    assert value not in excerpt(text, markdown=False)


@pytest.mark.parametrize("text", ["SKU 4155550958X", "ISBN 978-3-16-148410-0X", "2024-01-15T10:30:00Z",
                                  "550e8400-e29b-41d4-a716-446655440000", "order 123-4567-8901ab", "logo@2x.pngé",
                                  "SKU 415-555-0958X in stock", "order 0203 555 0123rd"])
def test_a_letter_after_digits_does_not_make_a_product_code_a_phone_number(text):
    assert scan_text(text) == []


@pytest.mark.parametrize("text, found", [
    ("call +1 415 555 0958bob@example.org now", [("phone", "+1 415 555 0958"), ("email", "bob@example.org")]),
    ("tel 020 7946 0958jane.doe@example.co.uk", [("phone", "020 7946 0958"), ("email", "jane.doe@example.co.uk")]),
    ("text 4155550958@txt.att.net", [("email", "4155550958@txt.att.net")]),  # the number is the whole local part
    # a number ending at the "@" is an SMS gateway's local part: the address takes all of it
    ("text +1 415 555 0958@txt.att.net", [("email", "+1 415 555 0958@txt.att.net")]),
    ("sms (212) 555-0147@vtext.com", [("email", "(212) 555-0147@vtext.com")]),
    # past the separator: the same address as written alone, so masked (and hashed) the same
    ("(212) 555-0147-ann@example.org, ann@example.org", [("phone", "(212) 555-0147"), ("email", "ann@example.org"),
                                                         ("email", "ann@example.org")]),
])
def test_an_address_glued_after_a_number_leaves_none_of_the_number_shown(text, found):
    """The address's pattern took the number's last digits into its local part and won the overlap, so an excerpt
    showed "+1 415 555" of the number in the clear."""
    assert [(f.kind, text[f.start:f.end]) for f in scan_text(text)] == found
    shown = excerpt(text, markdown=False)
    assert not any(digits in shown for digits in ("415", "555", "7946", "212"))


@pytest.mark.parametrize("text, value", [
    ("(212) 555-0147 5", "(212) 555-0147"),
    ("+44 20 7946 0958 5", "+44 20 7946 0958"),
    ("Call me at (212) 555-0147 2 times today", "(212) 555-0147"),
    ("Reach me on +44 20 7946 0958 3 days a week", "+44 20 7946 0958"),
    ("call +1 415 555 2671 12", "+1 415 555 2671"),
    ("office 020 7946 0958 1 2", "020 7946 0958"),
    # after a word and a separator it is a number, not the tail of a figure
    ("Phone:+1 415 555 0958 24 hours", "+1 415 555 0958"),
    ("tel.020 7946 0958 9 to 5", "020 7946 0958"),
    ("reach us at,+44 20 7946 0958 7 days a week", "+44 20 7946 0958"),
    ("call tel:+44 20 7946 0958 5 times", "+44 20 7946 0958"),
    # a figure before the number, which the matcher took into its candidate
    ("call me back after 12:30 415 555 0958 thanks", "415 555 0958"),
    ("room 12 415 555 0958", "415 555 0958"),
    ("gate 7 020 7946 0958", "020 7946 0958"),
])
def test_a_number_followed_by_a_space_and_a_digit_is_found(text, value):
    """The matcher read the group after the number as part of it, rejected the grouping and found nothing: the
    number was neither counted, masked nor redacted (with a tab or a comma before the digit it was)."""
    assert [(f.kind, text[f.start:f.end]) for f in scan_text(text)] == [("phone", value)]
    assert value not in excerpt(text, markdown=False)
    assert value not in redact_text(text)[0]


def test_each_of_two_numbers_each_followed_by_a_digit_is_found():
    text = "(212) 555-0147 5 or (212) 555-0148 6"
    assert [text[f.start:f.end] for f in scan_text(text)] == ["(212) 555-0147", "(212) 555-0148"]


@pytest.mark.parametrize("text", ["1 2 3 4 5 6 7 8 9 10 11 12", "order 1234 5678 9012 3", "ISBN 978 3 16 148410 0",
                                  "scores 20 7946 0958 5", "2024 12 31 2025 01 01", "400 500 600 700 800 900",
                                  "ids 83:413 3715610 85:50323.",  # the tail of "83:413", which the full pass read
                                  "it is true tracking 1Z7039414768"])  # a UPS number: "1 7039414768" once its Z is set aside
def test_runs_of_digit_groups_read_again_find_no_number_where_there_is_none(text):
    assert scan_text(text) == []


# Values of every kind, some split by a zero-width space (so that the reading view and the blanked text are both read).
_MANY_VALUES = ["ann@example.org", "(212) 555-0147", "4111 1111 1111 1111", "8.8.8.8", "+44 20 7946 0958 5", "bob\u200b@example.com",
                "GB82 WEST 1234 5698 7654 32", "123-45-6789", "AKIAIOSFODNN7EXAMPLE", "ann@example.org"]


def test_a_long_text_of_many_values_has_the_findings_of_its_parts():
    """Overlaps are resolved on sorted bounds, not pairwise (a record of thousands of addresses took seconds): the
    findings of one long text are those of its parts, placed where each part is."""
    parts = [f"item {i}: {value} ok" for i, value in enumerate(_MANY_VALUES * 40)]
    text, expected = "", []
    for part in parts:
        expected += [(f.kind, len(text) + f.start, len(text) + f.end, f.masked) for f in scan_text(part)]
        text += part + "\n"
    assert len(expected) == 400
    assert [(f.kind, f.start, f.end, f.masked) for f in scan_text(text)] == expected


def _lines_run(call) -> int:
    """Lines of dataaudit's own code that call executes (a count of work done, not a timing)."""
    import sys

    count = 0

    def trace(frame, event, _):
        nonlocal count
        if "/dataaudit/" not in frame.f_code.co_filename:
            return None
        if event == "line":
            count += 1
        return trace

    sys.settrace(trace)
    try:
        call()
    finally:
        sys.settrace(None)
    return count


@pytest.mark.parametrize("value", ["a@b.co", "(212) 555-0147", "a@b.co\u200b"])
def test_the_work_of_a_scan_and_an_excerpt_grows_with_the_text_not_its_square(value):
    """scan_text("a@b.co " * 8000) took 3.4 s and an excerpt of 20,000 phone numbers 71 s: every value was checked
    against every other. Four times the values may take about four times the work, not sixteen."""
    small, large = (" ".join([value] * n) for n in (150, 600))
    for call in (scan_text, excerpt):
        ratio = _lines_run(lambda: call(large)) / _lines_run(lambda: call(small))
        assert ratio < 6, (call.__name__, ratio)


@pytest.mark.parametrize("text", ["call +1 415 555 0958 ext 12", "call +1 415 555 0958 x12", "call +1 415 555 0958 #12"])
def test_a_phone_numbers_tag_ends_in_its_own_digits_not_its_extensions(text):
    """'<PHONE …t 12>' showed the extension's letters, a tag that reads as no number."""
    (found,) = [f for f in scan_text(text) if f.kind == "phone"]
    assert found.masked == masked_form("phone", "+1 415 555 0958") == "<PHONE …958>"


def test_rows_kept_as_format_errors_are_scanned_as_redact_scans_them_and_a_key_in_one_fails_hygiene(tmp_path):
    from dataaudit.fix.redact import redact

    path = tmp_path / "invalid_secret.jsonl"
    path.write_text(
        '{"text": "where is my card", "label": "card"}\n'
        '{"text": "my card never arrived", "label": "card"}\n'
        '{"text": "what is the exchange rate", "label": "fx"}\n'
        '{"messages": [{"role": "customer", "content": "my key is AKIAIOSFODNN7EXAMPLE and mail me at pat.lee@example.com"}, '
        '{"role": "assistant", "content": "card"}]}\n'
        '{"text": "AKIAIOSFODNN7EXAMPLE pat.lee@example.com", "label": "fx", }\n')
    summary = redact(path, tmp_path / "clean.jsonl", Config())
    replaced = [json.loads(line) for line in summary.sidecar.read_text().splitlines()]
    result = measure_pii(_ctx(Config(), path))
    assert sorted((f.line, f.field, f.kind, f.masked) for f in result.findings) == sorted(
        (r["line"], r["field"], r["kind"], r["masked"]) for r in replaced)
    assert [(f.line, f.field, f.kind) for f in result.findings] == [
        (4, "messages[0].content", "secret"), (4, "messages[0].content", "email"), (5, "(line)", "secret"), (5, "(line)", "email")]
    assert result.by_kind == {"email": 2, "secret": 2} and result.findings_total == summary.replaced == 4
    # rows, not records: the shares stay shares of the 3 records read
    assert (result.records, result.records_with_findings, result.malformed_rows_with_findings,
            result.malformed_secret_rows, result.malformed_personal_rows) == (3, 0, 2, 2, 2)
    secret, personal = judge_pii(result, _ctx(Config(), path))
    assert secret.status is Status.FAIL
    assert secret.summary == "2 malformed rows hold credentials (2 secret(s): keys, tokens or private keys)"
    assert secret.action.endswith(f"{path} lines 4, 5.")
    assert personal.status is Status.WARN
    assert personal.summary == "personal data in 2 malformed rows, which the audit could not read as records"


def test_a_malformed_line_the_loader_skips_unread_is_not_read_to_scan_it(tmp_path, monkeypatch):
    """Review: one line over the loader's limit (skipped unread) was read whole and scanned: 16.5 s for 283 MB."""
    from dataaudit.fix import writers
    from dataaudit.scan.malformed import malformed_row_findings
    from dataaudit.scan.pii import ScanOptions

    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "ok", "label": "a"}\n' + '{"text": "mail ann@example.com ' + "x" * 500 + '"\n'
                    + '{"text": "bad, "mail": "bob@example.com"}\n', encoding="utf-8")
    monkeypatch.setattr(writers, "MAX_LINE_BYTES", 200)
    found = [(line, field, f.kind) for line, field, f in malformed_row_findings(str(path), {2, 3}, ScanOptions())]
    assert found == [(3, "(line)", "email")]  # line 2 is past the limit: never read, as the loader never read it


def test_a_credential_a_duplicate_key_hides_in_a_malformed_row_is_counted_as_redact_finds_it(tmp_path):
    """QA: json.loads keeps the last of two equal keys, so the first value of a row refused for its duplicate key
    was never scanned: hygiene passed on an AWS key that redact replaced."""
    from dataaudit.scan.malformed import malformed_row_findings
    from dataaudit.scan.pii import ScanOptions

    row = '{"text": "key AKIAIOSFODNN7EXAMPLE here", "text": "ok", "label": "a"}'
    jsonl = tmp_path / "a.jsonl"
    jsonl.write_text('{"text": "fine", "label": "a"}\n' + row + "\n", encoding="utf-8")
    array = tmp_path / "a.json"
    array.write_text('[{"text": "fine", "label": "a"},\n' + row + "]", encoding="utf-8")
    for path in (jsonl, array):
        assert [(line, field, f.kind) for line, field, f in malformed_row_findings(str(path), {2}, ScanOptions())] == [
            (2, "(line)", "secret")]


def test_the_pii_section_says_its_kinds_count_the_malformed_rows_too(tmp_path):
    """QA: "0 of 100 records hold personal data or credentials (0.0%): 1 email, 1 phone, 1 secret; 0 with a secret"."""
    from dataaudit.api import audit
    from dataaudit.render.sections.pii import SECTION as PII

    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"text": f"question {i}", "label": "ab"[i % 2]}) + "\n" for i in range(20))
                    + '{"text": "mail ann@example.com", "label": }\n', encoding="utf-8")
    lines = PII.build(audit(path, Config(), embed=False)).lines
    assert lines[0] == "0 of 20 records hold personal data or credentials (0.0%): 1 email (in the records and the malformed rows below); 0 with a secret"
    assert lines[1] == "1 malformed row (kept as format errors) holds personal data or credentials, 0 with a secret"
