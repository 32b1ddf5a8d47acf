"""What a run checks before anything connects, each problem a :class:`StartupFailure`.

:func:`check_rules` reads the rule file and builds its targets,
:func:`check_source` finds the cookies a live run signs in with (or, for a
replay, the recording) and the account's user id, and :func:`lock_state`
takes the state file's lock; each failure says what is wrong and how to fix
it, with the event it is logged as and the exit code.
:func:`load_rule_file` is also how a running daemon reloads its rules.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config
from ..exceptions import CredentialsError, DeliveryError, NotifierError, RuleFileError
from ..exitcodes import EXIT_FAILURE, EXIT_USAGE, ExitCode
from .lock import StateInUseError, StateLock
from ..rulefile import RuleFile, load_rules
from ..stream.auth import Cookies, resolve_cookies

if TYPE_CHECKING:
    from ..delivery import TargetSet

__all__ = ["StartupFailure", "check_rules", "check_source", "load_rule_file", "lock_state"]


class StartupFailure(Exception):
    """The run cannot start: ``message`` says why, logged as ``event``; exit with ``code``."""

    def __init__(self, message: str, event: str, code: ExitCode = EXIT_USAGE) -> None:
        super().__init__(message)
        self.event = event
        self.code = code


def load_rule_file(config: Config, env: Mapping[str, str]) -> tuple[RuleFile, TargetSet]:
    """The rule file and the targets it names (console:// ones in a dry run)."""
    from ..delivery import build_targets  # noqa: PLC0415 - Apprise loads only when a run needs it
    from ..delivery.dryrun import dry_run_targets  # noqa: PLC0415

    ruleset = load_rules(config.rules, env=env)
    if config.dry_run:
        return ruleset, dry_run_targets(ruleset)
    # build_targets registers every URL with the log filter before anything can print it.
    return ruleset, build_targets(ruleset.targets, ruleset.targets_from)


def check_rules(config: Config, env: Mapping[str, str]) -> tuple[RuleFile, TargetSet]:
    """The rule file and its targets, or a :class:`StartupFailure` saying what is wrong with them."""
    try:
        return load_rule_file(config, env)
    except RuleFileError as exc:
        raise StartupFailure(str(exc), "rules_invalid") from None
    except OSError as exc:
        raise StartupFailure(
            f"cannot read the rule file {config.rules}: {exc.strerror or exc}", "rules_invalid"
        ) from None
    except DeliveryError as exc:
        raise StartupFailure(str(exc), "targets_invalid") from None


def check_source(config: Config, ruleset: RuleFile, env: Mapping[str, str]) -> tuple[Cookies | None, str | None]:
    """The cookies a live run signs in with and its account's user id; a replay needs only its recording."""
    cookies = None
    if config.replay is None:
        try:
            cookies = resolve_cookies(config.cookies, ruleset.account_cookies, env)
        except CredentialsError as exc:
            hint = f"; notifier login {config.rules} checks and saves them"
            if isinstance(exc.__cause__, PermissionError):
                # Logging in again would write the same file, just as unreadable: say what does help.
                hint = (f"; notifier runs as uid {os.getuid()}, and the file is readable by its owner only: "
                        "under systemd hand it to the service with LoadCredential= and --cookies "
                        "%d/cookies.json (docs/deployment.md, systemd), elsewhere run notifier login "
                        "as the user that runs notifier")
            raise StartupFailure(f"{exc}{hint}", "credentials_missing") from None
        own_user_id = cookies.user_id
    elif not config.replay.is_file():
        raise StartupFailure(
            f"cannot replay {config.replay}: no such file; give the path of a JSONL file written by "
            "`notifier record`", "usage",
        )
    else:
        own_user_id = _quiet_own_user_id(config, ruleset, env)
    return cookies, own_user_id


def lock_state(state_path: Path) -> StateLock:
    """The state file's lock, taken before the file is opened: two runs on one file would double every alert."""
    try:
        return StateLock.acquire(state_path)
    except StateInUseError as exc:
        raise StartupFailure(str(exc), "state_locked", EXIT_FAILURE) from None
    except NotifierError as exc:
        raise StartupFailure(str(exc), "state_error", EXIT_FAILURE) from None


def _quiet_own_user_id(config: Config, ruleset: RuleFile, env: Mapping[str, str]) -> str | None:
    """In a replay the cookies are optional; use them only to know our own DMs."""
    try:
        return resolve_cookies(config.cookies, ruleset.account_cookies, env).user_id
    except (NotifierError, OSError):
        return None

