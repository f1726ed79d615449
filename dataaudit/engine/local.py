"""The default engine: every step in this process, as the audit always ran. Imports nothing of Ray."""

from __future__ import annotations

import os
import sys
import warnings as _warnings

from .. import __version__
from ..embeddings import Embedder
from ..index import TextIndex, build_index
from ..load.dataset import load_dataset
from ..load.records import Dataset
from ..normalize import normalize_text
from ..load.files import is_uri
from ..load.inputs import dataset_name, expand_inputs, merge_datasets, read_file, read_files, read_together
from .base import EngineInfo, SerialSteps


def embed_indexes(indexes: list[TextIndex], embedder: Embedder, encode=None,
                  encode_fills_cache: bool = False) -> tuple[list[TextIndex], dict[str, int], list[str]]:
    """Every distinct key of every role embedded once (the cache first: it skips what earlier runs embedded).
    encode: list[str] -> vectors for the texts the cache lacks (an engine's executor); None = this process;
    encode_fills_cache: the executor wrote the cache itself."""
    distinct = list(dict.fromkeys(k for index in indexes for k in index.distinct))
    text_of = {k: text for index in indexes for k, text in zip(index.distinct, index.embed_texts)}
    before = (embedder.stats.computed, embedder.stats.from_cache)
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        vectors = embedder.embed([text_of[k] for k in distinct], encode=encode, encode_fills_cache=encode_fills_cache)
    table = dict(zip(distinct, vectors))
    dim = vectors.shape[1] if len(distinct) else 0
    stats = {"computed": embedder.stats.computed - before[0], "from_cache": embedder.stats.from_cache - before[1]}
    return [index.with_vectors(table, dim) for index in indexes], stats, [str(w.message) for w in caught]


class LocalEngine(SerialSteps):
    name = "local"

    def read(self, paths, config, *, role: str = "train", name: str = "") -> Dataset:
        files = expand_inputs(paths)
        if not any(is_uri(f) for f in files):
            return load_dataset(files, config, role=role, name=name)
        if read_together(files, config, role):
            return read_files(files, config, role, name)
        return merge_datasets([read_file(f, config, role) for f in files], dataset_name(files, config, name))

    def index(self, role: str, dataset: Dataset, config) -> TextIndex:
        return build_index(role, dataset, lambda text: normalize_text(text, config.duplicates))

    def embed(self, indexes: list[TextIndex], embedder: Embedder):
        return embed_indexes(indexes, embedder)

    def info(self) -> EngineInfo:
        torch = sys.modules.get("torch")  # loaded only when the audit embedded; importing it here costs seconds
        gpus = torch.cuda.device_count() if torch is not None and torch.cuda.is_available() else 0
        return EngineInfo(self.name, __version__, 1, float(os.cpu_count() or 1), float(gpus))

    def close(self) -> None:
        pass
