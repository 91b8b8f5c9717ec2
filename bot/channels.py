"""Channel profiles: what each messenger can do, so rendering and fan-out never guess."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelProfile:
    """The facts about one channel that the core needs to shape a message."""

    name: str
    label: str
    text_limit: int
    html: bool
    buttons: bool
    edits: bool
    groups: bool
    deep_links: bool
    file_upload: bool


TELEGRAM = ChannelProfile(
    name="telegram",
    label="Telegram",
    text_limit=4096,
    html=True,
    buttons=True,
    edits=True,
    groups=True,
    deep_links=True,
    file_upload=True,
)
# The Zalo Bot API: plain text of at most 2000 characters, no buttons, no edits, no usable groups,
# no uploads (photos by URL only).
ZALO = ChannelProfile(
    name="zalo",
    label="Zalo",
    text_limit=2000,
    html=False,
    buttons=False,
    edits=False,
    groups=False,
    deep_links=False,
    file_upload=False,
)
PROFILES = {profile.name: profile for profile in (TELEGRAM, ZALO)}


def profile_of(name: str) -> ChannelProfile:
    """Returns the profile of a channel by name (an unknown name is a programming error)."""
    return PROFILES[name]
