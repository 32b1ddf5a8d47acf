"""Run ``notifier ARGS`` with Apprise's Slack, Discord and Telegram plugins posting to a local receiver.

Their hosts are fixed in the plugins; the test that runs this gives the
receiver's base URL in NOTIFIER_TEST_RECEIVER, so that every request still
crosses a real socket but none leaves 127.0.0.1.
"""

import os
import sys

from apprise.plugins.discord import NotifyDiscord
from apprise.plugins.slack import NotifySlack
from apprise.plugins.telegram import NotifyTelegram

base = os.environ["NOTIFIER_TEST_RECEIVER"]
NotifySlack.webhook_url = f"{base}/services"
NotifyDiscord.notify_url = f"{base}/api/webhooks"
NotifyTelegram.notify_url = f"{base}/bot"

from notifier.cli import main  # noqa: E402 - after the plugins point at the receiver

sys.exit(main(sys.argv[1:]))
