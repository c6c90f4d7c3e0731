"""Rules in their own file, refused when broken (with the reason), and reloads that keep
the old rules in force when the new ones are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from daemon.config import ConfigError, load_config
from daemon.keys import RUNTIME
from tests.ops.proc import config_text
from tests.support import ADMIN_TOKEN, GENERIC_TOKEN, auth, migrate, running_daemon, wait_for

PLANS = """
[lists]
oncall = ["oncall@example.org"]
[plans.major]
team = ["oncall"]
[triage.time_windows.office]
days = "mon-fri"
from = "09:00"
to = "17:00"
"""


def write_config(tmp_path: Path, triage: str = 'rules_file = "rules.toml"',
                 rules: str | None = None) -> Path:
    path = tmp_path / "incidentd.toml"
    path.write_text(f"{PLANS}\n[triage]\n{triage}\n[integrations.generic]\ntype = 'generic'\n")
    if rules is not None:
        (tmp_path / "rules.toml").write_text(rules)
    return path


def test_rules_file_is_read_relative_to_the_configuration(tmp_path: Path) -> None:
    path = write_config(tmp_path, rules="""
[[rules]]
name = "disk"
match.title = "disk"
set.priority = 1

  [[rules.routes]]
  name = "disk-in-office-hours"
  match.during = "office"
  set.plan = "major"
""")
    config = load_config(path)
    assert [r.name for r in config.triage.rules] == ["disk"]
    assert [r.name for r in config.triage.rules[0].routes] == ["disk-in-office-hours"]
    assert config.triage.rules_file == tmp_path / "rules.toml"


@pytest.mark.parametrize(("triage", "rules", "message"), [
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nmatch.title = 'disk('\n",
     "rules.toml: rules.0.match.title: bad regular expression 'disk('"),
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nmatch.titel = 'disk'\n",
     "rules.toml: rules.0.match.titel: unknown key"),
    ('rules_file = "rules.toml"', "[[rule]]\nname = 'r'\n", "rules.toml: rule: unknown key"),
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nset.plan = 'minor'\n",
     "triage rule 'r': unknown plan 'minor'"),
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nset.lists = ['ghost']\n",
     "triage rule 'r': unknown list 'ghost'"),
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nmatch.during = 'night'\n",
     "rule 'r': unknown time window 'night'"),
    ('rules_file = "rules.toml"',
     "[[rules]]\nname = 'r'\n[[rules.routes]]\nname = 'r'\n", "rule names must be unique: r"),
    ('rules_file = "rules.toml"', "[[rules]]\nname = 'r'\nset.category = 'fire'\n",
     "unknown category 'fire'"),
    ('rules_file = "absent.toml"', None, "absent.toml: no such rules file"),
    ('rules_file = "rules.toml"', "[[rules]\n", "rules.toml: not valid TOML"),
    ('rules_file = "rules.toml"\n[[triage.rules]]\nname = "x"', "", "not both"),
    ("[triage.matchers.a]\nuse = ['b']\n[triage.matchers.b]\nany = [{ use = ['a'] }]", None,
     "matcher sets use each other in a cycle: a → b → a"),
    ("[triage.matchers.a]\nuse = ['zz']", None, "unknown matcher set 'zz'"),
    ("category_plans = { fire = 'major' }", None, "category_plans: unknown category 'fire'"),
    ("default_plan = 'minor'", None, "triage.default_plan: unknown plan 'minor'"),
])
def test_broken_rules_are_refused_with_the_reason(tmp_path: Path, triage: str,
                                                  rules: str | None, message: str) -> None:
    if triage.startswith("[triage.matchers"):
        path = write_config(tmp_path, "")
        path.write_text(path.read_text() + triage + "\n")
    else:
        path = write_config(tmp_path, triage, rules)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


DISK_P1 = "[[rules]]\nname = 'disk'\nmatch.title = 'disk'\nset.priority = 1\n"
DISK_P2 = DISK_P1.replace("priority = 1", "priority = 2")


async def _priority(http: aiohttp.ClientSession, url: str, title: str) -> int:
    answer = await http.post(f"{url}/api/v1/webhooks/generic",
                             data=json.dumps({"title": title, "dedup_key": title}).encode(),
                             headers={**auth(GENERIC_TOKEN), "Content-Type": "application/json"})
    intake_id = (await answer.json())["intake_id"]

    async def done() -> dict[str, Any] | None:
        data = await (await http.get(f"{url}/api/v1/intake/{intake_id}",
                                     headers=auth(ADMIN_TOKEN))).json()
        return data if data["status"] != "accepted" else None

    (key,) = (await wait_for(done))["incidents"]
    incident = await (await http.get(f"{url}/api/v1/incidents/{key}",
                                     headers=auth(ADMIN_TOKEN))).json()
    return int(incident["priority"])


async def test_a_refused_rules_file_keeps_the_old_rules(tmp_path: Path) -> None:
    path = tmp_path / "incidentd.toml"
    path.write_text(config_text(tmp_path / "data", 0, 0, extra='[plans.major]\n'
                                'team = ["oncall"]\n')
                    .replace('[triage]\ndefault_lists = ["oncall"]',
                             '[triage]\ndefault_lists = ["oncall"]\nrules_file = "rules.toml"'))
    rules = tmp_path / "rules.toml"
    rules.write_text(DISK_P1)
    overrides = {"server.http": "127.0.0.1:0", "server.smtp": "127.0.0.1:0"}
    config = load_config(path, overrides=overrides)
    await migrate(config)
    async with running_daemon(config) as daemon, aiohttp.ClientSession() as http:
        runtime = daemon.app[RUNTIME]
        runtime.config_path, runtime.from_file, runtime.overrides = path, True, overrides
        reload = f"{daemon.url}/api/v1/admin/reload"
        assert await _priority(http, daemon.url, "disk full on db-1") == 1

        rules.write_text(DISK_P2)  # the rules file changed, the configuration did not
        answer = await http.post(reload, headers=auth(ADMIN_TOKEN))
        assert answer.status == 200
        assert (await answer.json())["changed"] == ["triage.rules"]
        assert await _priority(http, daemon.url, "disk full on db-2") == 2

        for broken, reason in [
            (DISK_P1.replace("match.title = 'disk'", "match.title = 'disk('"),
             "bad regular expression 'disk('"),
            (DISK_P1 + "set.plan = 'minor'\n", "unknown plan 'minor'"),
            (DISK_P1 + "match.during = 'weekend'\n", "unknown time window 'weekend'"),
        ]:
            rules.write_text(broken)
            answer = await http.post(reload, headers=auth(ADMIN_TOKEN))
            assert answer.status == 422
            assert reason in (await answer.json())["error"]
            # a report after the refused reload is triaged by the rules still in force
            assert await _priority(http, daemon.url, f"disk full ({reason})") == 2
