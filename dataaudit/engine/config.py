"""The `[engine]` config section. Kept free of module-level imports so the core config can hold it without cycles."""

from __future__ import annotations

from dataclasses import dataclass

ENGINE_NAMES = ("local", "ray")


@dataclass
class EngineConfig:
    name: str = "local"  # local | ray
    address: str = ""  # Ray only: "" starts a local Ray; "auto", "HOST:PORT" or "ray://HOST:10001" joins a cluster
    embed_actors: int = 0  # Ray only: embedding actors (each loads the model once); 0 = one per GPU, else one per node
    gpus_per_actor: float = 1.0  # Ray only: GPUs each embedding actor takes when the cluster has GPUs; 0 = CPUs only

    def __post_init__(self) -> None:
        # An address with the local engine would be ignored, and the audit would run here while its author
        # believes it ran on the cluster: refused rather than guessed either way.
        if self.name == "local" and self.address:
            from ..errors import ConfigError

            raise ConfigError(f"engine.address: {self.address!r} names a Ray cluster, but engine.name is \"local\": "
                              "set name = \"ray\" (or pass --engine ray) to run there, or remove the address")
