from __future__ import annotations

import json

import pytest

from parsers import Ignored, ReportStatus, Severity
from tests.parsers.support import load, one


@pytest.mark.parametrize("name", [
    "alerta-subscription-confirmation", "aws-docs-subscription-confirmation",
    "cloudforet-subscription-confirmation", "aws-docs-unsubscribe-confirmation",
])
def test_handshakes_are_ignored_with_the_subscribe_url(name: str) -> None:
    body = load("aws-sns", name)
    with pytest.raises(Ignored) as caught:
        one("sns", body)
    assert caught.value.details == {"SubscribeURL": body["SubscribeURL"],
                                    "TopicArn": body["TopicArn"]}
    assert body["Type"] in caught.value.reason


def test_alarm_and_ok_share_the_alarm_arn() -> None:
    body = load("aws-sns", "alerta-cloudwatch-alarm-notification")
    fired = one("sns", body)
    alarm = json.loads(body["Message"])
    alarm.update(NewStateValue="OK", OldStateValue="ALARM")
    body["Message"] = json.dumps(alarm)
    resolved = one("sns", body)
    assert fired.dedup_key == resolved.dedup_key == \
        "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm"
    assert (fired.status, resolved.status) == (ReportStatus.FIRING, ReportStatus.RESOLVED)


def test_the_built_arn_matches_a_sent_alarm_arn() -> None:
    body = load("aws-sns", "alerta-cloudwatch-alarm-notification")
    alarm = json.loads(body["Message"])
    alarm["AlarmArn"] = "arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm"
    body["Message"] = json.dumps(alarm)
    assert one("sns", body).dedup_key == alarm["AlarmArn"]


def test_insufficient_data_keeps_the_alarm_open() -> None:
    report = one("sns", load("aws-sns", "alerta-cloudwatch-insufficient-data-notification"))
    assert report.status is ReportStatus.FIRING
    assert report.details["NewStateValue"] == "INSUFFICIENT_DATA"


def test_alarm_state_maps_through_the_severity_option_only() -> None:
    body = load("aws-sns", "alerta-cloudwatch-alarm-notification")
    assert one("sns", body).severity is None
    assert one("sns", body, {"severity_map": {"ALARM": "high"}}).severity is Severity.HIGH


def test_raw_message_delivery() -> None:
    alarm = json.loads(load("aws-sns", "cloudforet-cloudwatch-anomaly-ok")["Message"])
    report = one("sns", alarm)
    assert report.dedup_key == alarm["AlarmArn"]
    assert report.status is ReportStatus.RESOLVED


def test_eventbridge_alarm_state_change_uses_the_same_key() -> None:
    event = {
        "version": "0", "id": "c4c1c1c9", "detail-type": "CloudWatch Alarm State Change",
        "source": "aws.cloudwatch", "account": "1234567890", "time": "2019-02-15T23:53:45Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:cloudwatch:eu-west-1:1234567890:alarm:bucketbytesAlarm"],
        "detail": {"alarmName": "bucketbytesAlarm",
                   "state": {"value": "ALARM", "reason": "Threshold Crossed"},
                   "previousState": {"value": "OK"}},
    }
    envelope = load("aws-sns", "aws-docs-notification-plain")
    envelope["Message"] = json.dumps(event)
    report = one("sns", envelope)
    assert report.dedup_key == event["resources"][0]
    assert report.title == "bucketbytesAlarm"


def test_plain_message_is_keyed_by_message_id() -> None:
    report = one("sns", load("aws-sns", "aws-docs-notification-plain"))
    assert (report.title, report.description) == ("My First Message", "Hello world!")
    assert report.dedup_key == "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"


def test_health_event_closes() -> None:
    body = load("aws-sns", "cloudforet-aws-health-event")
    event = json.loads(body["Message"])
    fired = one("sns", body)
    event["detail"]["statusCode"] = "closed"
    body["Message"] = json.dumps(event)
    closed = one("sns", body)
    assert fired.dedup_key == closed.dedup_key == event["detail"]["eventArn"]
    assert closed.status is ReportStatus.RESOLVED
