"""What the running daemon holds that may change while it runs (on reload)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from daemon.comms import Renderer
from daemon.config import Config


@dataclass(slots=True)
class Runtime:
    """The current configuration and the renderer built from it."""

    config: Config
    config_path: Path | None = None
    renderer: Renderer = field(init=False)
    instance: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")

    def __post_init__(self) -> None:
        self.renderer = Renderer(self.config.templates.dir)

    def get_config(self) -> Config:
        """The configuration in force now."""
        return self.config

    def get_renderer(self) -> Renderer:
        """The renderer in force now."""
        return self.renderer

    @property
    def smtp_addresses(self) -> frozenset[str]:
        """The mailbox addresses SMTP accepts mail for."""
        return frozenset(self.config.mailbox.addresses)
