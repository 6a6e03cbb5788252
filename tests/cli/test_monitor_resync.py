"""`storeops monitor run` applies edits to storeops.toml while it runs; a broken edit is
logged and changes nothing."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storeops.cli.monitor import resync_if_changed, synced_state
from storeops.core.settings import Settings, load_settings
from storeops.monitoring.models import Monitor

DECLARED = """
[[services]]
name = "storefront"
impact = 0.8

[[monitors]]
name = "home"
kind = "http"
service = "storefront"
url = "http://127.0.0.1:9/"
"""
ANOTHER = """
[[monitors]]
name = "search"
kind = "http"
service = "storefront"
url = "http://127.0.0.1:9/search"
"""


def _names(sessions) -> set[str]:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return set(session.scalars(select(Monitor.name)))


def test_an_edit_is_synced_and_a_broken_one_is_logged(
    workspace: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    file = workspace.settings_file
    file.write_text(file.read_text() + DECLARED)
    settings = load_settings(workspace.workspace)
    with synced_state(settings) as sessions:
        seen = resync_if_changed(settings, sessions, None)
        assert _names(sessions) == {"home"}
        assert resync_if_changed(settings, sessions, seen) == seen  # nothing changed

        file.write_text(file.read_text() + ANOTHER)
        seen = resync_if_changed(settings, sessions, seen)
        assert _names(sessions) == {"home", "search"}

        file.write_text(file.read_text() + '\n[[monitors]]\nname = "Bad Name"\n')
        with caplog.at_level(logging.ERROR):
            resync_if_changed(settings, sessions, seen)
        assert _names(sessions) == {"home", "search"}
        assert "not applied" in caplog.text and "monitors[2]" in caplog.text
