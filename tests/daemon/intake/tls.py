"""A throwaway CA and a certificate for 127.0.0.1: the STARTTLS tests' server side."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import trustme


@dataclass(frozen=True)
class Certificate:
    """A throwaway CA's certificate for 127.0.0.1, and what the tests need of it."""

    ca: trustme.CA
    cert: Path
    key: Path

    def settings(self, cert: Path | None = None) -> dict[str, str]:
        """The `[smtp]` overrides that offer STARTTLS (with `cert`, else the issued one)."""
        return {"smtp.tls_cert": str(cert or self.cert), "smtp.tls_key": str(self.key)}

    def client(self) -> ssl.SSLContext:
        """A client TLS context that trusts the CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


def issue(folder: Path, not_after: datetime | None = None) -> Certificate:
    """A new CA, and a certificate and key for 127.0.0.1 written under `folder`."""
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost", not_after=not_after)
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(b"".join(pem.bytes() for pem in issued.cert_chain_pems))
    issued.private_key_pem.write_to_path(str(key))
    return Certificate(ca, cert, key)
