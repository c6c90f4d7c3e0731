"""Attachments of an incident's mails: listed as metadata, downloaded one at a time.

A download is always `Content-Disposition: attachment` with the stored
content type, `nosniff` and a sandboxing CSP, so that a browser never renders
what a stranger mailed in (an HTML or SVG file stays a file).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from aiohttp import web
from sqlalchemy.orm import Session

from daemon.api.common import requires, respond
from daemon.api.unit import ApiError, answers, incident_number, load_incident, path_id, read
from daemon.reporting.views import attachment_json
from daemon.store import repo

_MEDIA_TYPE = re.compile(r"^[A-Za-z0-9][\w.+-]*/[A-Za-z0-9][\w.+-]*$")
FALLBACK_TYPE = "application/octet-stream"


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII name and the exact UTF-8 one (RFC 6266 §4.3)."""
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "_", filename).strip() or "attachment"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


@requires("read")
@answers
async def list_attachments(request: web.Request) -> web.Response:
    """The incident's attachments: name, type, size, sha256, sender, download URL."""
    number = incident_number(request)

    def load(session: Session) -> list[dict[str, Any]]:
        load_incident(session, number)
        return [attachment_json(a, r)
                for a, r in repo.get_attachments(session, incident_id=number)]

    return respond({"attachments": await read(request, load)})


@requires("read")
@answers
async def download_attachment(request: web.Request) -> web.Response:
    """One attachment's bytes, as a download."""
    number = incident_number(request)
    attachment_id = path_id(request, "attachment_id", "attachment id")

    def load(session: Session) -> tuple[str, str, bytes, bool] | None:
        load_incident(session, number)
        found = repo.get_attachment(session, incident_id=number, attachment_id=attachment_id)
        if found is None:
            return None
        return found.filename, found.content_type, found.data, found.truncated

    loaded = await read(request, load)
    if loaded is None:
        raise ApiError(404, f"INC-{number} has no attachment {attachment_id}", "attachment_id")
    filename, content_type, data, truncated = loaded
    if truncated:
        raise ApiError(410, f"{filename} was larger than [mailbox] max_attachment_size; only "
                            "its name, type, size and sha256 were kept", "attachment_id")
    response = web.Response(body=data, headers={
        "Content-Type": content_type if _MEDIA_TYPE.match(content_type) else FALLBACK_TYPE,
        "Content-Disposition": content_disposition(filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })
    return response


def add_routes(app: web.Application) -> None:
    """Register the attachment routes."""
    app.router.add_get("/api/v1/incidents/{key}/attachments", list_attachments)
    app.router.add_get("/api/v1/incidents/{key}/attachments/{attachment_id}",
                       download_attachment)
