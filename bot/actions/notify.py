"""Where a person joined on several apps gets their notifications (shown with /ngonngu)."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.registry import ActionRegistry, one_of
from bot.channels import PROFILES
from bot.services import people
from bot.ui import Button, Screen, choice


def notify_screen(turn: Turn) -> Screen | None:
    """Offers the apps this person joined on; None when there is only one."""
    accounts = people.accounts_of(session=turn.session, person_id=turn.person.id or 0)
    channels = sorted({account.channel for account in accounts})
    if len(channels) < 2:
        return None
    current = people.address(session=turn.session, person=turn.person)
    text = turn.t.gettext(
        "Your notifications now go to {channel}. Where should they go?",
        channel=people.channel_label(current.channel if current else channels[0]),
    )
    keyboard = [
        [Button(PROFILES[c].label, data=choice("notify", c)) for c in channels if c in PROFILES]
    ]
    return Screen(text, keyboard)


def notify_chosen(turn: Turn, channel: str) -> Reply:
    """Sends this person's notifications to the chosen app from now on."""
    people.set_notify_channel(session=turn.session, person=turn.person, channel=channel)
    text = turn.t.gettext(
        "Done: your notifications will go to {channel}.", channel=people.channel_label(channel)
    )
    return Reply(edit=Screen(text))


def register(actions: ActionRegistry) -> None:
    """Adds this module's choice."""
    actions.choice("notify", notify_chosen, one_of(*PROFILES))
