"""A request body read as JSON, with a reason the sender can act on when it is not."""

from __future__ import annotations

import json
from typing import Any


class NotJson(ValueError):
    """The body is not a JSON document; `reason` says why ("not UTF-8 text", …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def decode_json(body: bytes) -> Any:
    """The JSON value of `body` (UTF-8, a byte-order mark allowed), or `NotJson`."""
    try:
        return json.loads(body.decode("utf-8-sig"))  # JSON on the wire is UTF-8 (RFC 8259)
    except UnicodeDecodeError:
        raise NotJson("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise NotJson(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # deeper than the parser recurses
        raise NotJson("not usable JSON: nested too deeply") from None
