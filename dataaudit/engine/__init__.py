"""Engines execute the data-parallel steps of an audit: read files into a Dataset, normalise and hash the
input keys into a TextIndex, embed the distinct keys. The checks then run unchanged on the driver, on the
same TextIndex objects whichever engine built them (see docs/distributed.md for what runs where).

`local` (default) runs the steps in this process and imports nothing of Ray; `ray` runs them as Ray tasks
and an actor pool (`pip install 'dataaudit[ray]'`).
"""

from __future__ import annotations

from .config import ENGINE_NAMES, EngineConfig

__all__ = ["ENGINE_NAMES", "EngineConfig", "make_engine"]


def make_engine(config: EngineConfig | None = None, *, address_from: str = "", **overrides):
    """The engine a config names (overrides: name/address/... as from CLI flags). address_from: where the address
    was set, for errors ("--ray-address", "engine.address in ./dataaudit.toml"; "" = the flag or key)."""
    from dataclasses import replace

    from ..errors import ConfigError

    config = replace(config or EngineConfig(), **{k: v for k, v in overrides.items() if v is not None})
    if config.name == "local":
        from .local import LocalEngine

        return LocalEngine()
    if config.name == "ray":
        from .ray_engine import RayEngine

        return RayEngine(address=config.address, embed_actors=config.embed_actors, gpus_per_actor=config.gpus_per_actor,
                         address_from=address_from)
    raise ConfigError(f"engine.name: {config.name!r} is not one of {', '.join(ENGINE_NAMES)}")
