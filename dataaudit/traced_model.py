"""The embedding model as a TorchScript trace kept beside the embedding cache, so a run that embeds a few new
texts (an annotation batch) needs torch and the `tokenizers` library only, not sentence-transformers.

Importing sentence-transformers (and through it transformers, torch.distributed, scipy.optimize, sympy) and
loading the model costs 9-13 s on a 2-core machine, far more than embedding a batch of 500 short texts; torch
alone imports in 2-3 s and the trace loads in 0.2 s. A trace is only ever written after it reproduced
sentence-transformers on texts the run embedded plus fixed probes (token ids equal, vectors within
VERIFY_TOLERANCE, in two batch compositions); a model that does not trace or tokenise the same way is marked
unusable and stays on sentence-transformers. The folder's name holds the model's identity and the versions of
torch, transformers and sentence-transformers, so an upgrade of any of them traces again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

TRACE_FORMAT = 1
VERIFY_TOLERANCE = 1e-5  # max abs difference per vector component; measured 1.2e-7 on all-MiniLM-L6-v2
PROBE_TEXTS = (
    "",
    "x",
    "How do I reset my card's PIN?",
    "Crème brûlée, naïve café: ÀÉÎÕÜ ß æøå",
    "数据集审计 データ 데이터 🙂 👍🏽",
    "tab\there\nnew line \u200b zero width \u00a0 nbsp",
    "word " * 400,  # past every model's maximum length: truncation must agree
)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "none"


def trace_folder(cache_folder: Path, model_identity: str) -> Path:
    key = "\0".join([str(TRACE_FORMAT), model_identity, _version("torch"), _version("transformers"),
                     _version("sentence-transformers")])
    return Path(cache_folder) / "traced" / hashlib.sha256(key.encode()).hexdigest()[:20]


@dataclass
class TracedEncoder:
    module: object  # torch.jit.ScriptModule
    tokenizer: object  # tokenizers.Tokenizer, truncating and padding as sentence-transformers does
    input_names: tuple[str, ...]

    def token_arrays(self, texts: list[str]) -> list[np.ndarray]:
        """The model's inputs for texts, in `input_names` order, as int64 arrays (batch, padded length)."""
        encodings = self.tokenizer.encode_batch(list(texts))
        return [np.array([getattr(e, _ENCODING_FIELD[name]) for e in encodings], dtype=np.int64) for name in self.input_names]

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        import torch

        batches = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                inputs = [torch.from_numpy(array) for array in self.token_arrays(texts[start:start + batch_size])]
                vectors = torch.nn.functional.normalize(self.module(*inputs), p=2, dim=1)
                batches.append(vectors.float().numpy())
        return np.concatenate(batches) if batches else np.zeros((0, 0), dtype=np.float32)


_ENCODING_FIELD = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


def load_traced(folder: Path) -> TracedEncoder | None:
    """The trace in folder, or None when there is none or it was marked unusable. Raises on a damaged trace."""
    meta_path = folder / "meta.json"
    if not meta_path.is_file():
        return None
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    if not meta.get("usable"):
        return None
    import torch
    from tokenizers import Tokenizer

    with warnings.catch_warnings():
        # TorchScript is deprecated in favour of torch.export, whose loader imports torch's compiler stack
        # (~7 s here, what this module exists to avoid). If a later torch drops TorchScript, tracing fails,
        # the folder (keyed by torch's version) is marked unusable and sentence-transformers embeds.
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(str(folder / "model.pt"), map_location="cpu")
    module.eval()
    return TracedEncoder(module, Tokenizer.from_file(str(folder / "tokenizer.json")), tuple(meta["input_names"]))


def _replica_tokenizer(model):
    """sentence-transformers' tokenisation as a bare `tokenizers.Tokenizer`: its fast tokenizer's backend,
    truncating at the model's max_seq_length and padding to the longest text of a batch."""
    from tokenizers import Tokenizer

    hf_tokenizer = model.tokenizer
    tokenizer = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
    tokenizer.no_truncation()
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=int(model.max_seq_length), strategy="longest_first")
    tokenizer.enable_padding(direction=hf_tokenizer.padding_side, pad_id=int(hf_tokenizer.pad_token_id),
                             pad_type_id=int(getattr(hf_tokenizer, "pad_token_type_id", 0) or 0),
                             pad_token=str(hf_tokenizer.pad_token))
    return tokenizer


def _tensor_inputs(model, texts: list[str]) -> dict:
    return {name: value for name, value in model.preprocess(texts).items()
            if name in _ENCODING_FIELD and hasattr(value, "shape")}


def _forward_module(model, input_names: tuple[str, ...]):
    """sentence-transformers' forward pass from positional tensors, which is what torch.jit.trace records."""
    import torch

    class Forward(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, *tensors):
            return self.model(dict(zip(input_names, tensors)))["sentence_embedding"]

    return Forward().eval()


def _verify(encoder: TracedEncoder, model, texts: list[str], batch_size: int) -> str:
    """Why the trace does not reproduce sentence-transformers on texts, or "" when it does."""
    expected = _tensor_inputs(model, texts)
    for name, mine in zip(encoder.input_names, encoder.token_arrays(texts)):
        if mine.shape != tuple(expected[name].shape) or not np.array_equal(mine, expected[name].cpu().numpy()):
            return f"its tokeniser's {name} differ from sentence-transformers'"
    reference = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
                             show_progress_bar=False).astype(np.float32)
    for size in (batch_size, 1):
        difference = float(np.abs(encoder.encode(texts, size) - reference).max())
        if not difference <= VERIFY_TOLERANCE:
            return f"its vectors differ from sentence-transformers' by {difference:.2g} (batch size {size})"
    return ""


def verification_texts(embedded: list[str], count: int = 48) -> list[str]:
    """Probes plus texts a run embedded: the longest (truncation, padding) and an even spread of the rest."""
    by_length = sorted(set(embedded), key=lambda t: (len(t), t))
    spread = by_length[::max(1, len(by_length) // (count // 2))][:count // 2]
    return list(dict.fromkeys([*PROBE_TEXTS, *by_length[-(count // 2):], *spread]))


@contextmanager
def _quiet(*logger_names: str):
    """Those loggers (and their children that set no level of their own) say only errors meanwhile; each
    logger's own level comes back after, whatever the caller had set."""
    loggers = [logging.getLogger(name) for name in logger_names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def save_traced(model, folder: Path, texts: list[str], batch_size: int, model_identity: str = "") -> str:
    """Trace model (a loaded SentenceTransformer on the CPU), verify it on texts and write it into folder,
    atomically; a trace that does not reproduce the model is recorded as unusable. Traces of the same
    model_identity left by other library versions are removed. Returns why the trace is unusable, or "" when
    it reproduced the model; a folder that cannot be written is warned about (the trace is a speed-up only)."""
    import torch

    probe = _tensor_inputs(model, list(PROBE_TEXTS[2:4]))
    input_names = tuple(name for name in _ENCODING_FIELD if name in probe)
    reason = ""
    try:
        # torch warns that data-dependent branches are frozen in the trace (verification decides if it matters),
        # and the tracer reads every attribute, deprecated ones included, which sentence-transformers logs, and
        # properties such as loss_function, whose transformers logs "`loss_type=None` ... unrecognized" to stderr
        # (audit() prints nothing).
        with warnings.catch_warnings(), _quiet("sentence_transformers", "transformers"):
            warnings.simplefilter("ignore")
            module = torch.jit.trace(_forward_module(model, input_names), tuple(probe[n] for n in input_names),
                                     check_trace=False)
        encoder = TracedEncoder(module, _replica_tokenizer(model), input_names)
        reason = _verify(encoder, model, texts, batch_size)
    except Exception as exc:  # a model whose forward pass does not trace stays on sentence-transformers
        reason = f"it does not trace ({type(exc).__name__}: {exc})"
    staging = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}")
    try:
        staging.mkdir(parents=True)
        if not reason:
            module.save(str(staging / "model.pt"))
            encoder.tokenizer.save(str(staging / "tokenizer.json"))
        meta = {"usable": not reason, "reason": reason, "input_names": list(input_names), "format": TRACE_FORMAT,
                "model": model_identity}
        (staging / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(staging, folder)
    except OSError as exc:
        # The trace is only a speed-up: a shared cache whose traced/ folder is another user's, or a full disk,
        # costs the next run its fast start, never this audit. Another audit that wrote it first is no news.
        if not trace_exists(folder):  # written meanwhile by another audit: nothing to say
            warnings.warn(f"the traced model was not saved in {folder.parent} ({exc.strerror or exc}); "
                          "later runs load sentence-transformers instead", stacklevel=3)
        return reason
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if model_identity:
        _remove_superseded(folder, model_identity)
    return reason


def trace_exists(folder: Path) -> bool:
    """Whether a finished trace is in folder; False for a folder this user may not even list (saving there
    says why it cannot)."""
    try:
        return (folder / "meta.json").is_file()
    except OSError:
        return False


def _remove_superseded(folder: Path, model_identity: str) -> None:
    """Each upgrade of torch, transformers or sentence-transformers traces the model anew into another folder;
    the old one (~90 MB) would never be read again."""
    try:
        siblings = list(folder.parent.iterdir())
    except OSError:
        return
    for sibling in siblings:
        if sibling == folder or sibling.name.startswith(".") or not sibling.is_dir():
            continue
        try:
            superseded = json.loads((sibling / "meta.json").read_text(encoding="utf-8")).get("model") == model_identity
        except (OSError, ValueError, AttributeError):
            continue
        if superseded:
            shutil.rmtree(sibling, ignore_errors=True)
