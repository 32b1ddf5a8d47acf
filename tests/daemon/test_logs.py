"""Logging: readable or JSON lines, and no secret ever printed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from notifier import logs


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.configure_logging(stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_cookie_values_are_masked_in_any_logger(output: io.StringIO) -> None:
    """Cookie assignments and CSRF/bearer headers are masked even when nobody registered them."""
    logger = logging.getLogger("some.library")
    logger.warning("Cookie: auth_token=0123456789abcdef; ct0=fedcba9876543210")
    logger.warning("headers {'x-csrf-token': 'fedcba9876543210', 'authorization': 'Bearer AAAAAAAAAAAAAAAAAAAAAA'}")
    text = output.getvalue()
    assert "0123456789abcdef" not in text and "fedcba9876543210" not in text
    assert "AAAAAAAAAAAAAAAAAAAAAA" not in text
    assert "auth_token=***" in text


def test_registered_secrets_never_print(output: io.StringIO) -> None:
    """A registered secret is masked in messages, arguments, extras and tracebacks."""
    logs.add_secrets("s3cr3t-cookie-value")
    logger = logging.getLogger("notifier.test")
    logger.info("value %s", "s3cr3t-cookie-value", extra={"detail": "x s3cr3t-cookie-value"})
    try:
        raise RuntimeError("failed with s3cr3t-cookie-value")
    except RuntimeError:
        logger.exception("boom")
    assert "s3cr3t-cookie-value" not in output.getvalue()


def test_apprise_urls_show_only_their_privacy_form(output: io.StringIO) -> None:
    """A registered Apprise URL prints masked, and its secret parts alone are masked too."""
    url = "mailtos://alerts:hunter2-password@example.com"
    slack = "slack://T1ABCDEFG/B2ABCDEFG/tokentokentokentokentoken/#social"
    logs.add_url(url)
    logs.add_url(slack)
    logger = logging.getLogger("notifier.test")
    logger.info("target %s and %s", url, slack)
    logger.info("parts hunter2-password tokentokentokentokentoken")
    logger.info("an unregistered one: json://user:other-password@127.0.0.1:9/")
    text = output.getvalue()
    for secret in ("hunter2-password", "tokentokentokentokentoken", "other-password"):
        assert secret not in text
    assert "mailtos://alerts:" in text and "example.com" in text


def test_ntfy_topics_are_hidden_like_secrets(output: io.StringIO) -> None:
    """An ntfy topic, the only secret of a public ntfy server, shows as t...c in output and logs."""
    topic = "notifier-k3v9q2x7-alerts"
    for url in (f"ntfys://ntfy.sh/{topic}", f"https://ntfy.sh/{topic}", f"ntfy://{topic}"):
        assert topic not in logs.mask_url(url)
        assert "n...s" in logs.mask_url(url)
    logs.add_url(f"ntfys://ntfy.sh/{topic}")
    logging.getLogger("notifier.test").warning("posting to https://ntfy.sh/%s, 18 alerts so far", topic)
    text = output.getvalue()
    assert topic not in text
    assert "18 alerts so far" in text  # a short word of a URL is not masked everywhere


def test_json_format_is_one_object_per_line_with_event() -> None:
    """--log-format json writes parseable lines carrying the event name and extras."""
    stream = io.StringIO()
    handler = logs.configure_logging(log_format="json", stream=stream)
    try:
        logs.add_secrets("json-secret-value")
        logging.getLogger("notifier.run.daemon").info(
            "alert fired: %s", "Surge", extra={"event": "alert", "rule": "Surge", "note": "json-secret-value"}
        )
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["event"] == "alert" and entry["rule"] == "Surge" and entry["level"] == "info"
    assert entry["message"] == "alert fired: Surge" and entry["note"] == "***"
    assert entry["ts"].endswith("Z")


def test_verbose_levels(output: io.StringIO) -> None:
    """Debug lines of notifier show only with -v; library debug only with -vv."""
    logging.getLogger("notifier.x").debug("quiet by default")
    assert "quiet by default" not in output.getvalue()
    stream = io.StringIO()
    handler = logs.configure_logging(verbose=1, stream=stream)
    try:
        logging.getLogger("notifier.x").debug("now visible")
        logging.getLogger("httpx").debug("still hidden")
    finally:
        logging.getLogger().removeHandler(handler)
    assert "now visible" in stream.getvalue() and "still hidden" not in stream.getvalue()
