"""HTTPS on the daemon's own listener, without a reverse proxy in front.

With `[server] tls_cert` and `tls_key` the HTTP listener speaks TLS only.
The certificate is read again for the first connection after a reload that
changed the configuration, so a renewed certificate takes effect with
`systemctl reload incidentd`; one that fails to load keeps the one in use.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable
from pathlib import Path

from daemon.config import Config
from daemon.config.types import server_tls_context

log = logging.getLogger(__name__)


class HttpTls:
    """The listener's TLS context, kept to the certificate of the configuration in force."""

    def __init__(self, config: Callable[[], Config],
                 on_load: Callable[[Path], None] = lambda cert: None) -> None:
        self._config = config
        self._on_load = on_load  # told of each certificate put in use
        self._loaded_for = config()
        cert, key = self._loaded_for.server.tls_cert, self._loaded_for.server.tls_key
        if cert is None or key is None:
            raise ValueError("HttpTls needs [server] tls_cert and tls_key")
        self.context = server_tls_context(cert, key)  # TLS 1.2 and later
        on_load(cert)

    def refresh(self) -> None:
        """Read the certificate again if the configuration was reloaded since the last time."""
        current = self._config()
        if current is self._loaded_for:
            return
        self._loaded_for = current
        cert, key = current.server.tls_cert, current.server.tls_key
        if cert is None or key is None:
            return  # turning HTTPS off takes a restart; the reload says so
        try:
            # New handshakes use the context's new chain; open connections keep theirs.
            self.context.load_cert_chain(str(cert), str(key))
        except (OSError, ssl.SSLError) as exc:
            log.error("http: cannot load the TLS certificate, keeping the one in use: %s", exc)
            return
        self._on_load(cert)
