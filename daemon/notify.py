"""Build the configured notifier."""

from __future__ import annotations

import ssl

from daemon.config import Config
from notifiers import Notifier
from notifiers.maildir import MaildirNotifier
from notifiers.smtp import RelaySettings, SmtpNotifier


def build_notifier(config: Config) -> Notifier:
    """The notifier `[notify] backend` names."""
    if config.notify.backend == "smtp":
        relay = config.notify.smtp
        context = None
        if relay.ca_file is not None:
            # a relay with a private CA: trust that CA (and still check the host name)
            context = ssl.create_default_context(cafile=str(relay.ca_file))
        return SmtpNotifier(RelaySettings(
            host=relay.host,
            port=relay.port,
            security=relay.security,
            username=relay.username,
            password=relay.password.get_secret_value() if relay.password else None,
            timeout=relay.timeout.total_seconds(),
            tls_context=context,
            local_hostname=config.server.hostname,
        ))
    return MaildirNotifier(config.maildir_path)
