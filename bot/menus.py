"""The command menus: which commands each scope lists, and a person's own private menu, which
follows their role in their cells and their language (members do not see the committee's
commands). Channel-free: the Telegram adapter sets them (handlers/telegram/menu.py) and the
outbox carries a person's own menu (bot.services.menus)."""

from __future__ import annotations

from enum import IntEnum

from bot.i18n import N_, Translator


class Level(IntEnum):
    """Who a private menu is for: each level sees the commands of those below it too."""

    MEMBER = 0
    COMMITTEE = 1
    SECRETARY = 2


# (command, description, the lowest level that sees it)
PRIVATE: list[tuple[str, str, Level]] = [
    ("start", N_("Start / join a cell with an invite"), Level.MEMBER),
    ("trogiup", N_("What I can do for you"), Level.MEMBER),
    ("lichhop", N_("Upcoming meetings"), Level.MEMBER),
    ("camket", N_("My commitment: write, submit, view"), Level.MEMBER),
    ("tiendo", N_("Report progress on my commitment"), Level.MEMBER),
    ("duyet", N_("Review commitments (cell committee)"), Level.COMMITTEE),
    ("taohop", N_("Schedule a meeting (cell committee)"), Level.COMMITTEE),
    ("diemdanh", N_("Roll call (cell committee)"), Level.COMMITTEE),
    ("thongbao", N_("Announcements (cell committee)"), Level.COMMITTEE),
    ("dangvien", N_("Roster (cell committee)"), Level.COMMITTEE),
    ("tonghop", N_("The cell's digest now (cell committee)"), Level.COMMITTEE),
    ("baocao", N_("Report for a period (cell committee)"), Level.COMMITTEE),
    ("caidat", N_("Cell settings (secretary)"), Level.SECRETARY),
    ("moi", N_("Invite members (secretary)"), Level.SECRETARY),
    ("ngonngu", N_("Language: Tiếng Việt / English"), Level.MEMBER),
    ("huy", N_("Leave the current form"), Level.MEMBER),
]
GROUP = [
    ("trogiup", N_("What I can do in this group")),
    ("lichhop", N_("The cell's upcoming meetings")),
    ("camket", N_("How many have registered their commitments")),
    ("tonghop", N_("Post the cell's digest (cell committee)")),
    ("ngonngu", N_("Language: Tiếng Việt / English")),
]
GROUP_ADMINS = [
    ("thietlap", N_("Link this group to its cell (with a setup code)")),
    *GROUP,
]


def private_entries(level: Level) -> list[tuple[str, str]]:
    """Returns the private menu's (command, untranslated description) for `level`."""
    return [(name, description) for name, description, lowest in PRIVATE if lowest <= level]


def private_menu(t: Translator, level: Level) -> list[tuple[str, str]]:
    """Returns the private menu of `level` in `t`'s language: (command, description)."""
    return [(name, t.gettext(description)) for name, description in private_entries(level)]
