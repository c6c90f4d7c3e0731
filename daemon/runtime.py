"""What the running daemon holds that may change while it runs (on reload)."""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from daemon.comms import Renderer
from daemon.config import Config, ConfigError, load_config
from daemon.ops.reload import ReloadResult, plan_reload
from daemon.ops.templates import TemplateProblem, check_templates

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    """The current configuration and the renderer built from it."""

    config: Config
    config_path: Path | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)  # command-line flags
    from_file: bool = True  # False: built from a Config object; there is nothing to re-read
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

    def reload(self) -> ReloadResult:
        """Re-read and validate the configuration file; swap it in only when valid.

        The file is read with the same command-line overrides as at start-up.
        Templates are rendered once with the new settings before the swap, so
        a broken override template keeps the old ones in force.
        """
        if not self.from_file:
            log.info("config reload: started from a configuration object, nothing to re-read")
            return ReloadResult(ok=True)
        try:
            new = load_config(self.config_path, overrides=self.overrides)
            renderer = Renderer(new.templates.dir)
            check_templates(renderer, new)
        except (ConfigError, TemplateProblem) as exc:
            result = ReloadResult(ok=False, error=str(exc))
            log.error("config reload failed, old configuration kept: error=%s", str(exc))
            return result
        config, result = plan_reload(self.config, new)
        self.config, self.renderer = config, renderer
        log.info("config reloaded changed=%s", ",".join(result.changed) or "-")
        if result.restart_needed:
            log.warning("config changes need a restart to apply: keys=%s",
                        ",".join(result.restart_needed))
        return result
