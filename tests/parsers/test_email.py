"""The email parser: decoding, body, attachments, titles, identity, fallbacks, fixtures."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parsers import Attachment, Ignored, ParseError, Severity
from parsers import email as mail_parser
from tests.conftest import FIXTURES
from tests.parsers.mailbuild import RECEIVED, info, message, parse, raw

# --- attachments -------------------------------------------------------------------------

def _with_files(*files: tuple[str, bytes]) -> str:
    parts = "--B\nContent-Type: text/plain\n\nScreenshots attached.\n"
    for name, data in files:
        parts += (f"--B\nContent-Type: image/png\nContent-Disposition: attachment; "
                  f"filename=\"{name}\"\nContent-Transfer-Encoding: base64\n\n"
                  f"{base64.b64encode(data).decode()}\n")
    return message(parts + "--B--\n", headers="Content-Type: multipart/mixed; boundary=B\n")


def test_attachment_metadata_and_data() -> None:
    report = parse(_with_files(("a.png", b"\x89PNG-data")))
    (attachment,) = info(report).attachments
    assert attachment == Attachment(filename="a.png", content_type="image/png", size=9,
                                    sha256=hashlib.sha256(b"\x89PNG-data").hexdigest(),
                                    data=b"\x89PNG-data")
    assert report.description == "Screenshots attached."
    assert "data" not in json.dumps(report.to_json()["email"]["attachments"])


def test_attachment_over_the_size_cap_keeps_metadata_only() -> None:
    data = b"x" * 64
    report = parse(_with_files(("big.png", data), ("small.png", b"ok")), max_attachment_bytes=10)
    big, small = info(report).attachments
    assert (big.size, big.sha256, big.data, big.truncated) == (
        64, hashlib.sha256(data).hexdigest(), b"", True)
    assert (small.data, small.truncated) == (b"ok", False)


def test_attachment_count_cap() -> None:
    report = parse(_with_files(("1.png", b"1"), ("2.png", b"2"), ("3.png", b"3")),
                   max_attachments=2)
    assert [a.filename for a in info(report).attachments] == ["1.png", "2.png"]
    assert report.details["attachments_dropped"] == "1"


def test_inline_image_and_encoded_filenames_are_attachments() -> None:
    text = message(
        "--A\nContent-Type: text/plain\n\nsee picture\n"
        "--A\nContent-Type: multipart/related; boundary=R\n\n"
        "--R\nContent-Type: text/html\n\n<p>see <img src=\"cid:x\"></p>\n"
        "--R\nContent-Type: image/gif\nContent-ID: <x>\n\nGIF89a\n--R--\n"
        "--A--\n", headers="Content-Type: multipart/alternative; boundary=A\n")
    report = parse(text)
    assert report.description == "see picture"
    assert [(a.filename, a.content_type) for a in info(report).attachments] == [
        ("attachment-1.gif", "image/gif")]
    encoded = parse(message(
        "--B\nContent-Type: application/pdf; name=\"=?utf-8?B?QmVyaWNodCDDvGJlci5wZGY=?=\"\n\n"
        "%PDF\n--B\nContent-Type: text/plain\nContent-Disposition: attachment; "
        "filename*=utf-8''Stra%C3%9Fe.txt\n\nx\n--B--\n",
        headers="Content-Type: multipart/mixed; boundary=B\n"))
    assert [a.filename for a in info(encoded).attachments] == ["Bericht über.pdf", "Straße.txt"]


def test_uuencoded_file_in_the_body() -> None:
    body = "Log attached.\n\nbegin 644 log.txt\n#:&D*\n`\nend\n\nBye\n"
    report = parse(message(body))
    assert [(a.filename, a.data) for a in info(report).attachments] == [("log.txt", b"hi\n")]
    assert "begin 644" not in report.description


# --- subject, title, identity --------------------------------------------------------------

def test_incident_tags_and_title() -> None:
    report = parse(message("x", subject="RE: AW: [INC-12]  Disk   full [inc-7] on db1"))
    assert info(report).incident_keys == ("INC-12", "INC-7")
    assert info(report).subject == "RE: AW: [INC-12] Disk full [inc-7] on db1"
    assert report.title == "Disk full on db1"
    assert info(report).is_reply


@pytest.mark.parametrize(("subject", "title"), [
    ("Fwd: WG: SV: Antw: Re[2]: VPN down", "VPN down"),
    ("Fw: TR: RE: [INC-1] x", "x"),
    ("[ops] Re: printer", "[ops] Re: printer"),
    ("Test: not a prefix", "Test: not a prefix"),
])
def test_title_prefixes(subject: str, title: str) -> None:
    assert parse(message("body", subject=subject)).title == title


def test_long_subject_and_empty_subject() -> None:
    long_title = parse(message("x", subject="word " * 100)).title
    assert long_title.startswith("word word")
    assert 195 <= len(long_title) <= 200
    assert parse(message("\n\n  First line here  \nsecond", subject="")).title == \
        "First line here"
    assert parse(message("", subject="Re: [INC-3]")).title == "(no subject)"


def test_missing_date_and_message_id() -> None:
    report = parse(message("x", date=None, message_id=None))
    assert report.occurred_at == RECEIVED
    assert info(report).message_id is None
    assert info(report).date is None
    assert parse(message("x", date="not a date")).occurred_at == RECEIVED


def test_date_in_the_future_does_not_move_occurred_at() -> None:
    report = parse(message("x", date="Mon, 2 Mar 2026 18:00:00 +0000"))
    assert info(report).date == datetime(2026, 3, 2, 18, 0, tzinfo=UTC)
    assert report.occurred_at == RECEIVED


def test_addresses_and_threading_headers() -> None:
    report = parse(
        "From: \"Doe, Jane\" <Jane.Doe@Example.org>\nTo: a@example.org, \"B, C\" <bc@example.org>\n"
        "Cc: undisclosed-recipients:;\nReply-To: desk@example.org\nSubject: x\n"
        "In-Reply-To: <a@x>\nReferences: <r1@x> <r2@x>\n\t<a@x>\n\nbody\n")
    email = info(report)
    assert (email.from_name, email.from_addr, report.reporter) == (
        "Doe, Jane", "jane.doe@example.org", "jane.doe@example.org")
    assert email.to == ("a@example.org", "bc@example.org")
    assert email.cc == ()
    assert email.reply_to == ("desk@example.org",)
    assert email.references == ("<r1@x>", "<r2@x>", "<a@x>")


def test_display_name_that_looks_like_an_address_is_not_the_sender() -> None:
    report = parse("From: boss@example.org <mallory@example.net>\nSubject: x\n\nhi\n")
    assert info(report).from_addr == "mallory@example.net"


def test_envelope_sender_when_from_is_missing() -> None:
    assert parse("Subject: x\n\nhi\n", mail_from="<Ops@Example.org>").reporter == \
        "ops@example.org"


# --- decoding -------------------------------------------------------------------------------

def test_header_and_body_charsets() -> None:
    text = ("From: =?koi8-r?B?98/Mz8TR?= <v@example.org>\n"
            "Subject: =?utf-8?B?0J/RgNC4?= =?utf-8?B?0LLQtdGC?= caf\xe9\n"
            "Content-Type: text/plain; charset=gb2312\nContent-Transfer-Encoding: base64\n\n"
            "xOO6ww==\n").encode("latin-1")
    report = parse(text)
    assert info(report).from_name == "Володя"
    assert info(report).subject == "Привет café"
    assert report.description == "你好"


@pytest.mark.parametrize(("charset", "data", "text"), [
    ("ks_c_5601-1987", "스티해".encode("cp949"), "스티해"),
    ("euc-kr", "한국어".encode("cp949"), "한국어"),
    ("shift_jis", "テスト①".encode("cp932"), "テスト①"),
    ("iso-2022-jp", "テスト".encode("iso2022_jp"), "テスト"),
    ("windows-1251", "Вопрос".encode("cp1251"), "Вопрос"),
    ("iso-8859-2", "Łódź".encode("iso-8859-2"), "Łódź"),
    ("utf-7", "Frösche".encode("utf-7"), "Frösche"),
    ("no-such-charset", "Grüße".encode(), "Grüße"),
    ("no-such-charset", "Grüße".encode("cp1252"), "Grüße"),
    ("us-ascii", "naïve".encode("cp1252"), "naïve"),
    ("gb2312", "你好".encode(), "你好"),  # UTF-8 that says it is GB2312
    ("zip", b"plain", "plain"),  # not a text codec: never run it
])
def test_body_charsets(charset: str, data: bytes, text: str) -> None:
    body = (f"From: a@example.org\nSubject: x\nContent-Type: text/plain; charset={charset}\n"
            "Content-Transfer-Encoding: 8bit\n\n").encode() + data
    assert parse(body).description == text


def test_undecodable_bytes_are_replaced() -> None:
    body = (b"From: a@example.org\nSubject: \xff\xfe\nContent-Type: text/plain; charset=euc-jp\n"
            b"\n\xa4\xa2\xa4\xff")
    report = parse(body)
    assert info(report).subject == "\xff\xfe".encode("latin-1").decode("cp1252")
    assert report.description == "\u3042\ufffd\ufffd"


def test_line_endings_are_normalised() -> None:
    lf = message("line one\nline two\n")
    for variant in (lf.replace("\n", "\r\n"), lf.replace("\n", "\r")):
        report = parse(variant)
        assert report.description == "line one\nline two"
        assert report.title == "Disk full on db1"


def test_html_only_mail_becomes_text() -> None:
    html = ("<html><head><style>p {color: red}</style><script>alert('x')</script></head>"
            "<body><p><b>Severity:</b> high</p><p>Dashboard: "
            "<a href=\"https://grafana.example.org/d/1\">latency graph</a></p></body></html>")
    report = parse(message(html, headers="Content-Type: text/html; charset=utf-8\n"))
    assert report.description == ("Severity: high\n\nDashboard: "
                                  "[latency graph](https://grafana.example.org/d/1)")
    assert report.severity is Severity.HIGH
    assert report.details["body_format"] == "html"


def test_alternative_prefers_plain_text() -> None:
    text = message("--A\nContent-Type: text/plain\n\nplain version\n"
                   "--A\nContent-Type: text/html\n\n<p>html version</p>\n--A--\n",
                   headers="Content-Type: multipart/alternative; boundary=A\n")
    assert parse(text).description == "plain version"


@pytest.mark.parametrize(("body", "text"), [
    ("--X\nContent-Type: text/plain\n\nnever closed", "never closed"),  # no final boundary
    ("--Y\nContent-Type: text/plain\n\nwrong boundary\n--Y--\n", "wrong boundary"),
    ("preamble only\n--X--\n", "preamble only"),
])
def test_broken_multiparts(body: str, text: str) -> None:
    report = parse(message(body, headers="Content-Type: multipart/mixed; boundary=X\n"))
    assert report.description == text


def test_missing_final_boundary_and_flowed_text() -> None:
    text = message("--A\nContent-Type: text/plain; format=flowed\n\nA long line \nwrapped here.\n",
                   headers="Content-Type: multipart/mixed; boundary=A\n")
    assert parse(text).description == "A long line wrapped here."


def test_header_that_defeats_the_default_policy() -> None:
    text = message("--X\nContent-Type: text/plain\n\nThe UPS is beeping.\n"
                   "--X\nContent-Type: text/plain; name*\n\nx\n--X--\n",
                   headers="Content-Type: multipart/mixed; boundary=X\n")
    report = parse(text)  # Python 3.11's default policy raises IndexError on "name*"
    assert report.description.startswith("The UPS is beeping.")
    assert report.details.get("parse_problem", "parsed with the compat32 policy").startswith(
        "parsed with the compat32 policy")


class _Broken:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def parsebytes(self, data: bytes) -> None:
        raise self.error


def test_compat32_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mail_parser, "_PARSER", _Broken(IndexError("string index")))
    report = parse(message("Fan failure in rack 4.", headers="Content-Type: text/plain\n"))
    assert report.description == "Fan failure in rack 4."
    assert report.details["parse_problem"] == (
        "parsed with the compat32 policy: IndexError under policy.default")


def test_headers_only_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    text = message("--X\nContent-Type: text/plain\n\nFan failure in rack 4.\n--X--\n",
                   headers="Content-Type: multipart/mixed; boundary=X; name*0=a; name*\n")
    assert "Fan failure in rack 4." in parse(text).description  # real 3.11 failures, if any
    monkeypatch.setattr(mail_parser, "_PARSER", _Broken(IndexError("string index")))
    monkeypatch.setattr(mail_parser, "_COMPAT_PARSER", _Broken(TypeError("continuations")))
    report = parse(text)
    assert report.title == "Disk full on db1"
    assert "Fan failure in rack 4." in report.description
    assert report.details["parse_problem"].startswith("MIME structure unreadable (IndexError")


@pytest.mark.parametrize("body", [b"", b"\n\n", b"just some words\n", b"\x00\xff" * 10])
def test_non_mail_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        mail_parser.parse(raw(body))


def test_can_parse() -> None:
    assert mail_parser.can_parse(raw(message("x")))
    assert not mail_parser.can_parse(raw(b'{"alerts": []}'))


# --- every fixture ------------------------------------------------------------------------

EMAIL_FIXTURES = sorted((FIXTURES / "email").glob("*/*.eml"))


@pytest.mark.parametrize("path", EMAIL_FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_gives_a_report_or_is_ignored(path: Path) -> None:
    try:
        reports = mail_parser.parse(raw(path.read_bytes(), mail_from="sender@example.net"))
    except Ignored as exc:
        kind = exc.reason.split(":", 1)[0]
    else:
        kind = "report"
    assert kind in {"report", "loop", "bounce", "read receipt", "abuse report", "auto-reply",
                    "automatic", "bulk", "mailing list"}
    if kind != "report":
        return
    assert len(reports) == 1
    report = reports[0]
    assert report.title
    assert report.occurred_at.tzinfo is not None
    json.dumps(report.to_json())
