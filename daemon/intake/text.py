r"""Text from senders made safe to store, to log and to answer with.

aiosmtpd decodes command lines with `surrogateescape`, so bytes in an
address that are not UTF-8 arrive as lone surrogates. No encoder takes
those: the database driver refused the row (and with it the batch it was
in), and an SMTP reply that echoed one could not be sent. Such characters
are written as escapes instead (`\udcff`).
"""

from __future__ import annotations

from typing import Any


def valid_text(value: str) -> str:
    """`value`, with characters UTF-8 cannot encode written as backslash escapes."""
    if value.isascii():  # the usual case, and cheap to check
        return value
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def valid_json(value: Any) -> Any:
    """`valid_text` throughout a JSON-like value (dict keys included)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, dict):
        return {valid_json(key): valid_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [valid_json(item) for item in value]
    return value
