"""Text the embedding model cannot read: all-MiniLM-L6-v2's WordPiece has no Thai and lacks many CJK
characters, so different intents in those scripts share one vector and must not be called reworded copies."""

from __future__ import annotations

import numpy as np

from dataaudit.api import audit
from dataaudit.config import Config
from dataaudit.tokens import OpenAIEncoding, _batch_lengths, _read_tokenizer_json, load_token_counter
from dataaudit.vocabulary import UNREADABLE_SHARE, probe_for

from tests.conftest import write_jsonl

# Different intents; the bundled model reads each Thai text as one [UNK] and the three Chinese texts as
# their stopwords (我, 的, 是) between unknown characters: the QA pass found them grouped as reworded copies.
THAI = [("เปิดไฟในห้องนอนให้หน่อย", "light_on"), ("ปิดไฟในห้องนั่งเล่นด้วย", "light_off"),
        ("ตั้งนาฬิกาปลุกตอนเจ็ดโมงเช้า", "alarm"), ("พรุ่งนี้ฝนจะตกไหม", "weather"),
        ("โอนเงินให้แม่ห้าร้อยบาท", "transfer"), ("ยกเลิกการสั่งซื้อของฉัน", "cancel_order")]
CHINESE = [("我的账户余额是多少", "balance"), ("取消我的订单", "cancel_order"), ("修改我的账户密码", "change_password")]
ENGLISH = [("where is my parcel", "tracking"), ("reset my password please", "change_password"),
           ("cancel the order I placed yesterday", "cancel_order")]


def test_the_probe_measures_unknown_characters_only_where_the_vocabulary_lacks_them():
    probe = probe_for("")
    shares = probe.unknown_shares([t for t, _ in THAI + CHINESE + ENGLISH]
                                  + ["أريد حجز تذكرة قطار إلى القاهرة", "café résumé naïve", "Привет, как дела?"])
    assert (shares[:len(THAI)] == 1.0).all()
    assert (shares[len(THAI):len(THAI) + len(CHINESE)] >= UNREADABLE_SHARE).all()
    assert (shares[len(THAI) + len(CHINESE):] == 0).all()  # English, Arabic, accented Latin, Cyrillic: all read
    assert probe.ascii_safe


def test_unreadable_intents_are_no_reworded_copies_and_the_report_says_so(tmp_path, embedder):
    rows = [{"text": t, "label": label} for t, label in THAI + CHINESE + ENGLISH]
    # The premise: their vectors are (nearly) one, so only the unreadable rule keeps them apart.
    vectors = embedder.embed([t for t, _ in THAI[:2] + CHINESE[:2]])
    assert float(vectors[0] @ vectors[1]) >= 0.95 and float(vectors[2] @ vectors[3]) >= 0.95
    eval_path = write_jsonl(tmp_path / "eval.jsonl", [{"text": "จองโต๊ะอาหารสำหรับสองคน", "label": "book_table"}])

    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), eval_path=eval_path, embedder=embedder)

    duplicates = report.checks["duplicates"]
    assert duplicates.near_groups == [] and duplicates.leakage == []
    assert not any(g.kind == "near" for g in duplicates.all_groups)
    unreadable = report.to_dict()["checks"]["embeddings"]["unreadable"]
    assert (unreadable["count"], unreadable["eval"]) == (len(THAI) + len(CHINESE), 1)
    assert unreadable["scripts"][:2] == ["THAI", "CJK"] and unreadable["examples"][0] == THAI[0][0]
    said = [w for w in report.warnings if "cannot read" in w and "semantic" in w]
    assert len(said) == 1 and "9 distinct training inputs" in said[0] and "1 eval inputs" in said[0]
    assert "--model PATH" in said[0] and "label noise" in said[0]


def test_an_exact_copy_of_an_unreadable_text_is_still_a_duplicate(tmp_path, embedder):
    rows = [{"text": t, "label": label} for t, label in THAI] + [{"text": THAI[0][0], "label": THAI[0][1]}]
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), embedder=embedder)
    assert [g.kind for g in report.checks["duplicates"].all_groups] == ["exact"]


def test_english_audits_say_nothing_about_unreadable_text(tmp_path, embedder):
    rows = [{"text": t, "label": label} for t, label in ENGLISH]
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), embedder=embedder)
    assert report.checks["embeddings"].unreadable.count == 0
    assert not any("cannot read" in w for w in report.warnings)


def test_wordpiece_token_counts_of_unreadable_text_come_from_o200k():
    from dataaudit.embeddings import bundled_model_path

    counter = load_token_counter()
    thai = "ตั้งนาฬิกาปลุกตอนเจ็ดโมงเปลี่ยนรหัสผ่านปิดแอร์ในห้องนั่งเล่นโอนเงินให้แม่ปิดแอร์ในห้องนั่งเล่น"
    emoji = "😀😀🎉🎉🎉😀😀🎉"
    english = ["where is my parcel", "reset my password please", "café résumé naïve"]
    raw = _batch_lengths(_read_tokenizer_json(bundled_model_path() / "tokenizer.json"), [thai, emoji] + english,
                         add_special_tokens=False)
    counts = counter.count([thai, emoji] + english)
    o200k = OpenAIEncoding("o200k_base")
    assert raw[:2] == [1, 1]  # what the size check and economics used to be given
    assert counts[:2] == [o200k.count(thai), o200k.count(emoji)] and counts[0] > 20
    assert counts[2:] == raw[2:]  # text the vocabulary reads keeps its WordPiece count


def test_undercounted_texts_are_named_in_a_warning_without_embeddings(tmp_path):
    rows = [{"text": t, "label": label} for t, label in THAI + ENGLISH]
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), embed=False)
    said = [w for w in report.warnings if "o200k_base" in w]
    assert len(said) == 1 and said[0].startswith(f"{len(THAI)} distinct training texts") and "--target-model" in said[0]
    assert report.checks["size"].input_tokens.max > 5
    assert np.isclose(report.checks["size"].input_tokens.min, 4)  # 'where is my parcel'


def test_dedup_keeps_different_thai_intents_and_says_why(tmp_path, cache_dir, capsys):
    from dataaudit.cli import main

    path = write_jsonl(tmp_path / "thai.jsonl", [{"text": t, "label": label} for t, label in THAI])
    out = tmp_path / "clean.jsonl"
    assert main(["dedup", str(path), "--out", str(out), "--cache-dir", str(cache_dir)]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(THAI)
    assert "dataaudit: note: the embedding model" in capsys.readouterr().err


def test_label_noise_leaves_unreadable_inputs_out_of_its_classifier(tmp_path, embedder):
    # Ten Thai texts per label: one vector for all, so a classifier would call half their labels wrong.
    thai = [f"{t}{'ครับ' * k}" for t, _ in THAI[:2] for k in range(10)]
    rows = [{"text": t, "label": "light" if n < 10 else "other"} for n, t in enumerate(thai)]
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), embedder=embedder)
    noise = report.checks["label_noise"]
    assert noise.estimated_error_rate is None and "cannot read the 20 labelled inputs" in noise.reason
    assert noise.suspects == []
    assert any("label noise left them out" in w for w in report.warnings)


def test_text_the_wordpiece_counter_cannot_read_is_counted_with_o200k_and_every_place_says_so(tmp_path):
    from dataaudit.api import audit
    from dataaudit.config import Config
    from dataaudit.render.markdown import render_markdown

    rows = [{"text": f"{t} {i}", "label": label} for i in range(3) for t, label in THAI]
    report = audit(write_jsonl(tmp_path / "thai.jsonl", rows), Config(), embed=False)
    size = report.checks["size"]
    assert size.recounted == len(rows) and size.input_tokens.min > 5  # WordPiece alone: 1-3 tokens a text
    (said,) = [w for w in report.warnings if "o200k_base" in w]
    assert "they were counted with o200k_base where that counts more, so the size check's token counts and its context limit" in said
    assert said.endswith("rest on that estimate for them. Set --target-model (or [tokens] target_model) to count with the "
                         "model you will tune.")
    assert f"tokens counted with all-MiniLM-L6-v2 WordPiece (o200k\\_base's count, where larger, for {len(rows)} texts it cannot read)" in render_markdown(report)


def test_one_undercounted_text_is_said_in_the_singular(tmp_path):
    """'1 distinct training texts have words ...' (QA fu39)."""
    rows = [{"text": t, "label": label} for t, label in THAI[:1] + ENGLISH]
    report = audit(write_jsonl(tmp_path / "train.jsonl", rows), Config(), embed=False)
    said = [w for w in report.warnings if "o200k_base" in w]
    assert len(said) == 1
    assert said[0].startswith("1 distinct training text has words the ")
    assert ": it was counted with o200k_base where that counts more, so " in said[0] and " rest on that estimate for it." in said[0]
    two = audit(write_jsonl(tmp_path / "two.jsonl", [{"text": t, "label": label} for t, label in THAI[:2] + ENGLISH]),
                Config(), embed=False)
    plural = next(w for w in two.warnings if "o200k_base" in w)
    assert plural.startswith("2 distinct training texts have words the ")
    assert ": they were counted with o200k_base where that counts more, so " in plural and " rest on that estimate for them." in plural


def _unreadable_index(tmp_path, texts: list[str]):
    """A training index of `texts` (one record each), every distinct input marked unreadable."""
    import dataclasses

    from dataaudit.index import build_index
    from dataaudit.load.dataset import load_dataset
    from dataaudit.normalize import normalize_text

    config = Config()
    dataset = load_dataset(write_jsonl(tmp_path / "t.jsonl", [{"text": t, "label": "x"} for t in texts]), config)
    index = build_index("train", dataset, lambda text: normalize_text(text, config.duplicates))
    return dataclasses.replace(index, unreadable=np.ones(len(index.distinct), dtype=bool))


def test_an_unreadable_example_is_stored_as_typed_for_each_renderer_to_escape(tmp_path):
    """It was stored Markdown-escaped, so the terminal and report.json showed '\\*' and '\\<' and report.md escaped twice."""
    from dataaudit.vocabulary import summarize

    assert summarize(_unreadable_index(tmp_path, ["ยกเลิก *การ* <สั่ง> #1"])).examples == ["ยกเลิก *การ* <สั่ง> #1"]


def test_the_warning_quotes_each_example_as_typed_with_its_file_and_line(tmp_path):
    """It quoted what was embedded, normalised: "family 👨👩👧 🇫🇷" (lower-cased, the emoji's joiners taken out) for
    "Family 👨\u200d👩\u200d👧 🇫🇷", a text no file holds, and said not where it was."""
    from dataaudit.vocabulary import summarize, warning

    family = "Family 👨\u200d👩\u200d👧 🇫🇷"
    index = _unreadable_index(tmp_path, ["ยกเลิก", family, "FAMILY 👨\u200d👩\u200d👧 🇫🇷"])  # line 3: line 2's key
    unreadable = summarize(index)
    assert unreadable.count == 2 and unreadable.examples == ["ยกเลิก", family]
    said = warning(unreadable, "all-MiniLM-L6-v2", set())
    assert f'; e.g. {tmp_path / "t.jsonl"}:1 "ยกเลิก", {tmp_path / "t.jsonl"}:2 "{family}". Use a multilingual' in said


def test_ascii_digits_in_an_unreadable_word_are_no_writing_system():
    """'436일째' named DIGIT among the scripts the model cannot read, beside HANGUL."""
    from dataaudit.vocabulary import scripts

    probe = probe_for("")
    assert "DIGIT" not in scripts(["436일째 되는 날", "2024년 12월"], probe)
    assert scripts(["436일째 되는 날"], probe)[:1] == ["HANGUL"]
