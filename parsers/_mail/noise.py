"""Mail that must not become an incident: loops, bounces, receipts, auto-replies, lists.

`check()` raises `Ignored` with a reason `"<kind>: <what was seen>"`. Kinds:
`loop`, `bounce`, `read receipt`, `abuse report`, `auto-reply`, `automatic`,
`bulk`, `mailing list`. Being a reply is never a reason by itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from email.message import Message
from typing import Any, Final

from parsers._mail.decode import header_text, msgids, one_line, raw_text
from parsers._mail.parts import content_type, param, part_text, payload_bytes, raw_header
from parsers.report import Ignored, RawInput

LOOP_HEADER: Final = "x-incidentd-loop"

_DSN_TYPES: Final = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES: Final = frozenset({"message/disposition-notification",
                               "message/global-disposition-notification"})
_RETURNED_TYPES: Final = frozenset({"message/rfc822", "message/global", "text/rfc822-headers",
                                    "message/rfc822-headers", "message/global-headers"})
_AUTOREPLY_HEADERS: Final = ("x-autoreply", "x-autorespond", "x-autoresponder",
                             "x-mail-autoreply")
_BOUNCE_SENDERS: Final = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon",
                                    "mail-daemon", "maildaemon", "postmaster", "mdaemon"})

# Subjects that open an out-of-office or other automatic answer.
_AUTOREPLY_SUBJECT: Final = re.compile(
    r"(out of (the )?office|automatic reply|auto[- ]?reply|auto[- ]?respon|autoantwort"
    r"|automatische antwort|abwesenheitsnotiz|abwesenheit|réponse automatique"
    r"|reponse automatique|absence du bureau|respuesta automática|respuesta automatica"
    r"|fuera de la oficina|risposta automatica|fuori sede|automatisch antwoord"
    r"|resposta automática|autosvar|frånvaro|automaattinen vastaus|odpowiedź automatyczna"
    r"|automatická odpověď|автоматический ответ|自動応答|自动回复|自動回覆|부재중)(?=\W|$)",
    re.IGNORECASE)

# Subjects of non-delivery notices (anchored at the start: a person's
# "Re: undeliverable mail" is a conversation, not a bounce).
_BOUNCE_SUBJECT: Final = re.compile(
    r"(undeliver|undelivered|returned mail|mail delivery|delivery (status|notification"
    r"|failure|failed|has failed|problem|delayed|report)|failure notice|non[- ]?delivery"
    r"|warning: could not send|could not send message|mail system error|message not delivered"
    r"|delayed mail|unzustellbar|nicht zustellbar|non remis|non distribuable|onbestelbaar"
    r"|no entregado|non recapitato|недоставленное|не доставлено|メールエラー|配信エラー"
    r"|配送エラー|退信|投递失败)",
    re.IGNORECASE)

_BOUNCE_PHRASES: Final = re.compile(
    r"could not be delivered|was not delivered|delivery has failed|undeliverable"
    r"|permanent (error|failure)|mailbox (is )?full|user unknown|returned to sender",
    re.IGNORECASE)

_RECEIPT_SUBJECT: Final = re.compile(
    r"(read|not read|gelesen|nicht gelesen|lu|non lu|leído|letto|gelezen|läst|прочитано)\s*:",
    re.IGNORECASE)

_MESSAGE_ID_LINE: Final = re.compile(r"(?im)^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)")
_MAX_PARTS: Final = 200  # parts looked at for report structure


def check(message: Message, headers: Mapping[str, list[str]], raw: RawInput, *,
          subject: str, from_addr: str) -> None:
    """Raise `Ignored` when `message` is automatic or not meant for a person."""
    loop = headers.get(LOOP_HEADER)
    if loop is not None:
        value = _value(loop[0])
        raise Ignored("loop: X-Incidentd-Loop" + (f": {value}" if value else ""), {"loop": value})

    parts = list(_structure(message))
    types = {content_type(p) for p in parts}
    top = content_type(message)
    report_type = (param(message, "report-type") or "").lower() if top == "multipart/report" \
        else ""
    if top in _DSN_TYPES or report_type.endswith("delivery-status") or types & _DSN_TYPES:
        _dsn(message, parts, headers)
    if report_type.endswith("disposition-notification") or types & _MDN_TYPES:
        _mdn(message, parts)
    if report_type == "feedback-report" or "message/feedback-report" in types:
        _arf(message, parts)

    local = from_addr.split("@", 1)[0].lower()
    returned = [p for p in parts if content_type(p) in _RETURNED_TYPES]
    bounce_subject = _BOUNCE_SUBJECT.match(subject) is not None
    if bounce_subject and (local in _BOUNCE_SENDERS or returned or _null_sender(raw, headers)) \
            or (returned and not _named(returned[0]) and _bounce_text(parts)):
        raise Ignored(f"bounce: non-delivery notice from {from_addr or 'unknown sender'}",
                      _original(message, parts, headers))

    trusted = _trusted_sender(from_addr, raw.options)
    _auto_headers(headers, trusted=trusted)
    if _AUTOREPLY_SUBJECT.match(subject):
        raise Ignored(f'auto-reply: subject "{subject[:80]}"', {"subject": subject})
    if _RECEIPT_SUBJECT.match(subject) and (top == "application/ms-tnef" or any(
            content_type(p) == "application/ms-tnef" for p in parts)):
        raise Ignored("read receipt: Outlook receipt (TNEF)", {"subject": subject})
    if _tnef_receipt(parts):
        raise Ignored("read receipt: Outlook receipt (TNEF)", {"subject": subject})
    null = _null_sender(raw, headers)
    if null:
        raise Ignored(f"automatic: {null}")
    if not trusted:
        _list_headers(headers, raw.options)


def _structure(message: Message) -> Iterator[Message]:
    """The message and its MIME descendants, not entering attached messages."""
    stack = [message]
    seen = 0
    while stack and seen < _MAX_PARTS:
        part = stack.pop(0)
        seen += 1
        yield part
        if content_type(part).startswith("multipart/") and part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in payload if isinstance(p, Message))


def _fields(part: Message) -> list[dict[str, str]]:
    """The header blocks of a delivery-status / disposition / feedback part."""
    payload = part.get_payload() if part.is_multipart() else None
    blocks = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
    if not blocks:
        text = raw_text(payload_bytes(part).decode("latin-1"))
        return [_parse_block(chunk) for chunk in re.split(r"\n\s*\n", text)]
    return [{k.lower(): one_line(raw_text(str(v))) for k, v in block.raw_items()}
            for block in blocks]


def _parse_block(chunk: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in re.sub(r"\n[ \t]+", " ", chunk).split("\n"):
        name, colon, value = line.partition(":")
        if colon and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _dsn(message: Message, parts: list[Message], headers: Mapping[str, list[str]]) -> None:
    blocks: list[dict[str, str]] = []
    for part in parts:
        if content_type(part) in _DSN_TYPES:
            blocks += _fields(part)
    recipients = [b for b in blocks if "action" in b or "final-recipient" in b]
    actions = [b.get("action", "").lower() for b in recipients if b.get("action")]
    if "failed" in actions:
        action = "failed"
    elif actions:
        action = actions[0]
    else:
        action = ""
    first = next((b for b in recipients if b.get("action", "").lower() == action), None) \
        or (recipients[0] if recipients else {})
    status = first.get("status", "").split(" ", 1)[0]
    details = _original(message, parts, headers)
    for key, name in (("action", "action"), ("status", "status"),
                      ("final-recipient", "recipient"), ("diagnostic-code", "diagnostic")):
        if first.get(key):
            details[name] = first[key][:300]
    reporting = next((b["reporting-mta"] for b in blocks if b.get("reporting-mta")), "")
    if reporting:
        details["reporting_mta"] = reporting[:200]
    what = f"delivery {action}" if action else "delivery-status report"
    raise Ignored(f"bounce: {what}" + (f" ({status})" if status else ""), details)


def _mdn(message: Message, parts: list[Message]) -> None:
    fields: dict[str, str] = {}
    for part in parts:
        if content_type(part) in _MDN_TYPES:
            for block in _fields(part):
                fields.update(block)
    disposition = fields.get("disposition", "")
    details = {"disposition": disposition[:200]} if disposition else {}
    original = msgids(fields.get("original-message-id"))
    if original:
        details["original_message_id"] = original[0]
    kind = disposition.rsplit(";", 1)[-1].strip().lower() if disposition else ""
    raise Ignored("read receipt: disposition-notification" + (f" ({kind})" if kind else ""),
                  details)


def _arf(message: Message, parts: list[Message]) -> None:
    fields: dict[str, str] = {}
    for part in parts:
        if content_type(part) == "message/feedback-report":
            for block in _fields(part):
                fields.update(block)
    feedback = fields.get("feedback-type", "").lower()
    details = _original(message, parts, {})
    if feedback:
        details["feedback_type"] = feedback[:100]
    raise Ignored("abuse report: feedback-report" + (f" ({feedback})" if feedback else ""),
                  details)


def _original(message: Message, parts: list[Message],
              headers: Mapping[str, list[str]]) -> dict[str, str]:
    """Where the returned message is known: its Message-ID, subject and recipient."""
    details: dict[str, str] = {}
    for part in parts:
        if content_type(part) not in _RETURNED_TYPES:
            continue
        inner = part.get_payload(0) if part.is_multipart() else None
        if isinstance(inner, Message):
            found = msgids(raw_header(inner, "message-id"))
            subject = raw_header(inner, "subject")
            if subject:
                details["original_subject"] = one_line(header_text(subject))[:200]
        else:
            match = _MESSAGE_ID_LINE.search(payload_bytes(part)[:65536].decode("latin-1"))
            found = [match.group(1)] if match else []
        if found:
            details["original_message_id"] = found[0]
            return details
    replied = msgids((headers.get("in-reply-to") or [""])[0])
    if replied:
        details["original_message_id"] = replied[0]
        return details
    for part in parts:
        if content_type(part) == "text/plain":
            match = _MESSAGE_ID_LINE.search(part_text(part)[0][:65536])
            if match:
                details["original_message_id"] = match.group(1)
                break
    return details


def _named(part: Message) -> bool:
    disposition = (raw_header(part, "content-disposition") or "").lower()
    return "attachment" in disposition or param(part, "name") is not None


def _bounce_text(parts: list[Message]) -> bool:
    for part in parts:
        if content_type(part) == "text/plain":
            return _BOUNCE_PHRASES.search(part_text(part)[0][:4000]) is not None
    return False


def _trusted_sender(from_addr: str, options: Mapping[str, Any]) -> bool:
    """Whether the integration option `accept_automatic_from` names this sender or its domain."""
    accepted = options.get("accept_automatic_from") or ()
    if not from_addr or not isinstance(accepted, list | tuple):
        return False
    domain = from_addr.rpartition("@")[2]
    for entry in accepted:
        wanted = str(entry).strip().lower()
        if wanted == from_addr or (wanted.lstrip("@") == domain and "@" not in wanted[1:]):
            return True
    return False


def _auto_headers(headers: Mapping[str, list[str]], *, trusted: bool) -> None:
    submitted = headers.get("auto-submitted")
    if submitted:
        value = _value(submitted[0]).split("(", 1)[0].split(";", 1)[0].strip().lower()
        if value and value != "no":
            kind = "auto-reply" if value.startswith("auto-replied") else "automatic"
            if kind == "auto-reply" or not trusted:
                raise Ignored(f"{kind}: Auto-Submitted: {value}", {"auto_submitted": value})
    for name in _AUTOREPLY_HEADERS:
        if name in headers:
            label = "-".join(w.capitalize() for w in name.split("-"))
            value = _value(headers[name][0])
            raise Ignored(f"auto-reply: {label}: {value}".rstrip(": "), {name: value})
    generated = headers.get("x-autogenerated")
    if generated and _value(generated[0]).lower() == "reply":
        raise Ignored("auto-reply: X-Autogenerated: Reply")


def _tnef_receipt(parts: list[Message]) -> bool:
    for part in parts:
        if content_type(part) == "application/ms-tnef":
            data = payload_bytes(part)
            if b"IPM.Note.IPNRN" in data or b"IPM.Note.IPNNRN" in data:
                return True
    return False


def _null_sender(raw: RawInput, headers: Mapping[str, list[str]]) -> str:
    if raw.mail_from is not None and raw.mail_from.strip() in ("", "<>"):
        return "null envelope sender"
    return_path = headers.get("return-path")
    if return_path and _value(return_path[0]).replace(" ", "") == "<>":
        return "Return-Path: <>"
    return ""


def _list_headers(headers: Mapping[str, list[str]], options: Mapping[str, Any]) -> None:
    list_id = _value((headers.get("list-id") or [""])[0])
    allowed = options.get("allowed_list_ids") or ()
    if list_id and isinstance(allowed, list | tuple) and _list_key(list_id) in {
            _list_key(str(a)) for a in allowed}:
        return
    precedence = _value((headers.get("precedence") or [""])[0]).lower()
    if precedence in ("bulk", "junk", "list"):
        raise Ignored(f"bulk: Precedence: {precedence}", {"list_id": list_id} if list_id else {})
    if list_id:
        raise Ignored(f"mailing list: List-Id: {list_id[:200]}", {"list_id": list_id})
    if "list-unsubscribe" in headers:
        raise Ignored("mailing list: List-Unsubscribe present")


def list_id_of(headers: Mapping[str, list[str]]) -> str | None:
    """The List-Id value, if any."""
    value = _value((headers.get("list-id") or [""])[0])
    return value or None


def _list_key(value: str) -> str:
    match = re.search(r"<([^<>]+)>", value)
    return (match.group(1) if match else value).strip().lower()


def _value(raw: str) -> str:
    return one_line(raw_text(raw))[:300]
