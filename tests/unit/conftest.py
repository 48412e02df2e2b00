"""Fixtures shared by the engine tests."""

import pytest

from rnn import fast


@pytest.fixture(params=["fast", "plain"])
def implementation(request, monkeypatch):
    """Run the test once with rnn/fast.py (the default) and once with the plain code it stands in for."""
    monkeypatch.setattr(fast, "ENABLED", request.param == "fast")
    return request.param
