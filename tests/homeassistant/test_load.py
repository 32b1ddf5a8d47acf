"""The rule file's home_assistant block: loaded with its defaults, every mistake located, the password never shown."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from notifier.commands.check import summary
from notifier.exceptions import RuleFileError
from notifier.rulefile import load_rules

HEAD = """\
version: 1
targets:
  phone: json://127.0.0.1:9/
{block}rules:
  - name: A
    tweets: ["1"]
    when: likes > 1
    notify: [phone]
"""
PASSWORD = "s3cr3t-Pa55word"


def write(tmp_path, block: str):
    path = tmp_path / "rules.yaml"
    path.write_text(HEAD.format(block=textwrap.dedent(block)), encoding="utf-8")
    return path


def problems(tmp_path, block: str, env=None) -> list[str]:
    path = write(tmp_path, block)
    with pytest.raises(RuleFileError) as caught:
        load_rules(path, env=env or {})
    return [p[len(f"{path}:"):] for p in caught.value.problems]


def test_block_loads_with_env_expansion_and_defaults(tmp_path):
    """User and password come from the environment; port, prefix and sensors take their defaults."""
    path = write(tmp_path, """\
        home_assistant:
          mqtt: mqtt://${MQTT_USER}:${MQTT_PASSWORD}@homeassistant.local
        """)
    spec = load_rules(path, env={"MQTT_USER": "ha", "MQTT_PASSWORD": PASSWORD}).home_assistant
    assert spec is not None
    assert (spec.host, spec.port, spec.tls, spec.username, spec.password) == (
        "homeassistant.local", 1883, False, "ha", PASSWORD)
    assert spec.discovery_prefix == "homeassistant"
    assert spec.sensors == ("likes", "retweets", "replies", "views")
    assert PASSWORD not in repr(spec)
    assert spec.shown == "mqtt://ha:***@homeassistant.local:1883"


def test_mqtts_port_prefix_and_sensor_subset(tmp_path):
    """mqtts:// defaults to 8883; reposts is read as retweets; the sensors keep their usual order."""
    path = write(tmp_path, """\
        home_assistant:
          mqtt: mqtts://broker.lan
          discovery_prefix: ha
          sensors: [views, reposts, likes]
        """)
    spec = load_rules(path, env={}).home_assistant
    assert (spec.port, spec.tls, spec.username) == (8883, True, None)
    assert spec.discovery_prefix == "ha"
    assert spec.sensors == ("likes", "retweets", "views")


def test_without_the_block_there_is_no_home_assistant(tmp_path):
    """No home_assistant block: nothing is published anywhere."""
    assert load_rules(write(tmp_path, ""), env={}).home_assistant is None


def test_mistakes_are_located_with_a_fix_and_no_password(tmp_path):
    """A wrong scheme and an unknown sensor are reported at file:line:col; the password is never echoed."""
    found = problems(tmp_path, f"""\
        home_assistant:
          mqtt: http://ha:{PASSWORD}@homeassistant.local:1883
          sensors: [likes, followers]
        """)
    assert found == [
        ("5:9: home_assistant.mqtt must start with mqtt:// or mqtts://, not 'http://' — write mqtt: "
         "mqtt://user:password@homeassistant.local:1883 (or mqtts:// for TLS, port 8883 by default)"),
        "6:20: unknown sensor 'followers' in home_assistant.sensors — use some of: likes, retweets, replies, views",
    ]
    assert not any(PASSWORD in problem for problem in found)


def test_bad_port_missing_host_and_unknown_key(tmp_path):
    """A port that is no number, a URL without host and a misspelt key each get their own line."""
    assert problems(tmp_path, f"""\
        home_assistant:
          mqtt: mqtt://ha:{PASSWORD}@homeassistant.local:port
          discovery_prefx: ha
        """) == [
        ("5:9: home_assistant.mqtt has a port that is not a number from 1 to 65535 — write mqtt: "
         "mqtt://user:password@homeassistant.local:1883 (or mqtts:// for TLS, port 8883 by default)"),
        "6:3: unknown key 'discovery_prefx' in home_assistant — did you mean 'discovery_prefix'?",
    ]
    assert problems(tmp_path, "home_assistant:\n  mqtt: mqtt://\n") == [
        ("5:9: home_assistant.mqtt names no broker host — write mqtt: "
         "mqtt://user:password@homeassistant.local:1883 (or mqtts:// for TLS, port 8883 by default)"),
    ]


def test_check_shows_the_block_with_the_password_masked(tmp_path):
    """`notifier check` prints the broker with *** for the password, and exits 2 on a bad block, masked too."""
    path = write(tmp_path, "home_assistant:\n  mqtt: mqtt://ha:${MQTT_PASSWORD}@broker.lan:1884\n  sensors: likes\n")
    text = summary(load_rules(path, env={"MQTT_PASSWORD": PASSWORD}), str(path))
    assert "Home Assistant\n  MQTT mqtt://ha:***@broker.lan:1884 · discovery prefix homeassistant · sensors likes" in text
    assert PASSWORD not in text

    bad = write(tmp_path, "home_assistant:\n  mqtt: mqtt://ha:${MQTT_PASSWORD}@broker.lan:99999\n")
    done = subprocess.run(
        [sys.executable, "-m", "notifier", "check", str(bad)], capture_output=True, text=True,
        env={"MQTT_PASSWORD": PASSWORD, "PATH": "/usr/bin:/bin"}, timeout=60, check=False,
    )
    assert done.returncode == 2
    assert f"{bad}:5:9: home_assistant.mqtt has a port that is not a number" in done.stderr
    assert PASSWORD not in done.stderr + done.stdout


def test_max_posts_is_read_shown_and_its_cap_said_by_check(tmp_path):
    """max_posts caps the posts with sensors; check shows it, and warns when the rules watch more."""
    path = write(tmp_path, "home_assistant:\n  mqtt: mqtt://broker.lan\n  max_posts: 1\n")
    path.write_text(path.read_text().replace('tweets: ["1"]', 'tweets: ["1", "2", "3"]'))
    ruleset = load_rules(path, env={})
    assert ruleset.home_assistant.max_posts == 1
    text = summary(ruleset, str(path))
    assert "· at most 1 post\n" in text
    assert ("warning: the rules watch 3 posts but Home Assistant gets sensors for the newest 1 only "
            "(home_assistant.max_posts: 1)") in text
    default = load_rules(write(tmp_path, "home_assistant:\n  mqtt: mqtt://broker.lan\n"), env={})
    assert default.home_assistant.max_posts == 100
    assert "warning" not in summary(default, str(path))
    bad = "home_assistant:\n  mqtt: mqtt://broker.lan\n  max_posts: lots\n"
    assert problems(tmp_path, bad) == [
        "6:14: home_assistant.max_posts: lots is not a number of posts — write a whole number above zero, "
        "such as max_posts: 100",
    ]
