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
        problem = address_problem(self.address)
        if problem:
            from ..errors import ConfigError

            raise ConfigError(f"engine.address: {self.address!r} {problem}")
        # An address with the local engine would be ignored, and the audit would run here while its author
        # believes it ran on the cluster: refused rather than guessed either way.
        if self.name == "local" and self.address:
            from ..errors import ConfigError

            from ..errors import said

            address = said("--ray-address / engine.address", "engine.address")
            engine = said("--engine local / engine.name = \"local\"", "engine.name = \"local\"")
            raise ConfigError(f"{address}: {self.address!r} names a Ray cluster, but the engine is local ({engine}): "
                              + said("pass --engine ray (or set name = \"ray\") to run there, or drop the address",
                                     "set name = \"ray\" to run there, or remove the address"))


def host_and_port(address: str) -> tuple[str, str]:
    """HOST and PORT of HOST:PORT, ray://HOST:PORT or a URL with a path; either "" where the form lacks it."""
    target = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = target.rpartition(":")
    return host, port


def address_problem(address: str) -> str:
    """What is wrong with a Ray address's form ("" when nothing): checked where it is read, so a config file's
    bad address is an error naming that file and key, not a connection refused minutes later."""
    if address in ("", "auto", "local"):
        return ""
    host, port = host_and_port(address)
    if not host or not port.isdigit():
        return "is not an address: expected HOST:PORT, ray://HOST:PORT or auto"
    if not 0 < int(port) < 65536:
        return f"has port {int(port)}, outside 1-65535: give the head's GCS port (6379 unless `ray start --head --port` set another)"
    return ""
