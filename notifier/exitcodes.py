"""The exit codes of every ``notifier`` command, in one place.

Scripts, cron and systemd read them: ``2`` is always something the user can
fix in what they typed or wrote, ``3`` always means X refused the cookies.
"""

from __future__ import annotations

__all__ = ["EXIT_AUTH", "EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "ExitCode"]

ExitCode = int

EXIT_OK: ExitCode = 0
"""Done: a clean stop, the end of a recording, every test notification sent."""
EXIT_FAILURE: ExitCode = 1
"""A failure at run time (state file, a notification that was not accepted, alerts differ from --expect)."""
EXIT_USAGE: ExitCode = 2
"""Bad flags, rule file, recording or missing cookies: fix the input and try again."""
EXIT_AUTH: ExitCode = 3
"""X rejected the cookies: log in again (notifier login) and start again."""
