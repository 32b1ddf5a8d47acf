"""Fixtures for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from notifier.logs import secret_filter


@pytest.fixture(autouse=True)
def _secrets_stay_with_their_test() -> Iterator[None]:
    # The log filter is process-wide, as in a run; a secret registered by one test
    # (a typo'd URL's host, say) must not mask another test's log lines.
    secrets = secret_filter()
    replacements, known = dict(secrets._replacements), set(secrets._known)
    yield
    with secrets._lock:
        secrets._replacements, secrets._known = replacements, known
        secrets._compile()
