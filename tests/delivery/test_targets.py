"""Targets: named Apprise URLs and targets_from configs, checked through Apprise, never shown raw."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from notifier.delivery import Target, build_targets, check_url, config_tags, mask_url
from notifier.exceptions import DeliveryError

SECRET = "hunter2-Secret-9911"


def test_check_url_accepts_console_and_real_services():
    """console:// and ordinary service URLs pass the Apprise check."""
    assert check_url("console://") is None
    assert check_url("json://127.0.0.1:8080/hook") is None
    assert check_url(f"mailto://bob:{SECRET}@127.0.0.1:2525?from=a@example.com&to=b@example.com") is None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "empty"),
        ("ntfy.sh/topic", "not an Apprise URL"),
        (f"nosuchservice://user:{SECRET}@host", "nosuchservice://"),
        ("json://", "incomplete"),
    ],
)
def test_check_url_explains_without_echoing(url, expected):
    """An unusable URL gets a reason, and the reason never repeats the URL's secret."""
    problem = check_url(url)
    assert problem is not None and expected in problem
    assert SECRET not in problem


def test_mask_url_hides_password():
    """mask_url is Apprise's privacy form: the password is replaced."""
    masked = mask_url(f"json://bob:{SECRET}@127.0.0.1:9/hook")
    assert SECRET not in masked and masked.startswith("json://bob:")
    assert mask_url(f"nosuchservice://x:{SECRET}@h") == "nosuchservice://***"


def test_build_targets_names_and_resolution():
    """Each named URL becomes one Target keyed by its name; the URL itself stays out of reprs."""
    targets = build_targets({"hook": f"json://bob:{SECRET}@127.0.0.1:9/hook", "screen": "console://"})
    assert targets.names() == ("hook", "screen")
    (hook,) = targets.resolve("hook")
    assert hook.key == "hook" and hook.url.startswith("json://bob:" + SECRET)
    assert SECRET not in repr(hook) and SECRET not in str(hook) and SECRET not in repr(targets)
    assert SECRET not in hook.masked
    assert targets.get("hook") == hook and targets.get("missing") is None
    assert "hook" in targets and "missing" not in targets and len(targets) == 2


def test_build_targets_accepts_rule_file_specs():
    """Values may be objects with a url attribute, such as the rule file's TargetSpec."""

    @dataclass(frozen=True)
    class Spec:
        name: str
        url: str

    targets = build_targets({"screen": Spec("screen", "console://")})
    assert [t.masked for t in targets] == ["console://"]


def test_build_targets_reports_every_bad_url_by_name_masked():
    """A load error names each unusable target and shows its URL masked, never the secret."""
    with pytest.raises(DeliveryError) as caught:
        build_targets(
            {
                "good": "console://",
                "typo": f"jsno://bob:{SECRET}@127.0.0.1/hook",
                "bare": "json://",
            }
        )
    message = str(caught.value)
    assert "'typo'" in message and "'bare'" in message and "'good'" not in message
    assert "jsno://***" in message
    assert SECRET not in message


def test_unknown_name_is_an_error_listing_known_names():
    """Resolving a name nobody defined says which names exist."""
    targets = build_targets({"hook": "console://"})
    with pytest.raises(DeliveryError, match="known names: hook"):
        targets.resolve("hok")


YAML_CONFIG = """\
urls:
  - json://127.0.0.1:9/first:
      - tag: ops, team
  - ntfy://127.0.0.1:9/alerts:
      - tag: ops
  - json://bob:{secret}@127.0.0.1:9/untagged
"""


def test_targets_from_yaml_tags_resolve_to_each_url(tmp_path):
    """A tag of an Apprise YAML config stands for every URL carrying it, one Target each."""
    config = tmp_path / "apprise.yml"
    config.write_text(YAML_CONFIG.format(secret=SECRET))
    targets = build_targets({"screen": "console://"}, config)
    assert targets.names() == ("screen", "ops", "team")
    ops = targets.resolve("ops")
    assert len(ops) == 2 and all(t.key.startswith("config:") for t in ops)
    assert [t.key for t in targets.resolve("team")] == [ops[0].key]
    assert config_tags(config) == {"ops", "team"}
    assert all(SECRET not in t.masked and SECRET not in repr(t) for t in targets)
    assert targets.targets_from == config


def test_targets_from_keys_are_stable(tmp_path):
    """Loading the same config twice gives the same keys: outbox rows find their target after a restart."""
    config = tmp_path / "apprise.yml"
    config.write_text(YAML_CONFIG.format(secret=SECRET))
    first = [t.key for t in build_targets({}, config)]
    second = [t.key for t in build_targets({}, config)]
    assert first == second and len(set(first)) == 3


def test_targets_from_text_config(tmp_path):
    """An Apprise TEXT config (tag=URL lines) works as well."""
    config = tmp_path / "apprise.txt"
    config.write_text("phone=ntfy://127.0.0.1:9/alerts\nteam,phone=json://127.0.0.1:9/hook\n")
    targets = build_targets({}, config)
    assert len(targets.resolve("phone")) == 2 and len(targets.resolve("team")) == 1


def test_named_target_wins_over_tag(tmp_path):
    """When a target name and a config tag coincide, the rule file's target is meant."""
    config = tmp_path / "apprise.txt"
    config.write_text("ops=json://127.0.0.1:9/hook\n")
    targets = build_targets({"ops": "console://"}, config)
    assert [t.masked for t in targets.resolve("ops")] == ["console://"]


def test_targets_from_missing_or_empty(tmp_path):
    """A missing or URL-less targets_from file is a load error saying what to fix."""
    with pytest.raises(DeliveryError, match="no such file"):
        build_targets({}, tmp_path / "absent.yml")
    empty = tmp_path / "empty.yml"
    empty.write_text("urls: []\n")
    with pytest.raises(DeliveryError, match="no usable URL"):
        build_targets({}, empty)


def test_target_value_repr_leaves_url_out():
    """Target is a frozen value whose repr omits the raw URL."""
    target = Target(key="k", name="k", url=f"json://u:{SECRET}@h/x", masked="json://u:****@h/x")
    assert SECRET not in repr(target)
    with pytest.raises(AttributeError):
        target.name = "other"  # type: ignore[misc]
