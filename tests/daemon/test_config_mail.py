"""`[mailbox]` and `[smtp]`: defaults, parser options, refusals that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import main
from daemon.config import ConfigError, load_config
from daemon.config.mail import sender_matches
from daemon.intake.passwords import hash_password, verify_password


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "incidentd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_mailbox_options_reach_the_parser(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """
[mailbox]
addresses = ["incidents@example.org"]
max_attachment_size = "2M"
max_attachments = 3
allowed_list_ids = ["ops.lists.example.org"]
accept_automatic_from = ["Nagios@Monitor.example.org", "example.net"]
severity_map = { sev1 = "high" }
"""))
    assert config.mailbox.parser_options() == {
        "max_attachment_bytes": 2 * 1024 * 1024, "max_attachments": 3,
        "allowed_list_ids": ["ops.lists.example.org"],
        "accept_automatic_from": ["nagios@monitor.example.org", "@example.net"],
        "severity_map": {"sev1": "high"}}
    assert config.smtp.protocol == "smtp"
    assert config.mailbox.sender_policy == "quarantine"
    assert config.mailbox.sender_allowed("anyone@anywhere.example")  # no allow-list


def test_sender_patterns() -> None:
    patterns = ["alice@example.org", "@ops.example.org"]
    assert sender_matches("ALICE@example.org", patterns)
    assert sender_matches("bob@ops.example.org", patterns)
    assert not sender_matches("bob@example.org", patterns)
    assert not sender_matches("bob@sub.ops.example.org", patterns)
    assert not sender_matches(None, patterns)


@pytest.mark.parametrize(("text", "message"), [
    ("[mailbox]\nresponders = ['not an address']\n", "mailbox.responders.0: 'not an address'"),
    ("[mailbox]\nsender_policy = 'bounce'\n", "mailbox.sender_policy: Input should be"),
    ("[mailbox]\nack_limit = -1\n", "mailbox.ack_limit"),
    ("[mailbox.require_authentication_results]\nauthserv_id = 'mx'\nrequire = ['dnssec']\n",
     "mailbox.require_authentication_results.require.0"),
    ("[mailbox.require_authentication_results]\nauthserv = 'mx'\n",
     "mailbox.require_authentication_results.authserv: unknown key"),
    ("[smtp]\nprotocol = 'pop3'\n", "smtp.protocol"),
    ("[smtp]\ntls_cert = 'cert.pem'\n", "smtp: tls_cert and tls_key go together"),
    ("[server]\ntls_key = 'key.pem'\n", "server: tls_cert and tls_key go together"),
    ("[smtp]\nrequire_tls = true\n", "smtp: require_tls needs tls_cert and tls_key"),
    ("[smtp.auth_users]\nmonitor = 'secret'\n",
     "smtp.auth_users: monitor: not a password hash; make one with `incidentd smtp "
     "hash-password`"),
    (f"[smtp.auth_users]\nmonitor = '{hash_password('x')}'\n",
     "AUTH is only offered after STARTTLS"),
    ("[smtp]\nauth_required = true\n", "smtp: auth_required needs auth_users"),
    ("[smtp]\ntimeout = '0s'\n", "smtp.timeout: must be longer than 0s"),
    ("[smtp]\ntls_cert = '/nonexistent/cert.pem'\ntls_key = '/nonexistent/key.pem'\n",
     "smtp: tls_cert/tls_key: cannot load /nonexistent/cert.pem"),
    ("[server]\ntls_cert = '/nonexistent/cert.pem'\ntls_key = '/nonexistent/key.pem'\n",
     "server: tls_cert/tls_key: cannot load /nonexistent/cert.pem"),
])
def test_bad_values_name_their_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)


def test_hash_password_command_makes_a_hash_that_verifies() -> None:
    result = CliRunner().invoke(main, ["smtp", "hash-password", "--stdin"],
                                input="correct horse\n")
    assert result.exit_code == 0, result.output
    hashed = result.output.strip()
    assert hashed.startswith("scrypt$16384$8$1$")
    assert verify_password(b"correct horse", hashed)
    assert not verify_password(b"correct horse ", hashed)
    assert not verify_password(b"correct horse", "scrypt$1$2")
    assert hashed != hash_password("correct horse")  # salted
    prompted = CliRunner().invoke(main, ["smtp", "hash-password"], input="pw\npw\n")
    assert verify_password(b"pw", prompted.output.strip().splitlines()[-1])
    empty = CliRunner().invoke(main, ["smtp", "hash-password", "--stdin"], input="\n")
    assert empty.exit_code != 0
