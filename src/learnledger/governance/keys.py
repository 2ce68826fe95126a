"""The secret key and the purpose keys derived from it (sessions, pseudonyms, audit seal).

The key comes from the ``secret_key`` setting or, when that is unset, from ``secret_key_file``,
which is created with 32 random bytes (mode 0600) on first use. Each purpose gets its own key,
``HMAC-SHA-256(secret, purpose)``, so a key leaked for one purpose does not open another.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from learnledger.config import Settings
from learnledger.errors import ConfigError


@dataclass(frozen=True)
class KeyRing:
    """Derives purpose keys and keyed fingerprints from one secret."""

    secret: bytes

    def key(self, purpose: str) -> bytes:
        """The 32-byte key for `purpose` (e.g. ``"session"``, ``"pseudonym:v1"``)."""
        return hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()

    def fingerprint(self, purpose: str, value: str) -> str:
        """HMAC-SHA-256 of `value` under the key for `purpose`, as 64 hex digits."""
        return hmac.new(self.key(purpose), value.encode(), hashlib.sha256).hexdigest()


def load_key_ring(settings: Settings) -> KeyRing:
    """The key ring for `settings`: the configured secret, else the key file (created once)."""
    if settings.secret_key is not None:
        value = settings.secret_key.get_secret_value().encode()
        if len(value) < 16:
            raise ConfigError("secret_key must be at least 16 characters long")
        return KeyRing(value)
    return KeyRing(_read_or_create_key_file(Path(settings.secret_key_file)))


def _read_or_create_key_file(path: Path) -> bytes:
    if path.is_file():
        data = bytes.fromhex(path.read_text().strip())
        if len(data) < 16:
            raise ConfigError(f"the key file {path.name} holds fewer than 16 bytes")
        return data
    path.parent.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_or_create_key_file(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(data.hex() + "\n")
    return data
