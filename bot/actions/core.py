"""What an action sees and returns: the core's dependencies, an incoming event, a turn, a reply."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlmodel import Session

from bot.channels import ChannelProfile
from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.flood import FloodGuard
from bot.flows.engine import FlowEngine, FlowKey
from bot.i18n import Translator
from bot.models import Account, Organisation, Person
from bot.services.documents import IncomingFile
from bot.ui import FileOut, Screen


def _no_wake() -> None:
    """Default wake-up: nothing to wake (a process that runs no dispatcher)."""


@dataclass
class Core:
    """The dependencies of every action, built once by the runtime."""

    settings: Settings
    db: Database
    clock: Clock
    flows: FlowEngine
    # Called after a turn queued messages, so the outbox dispatcher looks at once.
    wake: Callable[[], None] = _no_wake
    # The Telegram bot's username, for t.me deep links (empty without Telegram).
    bot_username: str = ""
    # Each person's commands in the last minute, in this process (see bot.flood).
    flood: FloodGuard = field(init=False)

    def __post_init__(self) -> None:
        self.flood = FloodGuard(self.settings.flood_commands_per_minute)


class IncomingKind(StrEnum):
    """What a person did."""

    COMMAND = "command"
    TEXT = "text"
    CHOICE = "choice"
    FILE = "file"
    OTHER = "other"  # a sticker, an image where text is expected, …


@dataclass(frozen=True)
class Incoming:
    """One update from any channel, reduced to what the core acts on."""

    channel: str
    update_id: str
    kind: IncomingKind
    chat_id: str
    user_id: str
    display_name: str
    in_group: bool = False
    username: str | None = None
    language_code: str | None = None
    command: str = ""
    args: tuple[str, ...] = ()
    text: str = ""
    choice: str = ""
    # The message a tapped button belongs to (Telegram edits it in place).
    message_id: str | None = None
    file: IncomingFile | None = None
    chat_title: str = ""
    # Whether the sender administers the group (checked by the adapter, only for /thietlap).
    is_group_admin: bool = False


@dataclass
class Turn:
    """Everything an action needs about the current update, inside its transaction."""

    session: Session
    core: Core
    person: Person
    account: Account
    t: Translator
    now: datetime
    channel: ChannelProfile
    chat_id: str
    in_group: bool
    key: FlowKey
    group_org: Organisation | None
    incoming: Incoming

    @property
    def args(self) -> list[str]:
        """Returns the words after the command."""
        return list(self.incoming.args)

    @property
    def private_key(self) -> FlowKey:
        """Returns the flow key of this person's private chat on this channel."""
        user = self.incoming.user_id
        return FlowKey(self.channel.name, user, user)


@dataclass
class Reply:
    """What to send back: new messages in this chat, an edit of the tapped message, a toast."""

    screens: list[Screen] = field(default_factory=list)
    edit: Screen | None = None
    private: list[Screen] = field(default_factory=list)
    files: list[FileOut] = field(default_factory=list)
    toast: str | None = None
    alert: bool = False


Action = Callable[[Turn], Reply]
