"""Deliver into a local Maildir: the embedded default, readable by any mail client."""

from __future__ import annotations

import asyncio
import errno
import mailbox
from pathlib import Path

from notifiers import OutgoingMessage, PermanentDeliveryError, TemporaryDeliveryError


class MaildirNotifier:
    """Writes each message once into `<path>/new/`, using `mailbox.Maildir`'s safe rename."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def deliver(self, message: OutgoingMessage) -> None:
        """See `Notifier`."""
        await asyncio.to_thread(self._write, message)

    def _write(self, message: OutgoingMessage) -> None:
        envelope = (f"X-Envelope-From: {message.envelope_from}\r\n"
                    f"X-Envelope-To: {', '.join(message.recipients)}\r\n").encode()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            box = mailbox.Maildir(self.path, create=True)
            box.add(envelope + message.raw)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EAGAIN):
                raise TemporaryDeliveryError(f"maildir {self.path}: {exc.strerror}") from exc
            if exc.errno in (errno.EACCES, errno.EROFS, errno.ENOTDIR, errno.EPERM):
                raise PermanentDeliveryError(f"maildir {self.path}: {exc.strerror}") from exc
            raise TemporaryDeliveryError(f"maildir {self.path}: {exc}") from exc
