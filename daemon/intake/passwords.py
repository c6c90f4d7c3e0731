"""Password hashes for SMTP AUTH users: scrypt (RFC 7914) from the standard library.

A hash reads `scrypt$N$r$p$salt$key` (salt and key in base64), so that the
cost can be raised later without breaking the hashes already configured.
`incidentd smtp hash-password` makes one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCHEME = "scrypt"
COST = 2**14  # 16 MiB and a few tens of milliseconds per check
BLOCK_SIZE = 8
PARALLELISM = 1
KEY_BYTES = 32
MAX_MEMORY = 64 * 1024 * 1024


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """A new hash of `password` with a random salt."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    key = _derive(password.encode("utf-8"), salt, COST, BLOCK_SIZE, PARALLELISM)
    return "$".join([SCHEME, str(COST), str(BLOCK_SIZE), str(PARALLELISM),
                     base64.b64encode(salt).decode(), base64.b64encode(key).decode()])


def verify_password(password: bytes, hashed: str) -> bool:
    """Whether `password` matches `hashed` (constant-time comparison of the keys)."""
    try:
        scheme, cost, block_size, parallelism, salt, key = hashed.split("$")
        expected = base64.b64decode(key, validate=True)
        derived = _derive(password, base64.b64decode(salt, validate=True), int(cost),
                          int(block_size), int(parallelism), len(expected))
    except (ValueError, TypeError):
        return False
    return scheme == SCHEME and hmac.compare_digest(derived, expected)


def _derive(password: bytes, salt: bytes, cost: int, block_size: int, parallelism: int,
            length: int = KEY_BYTES) -> bytes:
    return hashlib.scrypt(password, salt=salt, n=cost, r=block_size, p=parallelism,
                          maxmem=MAX_MEMORY, dklen=length)


# Checked when the user is unknown, so that the answer takes as long as for a known one.
DUMMY_HASH = hash_password("", salt=b"\0" * 16)
