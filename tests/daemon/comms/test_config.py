"""The comms tables of the configuration: lists in both forms, quiet hours, digest, relay."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from daemon.config import ConfigError, load_config
from daemon.config.comms import QuietWindow
from tests.conftest import ROOT


def load(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "incidentd.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_both_list_forms_filters_and_quiet_hours(tmp_path: Path) -> None:
    config = load(tmp_path, """
[lists]
oncall = ["OnCall@example.org"]

[lists.management]
addresses = ["boss@example.org"]
min_priority = 2
severities = ["high"]
categories = ["security breach"]
quiet_hours = "22:00-07:00"
timezone = "Europe/Berlin"

[digest]
lists = ["management"]
time = "07:30"
timezone = "Europe/Berlin"

[instructions]
default = "Watch this space."
category = { "security breach" = "Do not forward this mail." }

[notify]
contact = "Service desk, +49 30 1234"
[cadence]
p3 = "2h"
""")
    assert config.lists["oncall"].addresses == ["oncall@example.org"]
    assert config.lists["oncall"].wants(priority=4, severity="low", category=None)
    management = config.lists["management"]
    assert management.quiet_hours == QuietWindow(time(22), time(7))
    assert management.wants(priority=1, severity="high", category="Security Breach")
    assert not management.wants(priority=3, severity="high", category="security breach")
    assert not management.wants(priority=1, severity="medium", category="security breach")
    assert not management.wants(priority=1, severity="high", category="network")
    assert config.digest.time == time(7, 30)
    assert config.instructions.for_incident(plan=None, category="Security breach") == \
        "Do not forward this mail."
    assert config.instructions.for_incident(plan="x", category=None) == "Watch this space."
    assert config.notify.contact == "Service desk, +49 30 1234"
    assert config.cadence.for_priority(3) == timedelta(hours=2)


@pytest.mark.parametrize(("text", "message"), [
    ("[lists.ops]\nquiet_hours = '22-7'\n",
     "lists.ops.quiet_hours: '22-7' is not a period like 22:00-07:00"),
    ("[lists.ops]\nquiet_hours = '07:00-07:00'\n", "is empty; start and end must differ"),
    ("[lists.ops]\ntimezone = 'Mars/Olympus'\n", "lists.ops.timezone: unknown time zone"),
    ("[lists.ops]\nmin_priority = 5\n", "lists.ops.min_priority"),
    ("[lists.ops]\nadresses = []\n", "lists.ops.adresses: unknown key"),
    ("[digest]\nlists = ['ghost']\n", "digest.lists: unknown list 'ghost'"),
    ("[digest]\ntime = '8 am'\n", "digest.time: '8 am' is not a time of day"),
    ("[notify.smtp]\nca_file = '/nonexistent/ca.pem'\n", "notify.smtp.ca_file: "),
    ("[notify]\ntimezone = 'CEST+1'\n", "notify.timezone: unknown time zone"),
])
def test_errors_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    assert message in str(caught.value)


def test_example_configures_every_comms_table() -> None:
    config = load_config(ROOT / "examples" / "incidentd.toml")
    assert config.lists["management"].min_priority == 2
    assert config.lists["facilities"].quiet_hours is not None
    assert config.digest.lists == ["management"]
    assert config.instructions.default
