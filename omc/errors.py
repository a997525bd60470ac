"""The errors a user can see.

Every failure omc expects carries the one-line message a user reads and the exit code a script
checks. The CLI translates them once, at the top (`omc.cli.main`); nothing below it prints or
exits. Exit codes follow BSD sysexits so they mean the same thing as in other Unix tools.
"""

from __future__ import annotations

# sysexits.h
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_UNAVAILABLE = 69
EX_SOFTWARE = 70
EX_CANTCREAT = 73
EX_TEMPFAIL = 75
EX_NOPERM = 77
EX_CONFIG = 78


class OmcError(Exception):
    """Base of every error omc reports to a user.

    The message must be safe to show: never a secret, never a password inside a URL.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, exit_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UsageProblem(OmcError):
    """The command was given something it cannot work with (a bad value, an unknown name)."""

    exit_code = EX_USAGE


class DataProblem(OmcError):
    """Input data is malformed or insufficient (an unknown file layout, too few bars)."""

    exit_code = EX_DATAERR


class NotFound(OmcError):
    """A named thing (a credential, an algorithm, a coin) does not exist."""

    exit_code = EX_NOINPUT


class ConfigProblem(OmcError):
    """Settings are invalid: a corrupt config file, an unknown log level, a bad URL."""

    exit_code = EX_CONFIG


class HomeNotWritable(OmcError):
    """OMC_HOME (or another directory omc must write) cannot be created or written."""

    exit_code = EX_CANTCREAT


class PermissionProblem(OmcError):
    """A file omc relies on has permissions that are unsafe or deny access."""

    exit_code = EX_NOPERM


class ServiceUnavailable(OmcError):
    """A server omc needs (the database, Redis, an API) cannot be reached."""

    exit_code = EX_UNAVAILABLE


class DatabaseUnreachable(ServiceUnavailable):
    """The database server did not answer or refused the connection."""


class SchemaOutOfDate(OmcError):
    """The database schema is not at the revision this version of omc needs."""

    exit_code = EX_TEMPFAIL


class SecretUnavailable(OmcError):
    """A secret cannot be decrypted (missing or wrong master key)."""

    exit_code = EX_NOPERM


class InternalError(OmcError):
    """A bug in omc: something that should not happen did."""

    exit_code = EX_SOFTWARE
