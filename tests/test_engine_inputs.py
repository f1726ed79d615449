"""Inputs named by path, folder, glob and file:// URI: the same files, read the same way, each once."""

from __future__ import annotations

import gzip
import hashlib
import json
import warnings
from pathlib import Path

import pytest

from dataaudit.config import Config
from dataaudit.engine.base import expand_inputs
from dataaudit.engine.local import LocalEngine
from dataaudit.errors import InputWarning


def file_uri(path) -> str:
    return Path(path).resolve().as_uri()


def records_text(count: int, start: int = 0) -> str:
    return "".join(json.dumps({"prompt": f"question number {i} about topic {i % 7}", "completion": f"answer {i}"}) + "\n"
                   for i in range(start, start + count))


def test_a_gzip_uri_is_hashed_and_decompressed_as_the_local_path_is(tmp_path):
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(gzip.compress(records_text(40).encode()))
    by_path = LocalEngine().read(str(whole), Config())
    by_uri = LocalEngine().read(file_uri(whole), Config())
    assert by_uri.files[0].sha256 == by_path.files[0].sha256 == hashlib.sha256(whole.read_bytes()).hexdigest()
    assert len(by_uri.records) == len(by_path.records) == 40


def test_a_truncated_gzip_uri_is_a_file_error_of_that_input_and_the_others_are_read(tmp_path):
    good = tmp_path / "good.jsonl"
    good.write_text(records_text(30))
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(gzip.compress(records_text(400, start=100).encode())[:1500])
    by_path = LocalEngine().read([str(good), str(cut)], Config())
    by_uri = LocalEngine().read([str(good), file_uri(cut)], Config())
    assert [(e.line, e.field) for e in by_uri.errors] == [(e.line, e.field) for e in by_path.errors]
    assert by_uri.errors and by_uri.errors[-1].source == file_uri(cut)
    assert by_uri.errors[-1].message == by_path.errors[-1].message and "file ends early" in by_uri.errors[-1].message
    assert len(by_uri.records) == len(by_path.records) >= 30
