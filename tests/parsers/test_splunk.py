from __future__ import annotations

from tests.parsers.support import load, one


def test_saved_search_is_the_key() -> None:
    body = load("splunk", "zulip-search-one-result")
    first = one("splunk", body)
    body["sid"] = "rt_scheduler__admin__search__sudo_at_1483557999_3.3"
    assert one("splunk", body).dedup_key == first.dedup_key == "search/sudo"
    assert first.resource == "myserver"
    assert "_raw" not in first.labels
