"""One exception tree for LearnLedger.

```
LearnLedgerError                 base of everything the package raises on purpose
├── ConfigError                  a setting is missing or invalid
├── StorageError                 the engine failed or was misused
│   ├── MigrationError           a migration is unknown, out of order or failed
│   └── EngineUnavailableError   the database cannot be reached
├── ValidationError              input breaks a rule; names the path and the reason
├── NotFoundError                a requested record does not exist
├── ConflictError                a write clashes with what is stored (e.g. same id, other content)
├── PreconditionFailedError      an If-Match / If-None-Match precondition does not hold
├── PreconditionRequiredError    a write needs an If-Match / If-None-Match precondition
├── PayloadTooLargeError         a request body exceeds the configured limit
├── AuthenticationError          credentials missing or wrong
└── PermissionDeniedError        the actor may not do or see this
```

`HTTP_STATUS` maps each class to the status code the web layer answers with, in one place.
"""

from __future__ import annotations


class LearnLedgerError(Exception):
    """Base class of every error LearnLedger raises on purpose."""


class ConfigError(LearnLedgerError):
    """A setting is missing or has an invalid value."""


class StorageError(LearnLedgerError):
    """The storage engine failed or was used wrongly."""


class MigrationError(StorageError):
    """A schema migration is unknown, out of order, or failed to apply."""


class EngineUnavailableError(StorageError):
    """The database named by the engine URL cannot be reached."""


class ValidationError(LearnLedgerError):
    """Input breaks a rule.

    `path` names the offending location (e.g. ``statement[3].result.score.scaled``) and
    `reason` says what is wrong; ``str(error)`` is ``"path: reason"``.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)

    def __reduce__(self) -> tuple[type[ValidationError], tuple[str, str]]:
        """Pickle by path and reason (errors of worker processes reach the parent)."""
        return (type(self), (self.path, self.reason))


class NotFoundError(LearnLedgerError):
    """A requested record does not exist."""


class ConflictError(LearnLedgerError):
    """A write clashes with stored data."""


class PreconditionFailedError(LearnLedgerError):
    """A concurrency precondition (If-Match / If-None-Match) does not hold."""


class PreconditionRequiredError(LearnLedgerError):
    """A write needs a concurrency precondition (If-Match / If-None-Match) and has none."""


class PayloadTooLargeError(LearnLedgerError):
    """A request body is larger than the configured limit."""


class AuthenticationError(LearnLedgerError):
    """Credentials are missing or wrong."""


class PermissionDeniedError(LearnLedgerError):
    """The actor may not perform this action or see this data."""


class TooManyRequestsError(LearnLedgerError):
    """The actor tried too often in too short a time (e.g. failed sign-ins); retry later."""


HTTP_STATUS: dict[type[LearnLedgerError], int] = {
    ValidationError: 400,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    PreconditionFailedError: 412,
    PayloadTooLargeError: 413,
    PreconditionRequiredError: 428,
    TooManyRequestsError: 429,
    ConfigError: 500,
    StorageError: 500,
    MigrationError: 500,
    EngineUnavailableError: 503,
    LearnLedgerError: 500,
}


def http_status_for(error: LearnLedgerError) -> int:
    """Return the HTTP status code for `error`, using the nearest class in `HTTP_STATUS`."""
    for cls in type(error).__mro__:
        if cls in HTTP_STATUS:
            return HTTP_STATUS[cls]
    return 500
