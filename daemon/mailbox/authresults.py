"""`Authentication-Results` (RFC 8601) from a trusted upstream MTA, read with `authres`.

Only the topmost header naming the configured authserv-id counts: the border
MTA adds its own header on top, and RFC 8601 §5 has it remove any header that
claims its authserv-id from the incoming mail, so one further down is forged.
"""

from __future__ import annotations

import email.policy
from email.parser import BytesHeaderParser
from typing import Any

import authres
import authres.dmarc

from daemon.config.mail import AuthResultsConfig

_HEADERS = BytesHeaderParser(policy=email.policy.compat32)
_CONTEXT = authres.FeatureContext(authres.dmarc)  # dmarc= is an extension in authres
HEADER = "Authentication-Results"


def problem(raw: bytes, required: AuthResultsConfig) -> str | None:
    """Why `raw` does not show the required passes (None when it does)."""
    headers = _HEADERS.parsebytes(raw)
    for value in headers.get_all(HEADER) or []:
        parsed = _parse(str(value))
        if parsed is None or parsed.authserv_id != required.authserv_id:
            continue
        failing = []
        for method in required.require:
            results = [str(r.result).lower() for r in parsed.results
                       if str(r.method).lower() == method]
            if "pass" not in results:
                failing.append(f"{method}={'/'.join(results) or 'none'}")
        if not failing:
            return None
        return f"{', '.join(failing)} according to {required.authserv_id}"
    return f"no {HEADER} header from {required.authserv_id}"


def _parse(value: str) -> Any:
    unfolded = " ".join(value.split())  # authres expects the value unfolded
    try:
        return _CONTEXT.parse_value(unfolded)
    except authres.AuthResError:
        return None  # malformed: as good as absent
