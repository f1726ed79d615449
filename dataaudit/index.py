"""One TextIndex per role (train, production, eval), built once per audit and shared by every check.

It holds what several checks need about the inputs: the records, each record's normalised key, the distinct
keys in first-appearance order with the records that carry each, each key's system prompt and query apart
(normalised as keys are), and one unit vector per distinct key when the audit embeds. Checks take the index,
never parallel lists, so "distinct keys in order" exists once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .load.records import Dataset, Record


@dataclass(frozen=True)
class TextIndex:
    role: str  # train | production | eval
    dataset: Dataset
    keys: list[str]  # normalised input key of each record ("" for an empty input)
    distinct: list[str]  # distinct non-empty keys, first appearance first
    positions: dict[str, list[int]]  # key -> positions of the records that carry it
    key_ids: np.ndarray  # position in `distinct` of each record's key, -1 for an empty one
    embed_texts: list[str]  # what is embedded for each distinct key: its first record's query text, normalised
    # What near-copy rules compare as a unit beside each distinct key's query (see _prompt): its system prompt
    # (its first record's, Record.preamble_chars long), normalised, "" for none; for a conversation whose query
    # is kept apart (replies or tool turns in its input), its other turns (Record.context), normalised.
    prompts: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = field(default=None, repr=False)  # one unit vector per distinct key
    # Distinct keys the embedding model reads mostly as its unknown token (vocabulary.py); None = not measured.
    unreadable: np.ndarray | None = field(default=None, repr=False)
    # Of `prompts`, those that are a conversation's other turns, compared by equality alone (near_pairs.prompt_classes).
    conversations: list[bool] = field(default_factory=list)

    @property
    def records(self) -> list[Record]:
        return self.dataset.records

    @property
    def embedded(self) -> bool:
        return self.vectors is not None

    def with_vectors(self, table: dict[str, np.ndarray], dim: int) -> TextIndex:
        vectors = np.stack([table[k] for k in self.distinct]) if self.distinct else np.zeros((0, dim), dtype=np.float32)
        return TextIndex(self.role, self.dataset, self.keys, self.distinct, self.positions, self.key_ids, self.embed_texts,
                         self.prompts, vectors, conversations=self.conversations)


def build_index(role: str, dataset: Dataset, normalize) -> TextIndex:
    """normalize: str -> str, the configured key normalisation."""
    keys = [normalize(r.input_text) for r in dataset.records]
    positions: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            positions.setdefault(key, []).append(i)
    distinct = list(positions)
    slot = {k: i for i, k in enumerate(distinct)}
    key_ids = np.fromiter((slot.get(k, -1) for k in keys), dtype=np.int64, count=len(keys))
    # The key is everything the model sees (a copy must match whole); the vector is of the query without a
    # shared system prompt, which would otherwise pull every record's embedding towards the same point.
    records = dataset.records
    embed_texts = [normalize(records[positions[k][0]].query_text) or k for k in distinct]
    prompts = [_prompt(records[positions[k][0]], k, normalize) for k in distinct]
    conversations = [records[positions[k][0]].query is not None for k in distinct]
    return TextIndex(role, dataset, keys, distinct, positions, key_ids, embed_texts, prompts, conversations=conversations)


def texts_to_normalise(record: Record) -> tuple[str, ...]:
    """Every text of a record that build_index normalises: its input; where the query is not the input, the
    query; and the unit _prompt compares (a system prompt, or a conversation's other turns). An engine that
    normalises where the files are read hands build_index a lookup of exactly these."""
    texts = (record.input_text,)
    if record.preamble_chars or record.query is not None:
        texts += (record.query_text,)
    if record.query is not None:
        return texts + ((record.context,) if record.context is not None else ())
    return texts + ((record.input_text[:record.preamble_chars],) if record.preamble_chars else ())


def _prompt(record: Record, key: str, normalize) -> str:
    """What the near-copy rules compare as a unit, beside the query: the record's system prompt (the first
    preamble_chars of its input), normalised. A conversation whose query is kept apart (tool calls, tool
    results, earlier replies in its input) compares its other turns (Record.context) as that unit, by equality:
    the same conversation with a typo in a user turn is a near copy, one that asks the same under another tool
    output or another reply is a second example. A record made without its context compares its whole key."""
    if record.query is not None:
        return normalize(record.context) if record.context is not None else key
    return normalize(record.input_text[:record.preamble_chars]) if record.preamble_chars else ""
