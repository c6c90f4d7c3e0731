"""Fixtures of the listener tests."""

from __future__ import annotations

import pytest

from tests.daemon.intake.tls import Certificate, issue


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return issue(tmp_path_factory.mktemp("tls"))
