"""What a rule file holds beyond its rules: targets, Apprise tags, the account.

The engine runs a :class:`~notifier.rules.model.RuleSet`; a loaded file is a
:class:`RuleFile`, the same rules plus what delivery and the stream client
need, so code that reads ``ruleset.targets`` keeps one object to pass around.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from types import MappingProxyType

from ..control.link import ControlLink
from ..delivery.policy import Budget, QuietWindow, TargetPolicy, zone
from ..rules.model import RuleSet

__all__ = ["DEFAULT_POLL", "DEFAULT_STREAM_DOWN", "ControlSpec", "HealthSpec", "HomeAssistantSpec", "RuleFile", "TargetSpec"]

# account.poll when the file does not say.
# A new post is watched within a minute; one followed account costs 15 of X's 50 timeline requests a window.
DEFAULT_POLL = 60.0
# health.stream_down when the file does not say.
DEFAULT_STREAM_DOWN = 600.0


@dataclass(frozen=True, slots=True)
class HealthSpec:
    """Where notifier's own problems go (the rule file's ``health:`` block).

    ``given`` says the file has the block; without it ``notify`` is
    ``defaults.notify`` (maybe empty) and only the conditions that stop the
    daemon are reported. ``ping`` holds a secret: it is left out of the repr.
    """

    notify: tuple[str, ...] = ()
    stream_down: float = DEFAULT_STREAM_DOWN
    ping: str | None = field(default=None, repr=False)
    given: bool = False


@dataclass(frozen=True, slots=True)
class HomeAssistantSpec:
    """Where and what notifier shows in Home Assistant (the rule file's ``home_assistant:`` block).

    ``password`` is a secret: it is left out of the repr; :attr:`shown` is the
    broker's URL with the password masked.
    """

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    discovery_prefix: str = "homeassistant"
    sensors: tuple[str, ...] = ("likes", "retweets", "replies", "views")
    # Posts with sensors, the newest first: a long tweets: list must not flood Home Assistant.
    max_posts: int = 100

    @property
    def shown(self) -> str:
        """``mqtt://user:***@host:port``: what check and the logs may print."""
        scheme = "mqtts" if self.tls else "mqtt"
        user = ""
        if self.username is not None:
            user = self.username + (":***" if self.password else "") + "@"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{user}{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class ControlSpec:
    """The control topic (the rule file's ``control:`` block): where mute buttons publish, what notifier obeys.

    ``url`` is the ntfy URL as written (a secret: left out of the repr);
    ``link`` where it publishes and subscribes; ``tz`` the clock of
    ``mute until 07:00`` (None: the machine's).
    """

    url: str = field(repr=False)
    link: ControlLink
    tz: str | None = None

    @property
    def shown(self) -> str:
        """The topic's server with the topic masked: what check and the logs may print."""
        return self.link.shown

    @property
    def zone(self) -> tzinfo:
        return zone(self.tz)


@dataclass(frozen=True, slots=True)
class TargetSpec:
    """A named notification target of the rule file.

    ``url`` holds secrets: it is left out of the repr; show ``mask_url(url)``.
    ``policy`` holds the target's quiet hours (in its zone) and budget, when
    the file gives the target as a mapping; the default policy holds nothing back.
    ``chart`` is False when the mapping says ``chart: false``: no charts to it.
    """

    name: str
    url: str = field(repr=False)
    line: int = 0
    policy: TargetPolicy = TargetPolicy()
    chart: bool = True

    @property
    def quiet(self) -> QuietWindow | None:
        return self.policy.quiet

    @property
    def tz(self) -> str | None:
        return self.policy.tz

    @property
    def budget(self) -> Budget | None:
        return self.policy.budget


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleFile(RuleSet):
    """A loaded rule file: only ever built by :func:`~notifier.rulefile.load_rules`, so always valid."""

    targets: Mapping[str, TargetSpec]
    account_cookies: str | None = None
    # account.poll: seconds between two polls of X's web API (account watching);
    # account.graphql: query ids that replace the built-in ones, by operation.
    poll: float = DEFAULT_POLL
    graphql: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    targets_from: Path | None = None
    tags: frozenset[str] = frozenset()
    health: HealthSpec = HealthSpec()
    home_assistant: HomeAssistantSpec | None = None
    control: ControlSpec | None = None
