"""Password hashing (argon2id) and the password policy for web/API users."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from learnledger.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters

#: A hash of a random password, verified against when the username is unknown, so that a
#: failed sign-in takes as long whether or not the user exists.
DUMMY_HASH = _HASHER.hash("no user has this password: it only equalises timing")


def check_password_policy(password: str) -> None:
    """Raise ValidationError naming why `password` is not acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError("password", f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError("password", f"must be at most {MAX_PASSWORD_LENGTH} characters long")
    if password.strip() != password or not password.strip():
        raise ValidationError("password", "must not start or end with white space")


def hash_password(password: str) -> str:
    """The argon2id hash of `password` (which must pass the policy)."""
    check_password_policy(password)
    return _HASHER.hash(password)


def rehash_password(password: str) -> str:
    """A fresh hash of an already accepted password (after `needs_rehash`); no policy check."""
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches `password_hash`; never raises for a mismatch."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's and should be redone."""
    return _HASHER.check_needs_rehash(password_hash)
