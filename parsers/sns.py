"""Amazon SNS HTTP(S) subscriptions: CloudWatch alarms, EventBridge events, plain messages.

SNS posts a JSON envelope (`Type`, `MessageId`, `TopicArn`, `Subject`, `Message`,
`Timestamp`) with `Content-Type: text/plain`. `SubscriptionConfirmation` and
`UnsubscribeConfirmation` are handshakes: they are ignored, with the
`SubscribeURL` and `TopicArn` in the details so an operator can confirm the
subscription (incidentd never fetches URLs itself). For `Notification`, the
`Message` decides:

- a CloudWatch alarm (`AlarmName`, `NewStateValue`): `ALARM` and
  `INSUFFICIENT_DATA` fire, `OK` resolves. The dedup key is the alarm ARN (built
  from the topic's region, the account and the alarm name when the message has
  no `AlarmArn`), so every state change of one alarm meets on one key.
  CloudWatch alarms have no severity: the state word goes through the
  `severity_map` option and is otherwise left unset.
- an EventBridge event (`detail-type`, `source`, `detail`): AWS Health events are
  keyed by `eventArn` and resolve on `statusCode: closed`; CloudWatch "Alarm
  State Change" events are read like alarms; others become a report keyed by the
  event id.
- anything else: one report titled by `Subject` (or the message's first line)
  and keyed by `MessageId`, so SNS redeliveries don't repeat it.

With raw message delivery the body is the message itself; alarms and events are
recognised without the envelope.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Final

from parsers._common import (
    as_list,
    as_object,
    dig,
    first_text,
    flatten,
    load_object,
    map_severity,
    one_line,
    pairs_map,
    parse_time,
    short_hash,
    text,
)
from parsers.report import Ignored, ParseError, RawInput, Report, ReportStatus

NAME: Final = "sns"

_HANDSHAKES: Final = ("SubscriptionConfirmation", "UnsubscribeConfirmation")
_ALARM_STATUS: Final = {
    "ALARM": ReportStatus.FIRING,
    "INSUFFICIENT_DATA": ReportStatus.FIRING,
    "OK": ReportStatus.RESOLVED,
}
_HEALTH_STATUS: Final = {"closed": ReportStatus.RESOLVED}


def can_parse(raw: RawInput) -> bool:
    """SNS envelopes carry `TopicArn` and `Type`; raw alarms `AlarmName`/`NewStateValue`."""
    body = raw.body
    return (b'"TopicArn"' in body and b'"Type"' in body) \
        or (b'"AlarmName"' in body and b'"NewStateValue"' in body)


def parse(raw: RawInput) -> list[Report]:
    """See module docstring."""
    body = load_object(raw, "the SNS message")
    if "Type" not in body:
        return [_message(raw, body, body, "")]  # raw message delivery
    kind = text(body.get("Type"))
    topic = text(body.get("TopicArn")) or ""
    if kind in _HANDSHAKES:
        raise Ignored(f"SNS {kind}: visit the SubscribeURL to confirm the subscription"
                      if kind == "SubscriptionConfirmation" else
                      f"SNS {kind}: the subscription was removed (the SubscribeURL restores it)",
                      {"SubscribeURL": text(body.get("SubscribeURL")) or "",
                       "TopicArn": topic})
    if kind != "Notification":
        raise ParseError(f"unknown SNS message Type {kind!r}")
    message = body.get("Message")
    if not isinstance(message, str):
        raise ParseError("SNS Notification has no 'Message' string")
    decoded: Any = None
    if message.lstrip().startswith("{"):
        try:
            decoded = json.loads(message)
        except ValueError:
            decoded = None
    return [_message(raw, decoded if isinstance(decoded, Mapping) else None, body, topic)]


def _message(
    raw: RawInput,
    message: Mapping[str, Any] | None,
    envelope: Mapping[str, Any],
    topic: str,
) -> Report:
    if message is not None and "AlarmName" in message and "NewStateValue" in message:
        return _alarm(raw, message, envelope, topic)
    if message is not None and "detail-type" in message and "detail" in message:
        return _event(raw, message, envelope)
    if "Type" not in envelope:
        raise ParseError("neither an SNS envelope ('Type', 'Message') nor a CloudWatch alarm "
                         "or EventBridge event")
    return _plain(raw, envelope)


def _alarm(raw: RawInput, alarm: Mapping[str, Any], envelope: Mapping[str, Any],
           topic: str) -> Report:
    name = text(alarm.get("AlarmName"))
    state = text(alarm.get("NewStateValue"))
    if name is None or state is None:
        raise ParseError("CloudWatch alarm without 'AlarmName' or 'NewStateValue'")
    status = _ALARM_STATUS.get(state.upper())
    if status is None:
        raise ParseError(f"unknown CloudWatch alarm state {state!r}")
    region = _arn_part(text(alarm.get("AlarmArn")), 3) or _arn_part(topic, 3)
    account = text(alarm.get("AWSAccountId")) or _arn_part(topic, 4)
    alarm_arn = text(alarm.get("AlarmArn"))
    if alarm_arn is None and region and account:
        alarm_arn = f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}"
    trigger = as_object(alarm.get("Trigger"))
    metric = _metric(trigger)
    dimensions = pairs_map(metric.get("Dimensions"))
    labels = dict(dimensions)
    if region:
        labels["region"] = region
    if account:
        labels["account"] = account
    details = {key: value for key in ("NewStateReason", "OldStateValue", "NewStateValue",
                                      "Region")
               if (value := text(alarm.get(key))) is not None}
    for key in ("ComparisonOperator", "Threshold", "Statistic", "Period",
                "EvaluationPeriods"):
        value = text(trigger.get(key))
        if value is not None:
            details[f"Trigger.{key}"] = value
    when = parse_time(alarm.get("StateChangeTime"))
    return Report(
        source=NAME,
        title=one_line(name) or name,
        description="\n\n".join(part for part in (text(alarm.get("AlarmDescription")),
                                                   text(alarm.get("NewStateReason"))) if part),
        status=status,
        severity=map_severity(state, raw.options, {}),
        occurred_at=when or parse_time(envelope.get("Timestamp")) or raw.received_at,
        ended_at=when if status is ReportStatus.RESOLVED else None,
        dedup_key=alarm_arn or short_hash(name, text(alarm.get("Region"))),
        service=text(metric.get("Namespace")),
        resource=", ".join(f"{k}={v}" for k, v in dimensions.items()) or None,
        event=text(metric.get("MetricName")),
        url=_console_url(region, name),
        labels=labels,
        details=details,
    )


def _metric(trigger: Mapping[str, Any]) -> Mapping[str, Any]:
    """The metric of a plain alarm, or the first metric of a metric-math alarm."""
    if "MetricName" in trigger or "Dimensions" in trigger:
        return trigger
    metrics = trigger.get("Metrics")
    if isinstance(metrics, list):
        for item in metrics:
            found = dig(item, "MetricStat.Metric")
            if isinstance(found, Mapping):
                return found
    return {}


def _event(raw: RawInput, event: Mapping[str, Any], envelope: Mapping[str, Any]) -> Report:
    detail_type = text(event.get("detail-type")) or "EventBridge event"
    detail = as_object(event.get("detail"))
    listed = event.get("resources")
    resources = [r for item in listed if (r := text(item))] if isinstance(listed, list) else []
    when = parse_time(event.get("time")) or parse_time(envelope.get("Timestamp")) \
        or raw.received_at
    if detail_type == "CloudWatch Alarm State Change" and isinstance(detail.get("state"),
                                                                     Mapping):
        alarm = {
            "AlarmName": detail.get("alarmName"),
            "NewStateValue": dig(detail, "state.value"),
            "NewStateReason": dig(detail, "state.reason"),
            "OldStateValue": dig(detail, "previousState.value"),
            "StateChangeTime": event.get("time"),
            "AlarmDescription": dig(detail, "configuration.description"),
            "AlarmArn": resources[0] if resources else None,
            "AWSAccountId": event.get("account"),
        }
        return _alarm(raw, alarm, envelope, "")
    source = text(event.get("source"))
    labels = {key: value for key in ("source", "account", "region")
              if (value := text(event.get(key))) is not None}
    if source == "aws.health":
        code = text(detail.get("eventTypeCode"))
        status = _HEALTH_STATUS.get((text(detail.get("statusCode")) or "").lower(),
                                    ReportStatus.FIRING)
        category = text(detail.get("eventTypeCategory"))
        descriptions = detail.get("eventDescription")
        description = first_text(dig(descriptions, "0.latestDescription")) or ""
        details = {"eventTypeCode": code or "", "eventTypeCategory": category or "",
                   "affectedEntities": ", ".join(
                       value for entity in as_list(detail.get("affectedEntities"))
                       if (value := text(dig(entity, "entityValue")))),
                   }
        return Report(
            source=NAME,
            title=one_line(f"{detail_type}: {code}" if code else detail_type) or detail_type,
            description=description,
            status=status,
            occurred_at=_health_time(detail.get("startTime")) or when,
            ended_at=_health_time(detail.get("endTime")) if status is ReportStatus.RESOLVED
            else None,
            dedup_key=text(detail.get("eventArn")) or text(event.get("id")),
            service=text(detail.get("service")),
            resource=", ".join(resources) or None,
            event=code,
            labels=labels,
            details={k: v for k, v in details.items() if v},
        )
    return Report(
        source=NAME,
        title=one_line(first_text(envelope.get("Subject"), detail_type)) or detail_type,
        description=json.dumps(detail, indent=2, ensure_ascii=False) if detail else "",
        occurred_at=when,
        dedup_key=text(event.get("id")) or text(envelope.get("MessageId")),
        service=source,
        resource=", ".join(resources) or None,
        event=detail_type,
        labels=labels,
        details=flatten(detail),
    )


def _plain(raw: RawInput, envelope: Mapping[str, Any]) -> Report:
    message = text(envelope.get("Message")) or ""
    title = one_line(first_text(envelope.get("Subject"), message)) or "SNS notification"
    topic = text(envelope.get("TopicArn"))
    return Report(
        source=NAME,
        title=title,
        description=message if message != title else "",
        occurred_at=parse_time(envelope.get("Timestamp")) or raw.received_at,
        dedup_key=text(envelope.get("MessageId")),
        service=_arn_part(topic, 5),
        details={"TopicArn": topic} if topic else {},
    )


def _arn_part(arn: str | None, index: int) -> str | None:
    """`arn:aws:sns:eu-west-1:123:topic` → part 3 is the region, 4 the account, 5 the name."""
    if not arn or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    if len(parts) <= index:
        return None
    return parts[index] or None


def _console_url(region: str | None, name: str) -> str | None:
    if not region:
        return None
    return (f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#alarmsV2:alarm/{name}")


def _health_time(value: Any) -> datetime | None:
    """AWS Health sends RFC 2822 dates (`Thu, 02 Aug 2018 05:30:00 GMT`) or ISO 8601."""
    parsed = parse_time(value)
    if parsed is not None or not isinstance(value, str):
        return parsed
    try:
        result = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parse_time(result.isoformat())
