"""The errors faultlens reports to its users.

    FaultlensError            something the user can fix; the CLI prints one line, never a traceback
    ├── UsageError            bad options or no readable input (exit code 2)
    ├── SourceError           an input cannot be opened or read (names the file)
    ├── DecodeError           a record cannot be decoded (names the file and line)
    ├── ConfigError           a setting or config file is wrong (names the key)
    └── StoreError            the store cannot be opened or written

Every message ends with what to do next. Real bugs are not FaultlensErrors and keep their
traceback.
"""

from __future__ import annotations


class FaultlensError(Exception):
    """Base of every error a user can act on."""

    exit_code = 1

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.path = path
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        return f"{where}{self.message}"


class UsageError(FaultlensError):
    """The command line asks for something that cannot be done."""

    exit_code = 2


class SourceError(FaultlensError):
    """An input could not be opened or read to the end."""


class DecodeError(FaultlensError):
    """A record does not have the shape its format promises."""


class ConfigError(FaultlensError):
    """A setting or configuration file is wrong."""

    exit_code = 2


class StoreError(FaultlensError):
    """The store could not be opened, read or written."""
