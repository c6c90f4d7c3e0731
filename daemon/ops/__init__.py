"""Operations: systemd integration, health, metrics, reload, backup, retention, doctor."""
