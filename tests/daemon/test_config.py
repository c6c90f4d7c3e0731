"""Configuration: defaults, strict validation with key paths, overrides."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from daemon.cli import main
from daemon.config import ConfigError, load_config
from daemon.config.types import parse_duration, parse_hostport, parse_size
from tests.conftest import ROOT

EXAMPLE = ROOT / "examples" / "incidentd.toml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "incidentd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INCIDENTD_CONFIG", raising=False)
    monkeypatch.delenv("INCIDENTD_DATA_DIR", raising=False)
    config = load_config()
    assert config.server.http == "127.0.0.1:8080"
    assert config.server.smtp == "127.0.0.1:2525"
    assert config.database_url == "sqlite+aiosqlite:///var/incidentd.db"
    assert config.maildir_path == Path("var/mail")
    assert config.notify.backend == "maildir"
    assert config.cadence.for_priority(1) == timedelta(minutes=30)
    assert config.cadence.for_priority(4) == timedelta(days=1)
    assert config.triage.matrix["high"]["medium"] == 2


def test_example_configuration_is_valid() -> None:
    config = load_config(EXAMPLE)
    import parsers

    # one integration per webhook parser, named after it
    assert set(config.integrations) == set(parsers.REGISTRY) - {"email"}
    assert all(name == i.type for name, i in config.integrations.items())
    assert [t.role for t in config.api.tokens] == ["admin"]


@pytest.mark.parametrize(("text", "message"), [
    ("[server]\nhtp = '1:2'\n", "server.htp: unknown key"),
    ("[server]\nhttp = 'localhost'\n", "server.http: 'localhost' is not HOST:PORT"),
    ("[integrations.x]\ntype = 'nope'\n", "integrations.x.type: unknown type 'nope'"),
    ("[integrations.x]\ntype = 'email'\n", "mail reaches incidentd over SMTP"),
    ("[integrations.x]\ntype = 'generic'\nlists = ['ghost']\n",
     "integrations.x.lists: unknown list 'ghost'"),
    ("[triage]\ndefault_lists = ['ghost']\n", "triage.default_lists: unknown list 'ghost'"),
    ("[triage]\nmatrix.high = { high = 1 }\n", "matrix is incomplete, missing high.medium"),
    ("[triage]\nmatrix.huge = { high = 1 }\n", "unknown level(s) huge.high"),
    ("[[triage.rules]]\nname = 'r'\nmatch.title = '(['\n", "triage.rules.0.match.title"),
    ("[[triage.rules]]\nname = 'r'\nmatch.integration = 'nope'\n",
     "triage rule 'r': unknown integration 'nope'"),
    ("[cadence]\np1 = 'soon'\n", "cadence.p1: 'soon' is not a duration"),
    ("[cadence]\np1 = 1e400\n", "cadence.p1: inf is too long a duration; the longest is 100 years"),
    ("[integrations.x]\ntype = 'generic'\ntoken = 't'\nrate_limit = '1/" + "9" * 400 + "h'\n",
     "integrations.x.rate_limit: '1/999"),
    ("[mailbox]\naddresses = ['Ops <ops@example.org>']\n", "is not a bare mail address"),
    ("[lists]\nops = ['nobody']\n", "lists.ops.addresses.0: 'nobody' is not a bare mail address"),
    ("[[api.tokens]]\nname = 'a'\ntoken = 't'\nrole = 'god'\n", "api.tokens.0.role"),
    ("[server]\ntrusted_proxies = ['10.0.0.1/8']\n",
     "server.trusted_proxies: 10.0.0.1/8 has host bits set"),
    ("[smtp]\nproxy_protocol = true\n",
     "smtp.proxy_protocol: name the load balancers that send the header in [server] "
     "trusted_proxies"),
    ("[server]\nmax_message_size = '30M'\n[smtp]\nmax_data_in_memory = '20M'\n",
     "smtp.max_data_in_memory: must be at least [server] max_message_size"),
    ("[server\n", "not valid TOML"),
])
def test_errors_name_the_key_path(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert message in str(caught.value)
    assert str(tmp_path / "incidentd.toml") in str(caught.value)


def test_overrides_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[server]\nhttp = '127.0.0.1:9000'\ndata_dir = '/srv/x'\n")
    monkeypatch.setenv("INCIDENTD_CONFIG", str(path))
    monkeypatch.setenv("INCIDENTD_DATA_DIR", str(tmp_path / "state"))
    config = load_config(overrides={"server.smtp": "", "server.http": "0.0.0.0:80"})
    assert config.server.http == "0.0.0.0:80"
    assert config.server.smtp is None
    assert config.server.data_dir == tmp_path / "state"


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize(("text", "seconds"), [
    ("90", 90), (90, 90), ("30m", 1800), ("4h", 14400), ("1d", 86400), ("1.5h", 5400),
    ("250ms", 0.25),
])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("bad", ["", "-5", "5x", True, "m", "9" * 400, 1e400, float("nan"),
                                 "36601d"])
def test_bad_durations(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_sizes_and_addresses() -> None:
    assert parse_size("10M") == 10 * 1024 * 1024
    assert parse_size(2048) == 2048
    assert parse_hostport("[::1]:25") == "[::1]:25"
    with pytest.raises(ValueError, match="no valid port"):
        parse_hostport("host:99999")


def test_check_config_command(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(main, ["check-config", "--config", str(EXAMPLE)])
    assert ok.exit_code == 0, ok.output
    assert "integration(s), 4 list(s), 4 rule(s)" in ok.output
    bad = runner.invoke(main, ["check-config", "--config",
                               str(write(tmp_path, "[server]\nport = 1\n"))])
    assert bad.exit_code == 1
    assert "server.port: unknown key" in bad.output
