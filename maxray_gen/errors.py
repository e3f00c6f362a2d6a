"""One error family. The CLI turns any :class:`MaxrayError` into a one-line message and exit code 2."""

from __future__ import annotations


class MaxrayError(Exception):
    """Base class of every error the user can cause or fix (bad config, bad file, missing dependency)."""

    exit_code = 2


class ConfigError(MaxrayError):
    """A configuration value is missing, of the wrong type, unknown, or physically inconsistent."""


class DataError(MaxrayError):
    """An input data file (path list, snapshot, shard) is malformed or inconsistent."""


class DependencyError(MaxrayError):
    """A required library or system component is missing or too old; the message says what to install."""
