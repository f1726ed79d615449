"""One error hierarchy: everything the user can fix is a DataAuditError, which the CLI turns into exit 2.

Anything else that escapes is a bug in dataaudit and shows as one (in tests, and never under exit 1).
"""

from __future__ import annotations

from contextvars import ContextVar


class DataAuditError(Exception):
    """An input, config or usage problem the user can fix; the message names the file and what to do."""


class InputError(DataAuditError):
    """An input that cannot be read at all (missing, a directory, unreadable): the audit cannot start."""


class ConfigError(DataAuditError, ValueError):
    """A config file or value that cannot be used; the message names the file and key."""


class ModelNotFoundError(DataAuditError):
    """No usable sentence-transformers model on this machine; nothing is downloaded."""


class InputWarning(UserWarning):
    """Something reading set aside that the report should say (a glob's matches that are not data files):
    audit() puts these in the report's warnings; other libraries' warnings are left to Python's filters."""


# Who is asking, for messages that tell the user what to change: the CLI sets "cli" while it runs a command, so a
# message names the flag (--no-embeddings); called from Python, the same message names the parameter or config
# key (embed=False), which is what a notebook user can change.
INTERFACE: ContextVar[str] = ContextVar("dataaudit_interface", default="api")


def said(cli: str, api: str) -> str:
    """The way to name a setting to the caller: `cli` under the command line, `api` from Python."""
    return cli if INTERFACE.get() == "cli" else api
