"""Cooldowns count what they hold back, and the next alert of the (rule, key) says so."""

from __future__ import annotations

from datetime import datetime, timezone

from notifier.rules import EngineState
from notifier.rules.templates import held_back_note

from .helpers import CONV, TOPIC, TWEET, dm, engagement, engine

# 2025-06-03 14:00:00 UTC
T0 = datetime(2025, 6, 3, 14, 0, tzinfo=timezone.utc).timestamp()

MILESTONES = f"""
- name: Likes
  tweets: ["{TWEET}"]
  every: {{likes: 100}}
  cooldown: 10m
"""


def run(e, steps, topic=TOPIC):
    alerts = []
    for now, payload in steps:
        alerts += e.process(topic, payload, now)
    return alerts


def test_note_names_count_and_utc_time() -> None:
    """The note reads '+3 more since 14:02 UTC' on the same day."""
    assert held_back_note(3, T0 + 120, T0 + 600) == "+3 more since 14:02 UTC"


def test_note_adds_the_date_across_midnight() -> None:
    """When the first held-back match was on an earlier UTC day, the date is shown."""
    assert held_back_note(1, T0, T0 + 86400) == "+1 more since 2025-06-03 14:00 UTC"


def test_note_without_a_start_time() -> None:
    """A count saved without its start time still reads sensibly, with a thousands separator."""
    assert held_back_note(1200, None, T0) == "+1,200 more"


def test_next_milestone_message_counts_held_back_ones(tmp_path) -> None:
    """Milestones reached in the cooldown are counted into the next message's last line."""
    e = engine(tmp_path, MILESTONES)
    alerts = run(e, [
        (T0, engagement(likes=50)),
        (T0 + 60, engagement(likes=100)),      # fires, cooldown until 14:11
        (T0 + 120, engagement(likes=200)),     # held back at 14:02
        (T0 + 180, engagement(likes=300)),     # held back
        (T0 + 240, engagement(likes=400)),     # held back
        (T0 + 900, engagement(likes=500)),     # fires, says +3
        (T0 + 1600, engagement(likes=600)),    # fires, nothing held back since
    ])
    assert [a.title for a in alerts] == [
        "Tweet passed 100 likes", "Tweet passed 500 likes", "Tweet passed 600 likes",
    ]
    assert "more since" not in alerts[0].message
    assert alerts[1].message.splitlines()[-1] == "+3 more since 14:02 UTC"
    assert "more since" not in alerts[2].message


def test_user_message_template_gets_the_note_too(tmp_path) -> None:
    """A rule's own message template is followed by the note; the title is left alone."""
    e = engine(tmp_path, MILESTONES + '  title: "{likes} likes"\n  message: "see {url}"\n')
    alerts = run(e, [
        (T0, engagement(likes=50)),
        (T0 + 60, engagement(likes=100)),
        (T0 + 120, engagement(likes=200)),
        (T0 + 700, engagement(likes=300)),
    ])
    assert alerts[1].title == "300 likes"
    assert alerts[1].message == f"see https://x.com/i/status/{TWEET}\n+1 more since 14:02 UTC"


def test_dm_cooldown_counts_messages(tmp_path) -> None:
    """DM messages inside the cooldown are counted per conversation and named by the next alert."""
    e = engine(tmp_path, f"""
        - name: DM
          dms: ["{CONV}"]
          on: message
          cooldown: 5m
    """)
    topic = f"/dm_update/{CONV}"
    alerts = run(e, [(T0, dm()), (T0 + 10, dm()), (T0 + 20, dm()), (T0 + 400, dm())], topic=topic)
    assert len(alerts) == 2
    assert alerts[1].message.endswith("\n+2 more since 14:00 UTC")


def test_count_survives_a_restart(tmp_path) -> None:
    """The count lives in the saved state: a restart between hold-back and firing keeps it."""
    first = engine(tmp_path, MILESTONES)
    run(first, [(T0, engagement(likes=50)), (T0 + 60, engagement(likes=100)), (T0 + 120, engagement(likes=200))])
    saved = first.state.entries()
    second = engine(tmp_path, MILESTONES, state=EngineState.from_entries(saved))
    alerts = run(second, [(T0 + 700, engagement(likes=300))])
    assert alerts[0].message.endswith("+1 more since 14:02 UTC")
