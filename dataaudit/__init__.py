"""dataaudit: is this dataset ready for fine-tuning? Measures each necessary condition with evidence.

    from dataaudit import audit, load_config
    report = audit("train.jsonl", production="prod.jsonl")
    report.verdict.status          # ready | not_ready | insufficient_evidence
    report.checks["duplicates"]    # typed results, one per measurement
"""

__version__ = "0.1.0"

_FROM_API = ("audit", "write_reports", "write_suspects", "write_timings", "write_comparison", "fetch_label_studio",
             "dedup")


def __getattr__(name: str):
    # Lazy, so `import dataaudit` stays fast and torch loads only when embeddings are needed.
    if name in _FROM_API:
        from . import api

        return getattr(api, name)
    if name in ("load_config", "Config", "config_with_overrides"):
        from . import config

        return getattr(config, name)
    if name == "load_dataset":
        from .load.dataset import load_dataset

        return load_dataset
    raise AttributeError(name)


__all__ = [*_FROM_API, "load_config", "Config", "config_with_overrides", "load_dataset", "__version__"]


def __dir__() -> list[str]:
    # The lazy exports above are not module attributes until first used: list them for dir() and help().
    return sorted(set(globals()) | set(__all__))
