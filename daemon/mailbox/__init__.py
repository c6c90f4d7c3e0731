"""What the pipeline decides for mail, beyond parsing it.

- `screen`: sender policy, upstream authentication results, duplicate deliveries;
- `note_bounce`: a bounce of one of our mails marks its outbox row;
- `note_reply` / `after_reports`: a reply's note, its commands, and the
  automatic answers (acknowledgement, confirmation) to the sender.

The SMTP handler only refuses what it can tell from the envelope; everything
here runs in the pipeline's transaction for the intake row.
"""

from daemon.mailbox.bounces import note_bounce
from daemon.mailbox.flow import after_reports, note_reply
from daemon.mailbox.screen import Verdict, screen

__all__ = ["Verdict", "after_reports", "note_bounce", "note_reply", "screen"]
