"""Fixtures shared by the Jobs API tests: the local stand-in server with the developer's own settings isolated."""

from __future__ import annotations

import os

import pytest

from tests.workflow.fake_jobs_server import FakeJobsServer, Scenario

TOKEN = "dapi-FAKE-TOKEN-9a8b7c6d5e"


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """Point the SDK at a fake server, with every DATABRICKS_* setting and profile of the developer removed."""
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")) or name.lower().endswith("_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "no-such.databrickscfg"))
    monkeypatch.setenv("DATABRICKS_TOKEN", TOKEN)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")

    def start(scenario: Scenario | None = None) -> FakeJobsServer:
        server = FakeJobsServer(scenario)
        monkeypatch.setenv("DATABRICKS_HOST", server.url)
        return server

    return start
