"""The loaded dataset: typed records that remember where they came from, and the input errors found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Annotation:
    annotator: str
    label: str
    line: int  # where this label was read (for long layouts each label has its own row)
    question: str = ""  # the question answered, in exports that ask several ("" = the dataset's one label)
    lead_time: float | None = None  # seconds the annotator spent, where the tool records it
    created_at: str = ""  # ISO 8601, where the tool records it
    is_gold: bool = False  # a reference answer (Label Studio ground truth), not one annotator's rating
    source: str = ""  # the file it was read from, where not its record's (a long layout's item rated across files)


@dataclass(frozen=True)
class Record:
    source: str  # input file path as given
    line: int  # 1-based JSONL line, or CSV/Parquet data row number
    format: str  # a name from load.readers.FORMAT_NAMES, or annotation_long | annotation_wide
    input_text: str  # everything the model sees before its target (see load.readers for how it is built)
    target: str | None = None  # final assistant turn / completion / output; `chosen` for preference pairs
    label: str | None = None  # class label (or the adjudicated label when several annotators exist)
    record_id: str | None = None
    annotations: tuple[Annotation, ...] = ()
    gold: str | None = None
    lines: tuple[int, ...] = ()  # every row that contributed (long layouts); defaults to (line,)
    rejected: str | None = None  # preference pairs: the rejected response
    desirable: bool | None = None  # unpaired preference (KTO): whether the completion is desirable
    truncated: bool = False  # input, target or rejected was cut to load.values.MAX_TEXT_CHARS
    preamble_chars: int = 0  # length of the system prompt that starts input_text (0 when there is none)
    # The parsed source object of a chat record (its messages and tool definitions, which the token and PII
    # checks read), None for other formats: kept for every record it was 36% of a short record's memory.
    raw: Any = field(default=None, compare=False, hash=False, repr=False)

    @property
    def query_text(self) -> str:
        """What is asked: where the query is kept apart (`query`: an assistant, tool or function turn, or a message's
        `name`, in the input), a conversation's user turns (load.readers.user_query); otherwise, a chat of system
        and user turns alone too, the input without its leading system prompt, what varies between records that
        share one preamble."""
        if self.query is not None:
            return self.query
        return self.input_text[self.preamble_chars:].lstrip("\n") if self.preamble_chars else self.input_text
    # Annotation-tool exports: every answer to every question (gold ones marked), while `annotations`
    # and `gold` hold the headline question's, which is what single-label consumers read.
    question_annotations: tuple[Annotation, ...] = ()
    # A cut record's (input, target, rejected) as read, for what must measure the whole text: a trainer does not
    # stop at MAX_TEXT_CHARS, so the token count reads these. None for a record that was not cut, and for one
    # whose `raw` is kept (it holds the whole text already).
    uncut: tuple[str, str | None, str | None] | None = field(default=None, compare=False, hash=False, repr=False)
    # A conversation's user turns where they are not the input without its system prompt (tool calls, tool
    # results, assistant turns or a message's name in it); None: query_text is that input.
    query: str | None = None
    # Beside a query: the input's other turns (system prompt, earlier replies, tool calls and results), joined,
    # the unit its near copies must share (index._prompt); None where query is None.
    context: str | None = None
    # The label as the file spells it where normalisation changed it (NFKC, whitespace, a number's spelling:
    # "cafe" + a combining accent, " billing ", "1.0"); None where it reads as `label`, as almost every label does,
    # so a record holds no second copy. A trainer reads the file: the token count reads this one (written_answer).
    written_label: str | None = field(default=None, compare=False, hash=False, repr=False)
    # The tool set the record offers, as canonical JSON (load.readers.tools_text), where its input opens with the
    # `[tools 1a2b3c4d5e6f]` digest turn, for every shape: what a trainer renders and OpenAI bills, which the token
    # counts read in the digest's place. None where it offers none; records offering one set share one string.
    tools: str | None = field(default=None, compare=False, hash=False, repr=False)

    @property
    def full_texts(self) -> tuple[str, str | None, str | None]:
        """(input, target, rejected), uncut."""
        return self.uncut or (self.input_text, self.target, self.rejected)

    @property
    def written_answer(self) -> str | None:
        """What a trainer reads as this record's answer: its target, else its label as the file spells it."""
        if self.target is not None:
            return self.target
        return self.written_label if self.written_label is not None else self.label

    @property
    def all_lines(self) -> tuple[int, ...]:
        return self.lines or (self.line,)


@dataclass(frozen=True)
class RecordError:
    source: str
    line: int  # 0 when the problem is the whole file
    field: str
    message: str


@dataclass(frozen=True)
class InputFile:
    path: str
    sha256: str
    records: int  # records read (valid + invalid)


@dataclass(frozen=True)
class AnnotationExport:
    """What an annotation tool's export held beyond the records: its questions and what was set aside."""

    tool: str  # label_studio | prodigy | argilla
    kind: str  # json | json_min | csv | jsonl | records_json
    questions: dict[str, str]  # question -> its type as the tool names it (choices, rating, taxonomy, ...)
    headline: str | None  # the question whose labels are the records' labels
    cancelled: int = 0  # cancelled / skipped / ignored / discarded answers, skipped
    drafts: int = 0  # unsubmitted answers, skipped
    predictions: int = 0  # model pre-annotations or suggestions, never counted as an annotator
    gold: int = 0  # reference (ground-truth) answers
    spans: int = 0  # span / region answers, read and counted but not judged
    latest_only: bool = False  # the export keeps one annotation per item: agreement needs the full export
    since: str = ""  # only annotations created after this instant were kept
    before_since: int = 0  # annotations left out because they were created earlier
    # The newest creation time of any answer the export held, kept or not (ISO, the tool's own clock): where
    # the next `--since-last` window starts, so an answer made while this audit ran falls in the next one.
    newest_answer: str = ""
    notes: tuple[str, ...] = ()
    unlabelled: int = 0  # items nobody answered (none, or only set-aside answers): left out of the records


@dataclass
class Dataset:
    """Valid records plus everything that could not be used, with its place in the input."""

    name: str
    files: list[InputFile]
    records: list[Record]
    errors: list[RecordError]
    total: int  # rows read, valid or not (a long annotation layout has several rows per item)
    invalid: int  # rows that could not be used, each with at least one error below
    blank_lines: int = 0
    annotation_export: AnnotationExport | None = None  # set when read from an annotation tool's export
