"""The delivery tests' fixtures (an outbox, started deliverers) for the control topic's tests."""

from tests.delivery.conftest import outbox, start_deliverer  # noqa: F401 - fixtures
