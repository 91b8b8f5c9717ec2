"""Where features register what their commands, choices, files and typed words do."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.actions.core import Action, Reply, Turn
from bot.services.documents import IncomingFile
from bot.ui import CHOICE_LIMIT, split_choice

Converter = Callable[[str], Any]
ChoiceAction = Callable[..., Reply]
FileAction = Callable[[Turn, IncomingFile], Reply]
# Tried on typed text when no form is open and no listed option matched; None = not mine.
TextHook = Callable[[Turn, str], Reply | None]
# Tried on a file sent in a private chat before the file action (a form asking for a file);
# None = not mine.
FileHook = Callable[[Turn, IncomingFile], Reply | None]


def one_of(*allowed: str) -> Converter:
    """Returns a converter that accepts only the given words (e.g. the verdicts of a button)."""

    def convert(raw: str) -> str:
        if raw not in allowed:
            raise ValueError(raw)
        return raw

    return convert


_INTEGER = re.compile(r"-?[0-9]{1,18}")


def integer(raw: str) -> int:
    """Accepts a whole number a database column holds: ASCII digits only (int() would also
    take "١٢", " 7" or "1_0"), at most 18 of them (a 64-bit id)."""
    if not _INTEGER.fullmatch(raw):
        raise ValueError(raw)
    return int(raw)


def word(raw: str) -> str:
    """Accepts any non-empty argument as it is (flow nonces, option values)."""
    if not raw:
        raise ValueError(raw)
    return raw


@dataclass(frozen=True)
class Command:
    """A command with its names (Vietnamese first, then the English alias)."""

    names: tuple[str, ...]
    action: Action
    # For the cell committee: in a group, a plain member is told so there and someone outside
    # the cell how to join, instead of being sent to a private chat to be refused there.
    committee: bool = False


@dataclass(frozen=True)
class _Choice:
    action: ChoiceAction
    converters: tuple[Converter, ...]


@dataclass
class ActionRegistry:
    """Every command, choice, file and text hook of the features, by name."""

    commands: dict[str, Command] = field(default_factory=dict)
    ordered_commands: list[Command] = field(default_factory=list)
    choices: dict[str, _Choice] = field(default_factory=dict)
    file_action: FileAction | None = None
    text_hooks: list[TextHook] = field(default_factory=list)
    file_hooks: list[FileHook] = field(default_factory=list)
    # The hooks also tried on a channel that otherwise takes no files (a photo sent on Zalo).
    anywhere_file_hooks: list[FileHook] = field(default_factory=list)
    # The command that shows again what a choice's button was about ("Send /lichhop"), by
    # choice name: given with `again`, else the first command of the choice's module.
    again_commands: dict[str, str] = field(default_factory=dict)
    _module_commands: dict[str, str] = field(default_factory=dict)
    _choice_modules: dict[str, str] = field(default_factory=dict)

    def command(self, names: Sequence[str], action: Action, *, committee: bool = False) -> None:
        """Registers a command under each of its names (`committee`: the committee's alone)."""
        entry = Command(tuple(names), action, committee)
        for name in names:
            if name in self.commands:
                raise ValueError(f"command /{name} registered twice")
            self.commands[name] = entry
        self.ordered_commands.append(entry)
        self._module_commands.setdefault(getattr(action, "__module__", ""), names[0])

    def choice(self, name: str, action: ChoiceAction, *converters: Converter) -> None:
        """Registers what a choice does; `converters` type its arguments, in order (`int` is
        read as `integer`, bounded)."""
        if name in self.choices:
            raise ValueError(f"choice {name!r} registered twice")
        typed = tuple(integer if convert is int else convert for convert in converters)
        self.choices[name] = _Choice(action, typed)
        self._choice_modules[name] = getattr(action, "__module__", "")

    def again(self, command: str, *choice_names: str) -> None:
        """Names the command that shows again what these choices' buttons are about, when it
        is not the first command of their module (e.g. an RSVP button → /lichhop)."""
        for name in choice_names:
            self.again_commands[name] = command

    def canonical(self, name: str) -> str | None:
        """Returns a command's first (Vietnamese) name from any of its names; None: unknown."""
        entry = self.commands.get(name)
        return entry.names[0] if entry is not None else None

    def command_for_choice(self, data: str) -> str | None:
        """Returns the command to send to start again from a button's choice data (None: a
        choice of no feature with a command, or unknown)."""
        name = split_choice(data)[0] if data else ""
        explicit = self.again_commands.get(name)
        if explicit is not None:
            return explicit
        module = self._choice_modules.get(name)
        return self._module_commands.get(module) if module is not None else None

    def file(self, action: FileAction) -> None:
        """Registers what a file sent in a private chat does."""
        self.file_action = action

    def file_hook(self, hook: FileHook, *, anywhere: bool = False) -> None:
        """Registers a taker of files tried before the file action; `anywhere`: also on a
        channel whose forms otherwise ask for links, not files (Zalo's photos)."""
        self.file_hooks.append(hook)
        if anywhere:
            self.anywhere_file_hooks.append(hook)

    def text_hook(self, hook: TextHook) -> None:
        """Registers a reading of free text tried when nothing else claims it."""
        self.text_hooks.append(hook)

    def resolve_choice(self, data: str) -> Action | None:
        """Returns the bound action of encoded choice data; None if unknown or malformed
        (forged: longer than a button carries, empty, unknown name, wrong arguments)."""
        if not data or len(data.encode()) > CHOICE_LIMIT:
            return None
        name, raw = split_choice(data)
        entry = self.choices.get(name)
        if entry is None or len(raw) != len(entry.converters):
            return None
        try:
            values = [convert(arg) for convert, arg in zip(entry.converters, raw, strict=True)]
        except ValueError:
            return None
        return lambda turn: entry.action(turn, *values)
