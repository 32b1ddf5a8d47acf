"""A rule file that cannot be one (over 10 MB, an endless device) is refused with a clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules


def test_a_rule_file_over_10_mb_is_refused(tmp_path: Path) -> None:
    """A rule file over 10 MB is one clear problem, with the file's name."""
    path = tmp_path / "rules.yaml"
    path.write_text("version: 1\n# " + "x" * (10 << 20) + "\n")
    with pytest.raises(RuleFileError, match="over 10 MB") as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_check_dev_zero_is_refused_without_a_traceback() -> None:
    """`notifier check /dev/zero` exits 2 with a clear message, not a MemoryError."""
    result = subprocess.run(
        [sys.executable, "-m", "notifier", "check", "/dev/zero"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert "/dev/zero" in result.stderr and "over 10 MB" in result.stderr
    assert "Traceback" not in result.stderr
