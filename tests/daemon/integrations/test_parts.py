"""The pure parts: signed strings, the replay cache, the token bucket, keys, configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from daemon.config import ConfigError, load_config
from daemon.dedup import Correlation, fingerprint, group_key, rekey
from daemon.intake.limits import TokenBucket
from daemon.intake.signature import ReplayCache, signed_bytes
from parsers import Report

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_signed_bytes_keep_the_body_as_is() -> None:
    body = b'{"a": "\xc3\xa9 {timestamp}"}'  # placeholders inside the body stay untouched
    assert signed_bytes("{body}", body, None) == body
    assert signed_bytes("{timestamp}.{body}", body, "17") == b"17." + body
    assert signed_bytes("v0:{timestamp}:{body}", body, "17") == b"v0:17:" + body


def test_replay_cache_expires_and_is_bounded() -> None:
    cache = ReplayCache(limit=3)
    assert cache.claim(b"a", NOW + timedelta(minutes=5), NOW)
    assert not cache.claim(b"a", NOW + timedelta(minutes=5), NOW)
    cache.release(b"a")
    assert cache.claim(b"a", NOW + timedelta(minutes=5), NOW)
    for key in (b"b", b"c", b"d"):
        assert cache.claim(key, NOW + timedelta(minutes=5), NOW)
    assert len(cache) == 3  # "a" was dropped to stay within the bound
    later = NOW + timedelta(minutes=6)
    assert cache.claim(b"b", later + timedelta(minutes=5), later)  # expired, so new again
    assert len(cache) == 1


def test_token_bucket_refills_evenly() -> None:
    now = [0.0]
    bucket = TokenBucket(3, timedelta(minutes=1), lambda: now[0])
    assert [bucket.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take() == pytest.approx(20.0)
    now[0] = 10.0
    assert bucket.take() == pytest.approx(10.0)
    now[0] = 20.0
    assert bucket.take() == 0.0
    now[0] = 1000.0  # never more than the capacity
    assert [bucket.take() for _ in range(4)][-1] > 0


def report(**fields: object) -> Report:
    return Report(source="generic", title="Disk full", occurred_at=NOW,
                  **fields)  # type: ignore[arg-type]


def test_keys_from_fields_and_labels() -> None:
    a = report(labels={"host": "db-1", "check": "disk"}, service="pg")
    b = report(labels={"host": "db-1", "check": "disk"}, service="other")
    assert fingerprint(a, ["labels.host", "labels.check"]) == \
        fingerprint(b, ["labels.host", "labels.check"])
    assert fingerprint(a, ["labels.host", "service"]) != fingerprint(b, ["labels.host",
                                                                         "service"])
    assert fingerprint(a, ["labels.nothing"]) is None
    assert group_key(a, ["check", "cluster"]) == "check=disk,cluster="
    assert group_key(a, ["service"]) == "service=pg"  # a field stands in for a label
    assert group_key(a, ["cluster"]) is None
    long = report(labels={"x": "y" * 500})
    assert (group_key(long, ["x"]) or "").startswith("group:")
    settings = Correlation(timedelta(hours=1), True, False, group_by=("check",),
                           dedup_fields=("labels.host",))
    keyed = rekey(report(dedup_key="own", labels={"host": "h", "check": "c"}), settings)
    assert (keyed.dedup_key, keyed.group_key) == ("own", "check=c")
    override = Correlation(timedelta(hours=1), True, False, dedup_fields=("labels.host",),
                           dedup_fields_override=True)
    assert (rekey(report(dedup_key="own", labels={"host": "h"}), override).dedup_key or ""
            ).startswith("fp:")


@pytest.mark.parametrize(("integration", "message"), [
    ({"type": "generic", "routing_key": "k"}, "routing_key is only for integrations of type "
                                              "pagerduty"),
    ({"type": "generic", "username": "u"}, "basic auth needs both username and password"),
    ({"type": "generic", "hmac": {"secret": "s"}}, "hmac.header is required"),
    ({"type": "generic", "hmac": {"secret": "", "header": "X"}}, "must not be empty"),
    ({"type": "generic", "hmac": {"secret": "s", "header": "X", "signed": "{timestamp}"}},
     "needs {body} once"),
    ({"type": "generic", "hmac": {"secret": "s", "header": "X", "signed": "{ts}.{body}"}},
     "unknown placeholder(s) {ts}"),
    ({"type": "generic", "hmac": {"secret": "s", "header": "X",
                                  "signed": "{timestamp}.{body}"}},
     "set hmac.timestamp_header"),
    ({"type": "generic", "hmac": {"preset": "sentry", "secret": "s",
                                  "timestamp_header": "Sentry-Hook-Timestamp"}},
     "the timestamp is not signed"),
    ({"type": "generic", "hmac": {"preset": "nope", "secret": "s"}}, "hmac.preset"),
    ({"type": "generic", "hmac": {"secret": "s", "header": "X", "algorithm": "md5"}},
     "hmac.algorithm"),
    ({"type": "generic", "rate_limit": "lots"}, "'lots' is not a rate"),
    ({"type": "generic", "rate_limit": "0/1m"}, "at least 1 request"),
    ({"type": "generic", "dedup_fields": ["labels"]}, "'labels' is not a report field"),
    ({"type": "generic", "dedup_fields_override": True}, "needs dedup_fields"),
    ({"type": "generic", "confirm_subscription": True}, "only for integrations of type sns"),
    ({"type": "sns", "confirm_url_pattern": "("}, "not a regular expression"),
    ({"type": "generic", "group_window": "soon"}, "integrations.x.group_window"),
])
def test_integration_configuration_errors(integration: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, overrides={"integrations": {"x": integration}})
    assert message in str(caught.value)
    assert "integrations.x" in str(caught.value)


def test_routing_keys_are_unique_and_settings_fall_back() -> None:
    with pytest.raises(ConfigError, match="two integrations have the same routing_key"):
        load_config(None, overrides={"integrations": {
            "a": {"type": "pagerduty", "routing_key": "same"},
            "b": {"type": "pagerduty", "routing_key": "same"}}})
    from daemon.dedup import correlation_for

    config = load_config(None, overrides={
        "correlate.group_by": ["alertname"], "correlate.join_by_service": True,
        "integrations": {"a": {"type": "generic", "group_window": "5m", "auto_resolve": False},
                         "b": {"type": "generic", "group_by": [], "join_by_service": False}}})
    a, b, mail = (correlation_for(config, name) for name in ("a", "b", None))
    assert (a.group_window, a.auto_resolve, a.group_by, a.join_by_service) == (
        timedelta(minutes=5), False, ("alertname",), True)
    assert (b.group_window, b.auto_resolve, b.group_by, b.join_by_service) == (
        timedelta(hours=1), True, (), False)
    assert (mail.join_by_service, mail.group_by) == (True, ())


def test_secrets_stay_out_of_reprs() -> None:
    config = load_config(None, overrides={"integrations": {"a": {
        "type": "pagerduty", "token": "s3cret-token", "username": "u",
        "password": "s3cret-password", "routing_key": "s3cret-routing",
        "hmac": {"preset": "grafana", "secret": "s3cret-hmac"}}}})
    integration = config.integrations["a"]
    assert integration.hmac is not None
    text = repr(config) + str(config) + repr(integration.hmac.scheme())
    assert "s3cret" not in text


def test_example_secrets_are_warned_about_beyond_loopback(
        caplog: pytest.LogCaptureFixture) -> None:
    from daemon.app import warn_about_example_tokens

    config = load_config(None, overrides={"server.http": "0.0.0.0:8080", "integrations": {
        "pd": {"type": "pagerduty", "routing_key": "example-routing",
               "username": "u", "password": "example-password",
               "hmac": {"preset": "pagerduty", "secret": "example-secret"}}}})
    warn_about_example_tokens(config)
    for key in ("routing_key", "password", "hmac.secret"):
        assert f"integrations.pd.{key} uses an example token" in caplog.text
    assert "example-secret" not in caplog.text
