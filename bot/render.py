"""Domain objects → localized message text (HTML, user strings escaped) and plain keyboards."""

from __future__ import annotations

from bot.channels import TELEGRAM, ChannelProfile
from bot.i18n import N_, Translator
from bot.models import MemberStatus, Organisation, Reachability, Role
from bot.paging import page_line, page_of, paging_row
from bot.render_errors import ERROR_MESSAGES as ERROR_MESSAGES
from bot.render_errors import error_text as error_text
from bot.render_errors import stale_button as stale_button
from bot.services.people import channel_label
from bot.services.roster_reads import AccountReach, RosterEntry
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

ROLE_LABELS = {
    Role.SECRETARY: N_("Secretary (bí thư)"),
    Role.DEPUTY: N_("Deputy secretary (phó bí thư)"),
    Role.COMMITTEE: N_("Committee member (chi ủy viên)"),
    Role.MEMBER: N_("Party member (đảng viên)"),
}

STATUS_LABELS = {
    MemberStatus.FULL: N_("full member (chính thức)"),
    MemberStatus.PROBATIONARY: N_("probationary (dự bị)"),
    MemberStatus.EXEMPT: N_("exempt from activities (miễn sinh hoạt)"),
    MemberStatus.ATTACHED_ELSEWHERE: N_("attached to another cell (sinh hoạt tạm thời nơi khác)"),
}

REACHABILITY_LABELS = {
    Reachability.OK: N_("reachable"),
    Reachability.BLOCKED: N_("blocked the bot"),
    Reachability.NEVER_STARTED: N_("never started the bot"),
    Reachability.UNKNOWN: N_("not checked yet"),
}

# Not checked yet counts as fine: most members who joined through a link can be written to.
REACHABILITY_ICONS = {
    Reachability.OK: "🟢",
    Reachability.BLOCKED: "🔴",
    Reachability.NEVER_STARTED: "🟠",
}


def role_label(t: Translator, role: Role) -> str:
    """Returns the localized name of a role."""
    return t.gettext(ROLE_LABELS[role])


def status_label(t: Translator, status: MemberStatus) -> str:
    """Returns the localized name of a membership status."""
    return t.gettext(STATUS_LABELS[status])


def welcome_stranger(t: Translator) -> str:
    """Returns the /start reply for a person who is in no cell."""
    return t.gettext(
        "Greetings, comrade! I am chibot, the assistant of Party cells: meeting reminders, "
        "commitments, announcements and reports, right here in the chat.\n\n"
        "To join your cell, open the invite link your cell secretary sends you. "
        "If you are a secretary setting up a new cell, ask the operator of your "
        "Party committee for a setup code."
    )


def welcome_member(t: Translator, cells: list[Organisation]) -> str:
    """Returns the /start reply for someone already in one or more cells."""
    names = ", ".join(f"<b>{escape(org.name)}</b>" for org in cells)
    return t.gettext(
        "Greetings, comrade! You are in {cells}. Send /trogiup to see what I can do for you.",
        cells=names,
    )


def help_text(
    t: Translator,
    *,
    in_group: bool,
    committee: bool,
    secretary: bool,
    channel: ChannelProfile = TELEGRAM,
    linked: bool = False,
) -> str:
    """Returns what the person can do here, for their role and the channel (in a group already
    linked to its cell, /thietlap is not offered)."""
    lines = [t.gettext("<b>What I can do</b>")]
    if in_group:
        if not linked:
            lines.append(t.gettext("/thietlap CODE — link this group to a cell (group admin)"))
        lines.append(t.gettext("/lichhop — the cell's upcoming meetings"))
        lines.append(t.gettext("/camket — how many comrades have registered their commitments"))
        lines.append(t.gettext("/tonghop — post the cell's digest here (cell committee)"))
        lines.append(
            t.gettext(
                "Everything else, comrades, works in a private chat with me: answers, "
                "commitments, documents."
            )
        )
    else:
        if channel.deep_links:
            lines.append(t.gettext("/start — join a cell with the invite link from the secretary"))
        else:
            lines.append(
                t.gettext("/start CODE — join a cell with the join code from the secretary")
            )
        lines.append(t.gettext("/lichhop — upcoming meetings, your answer, documents"))
        lines.append(t.gettext("/camket — your commitment: write it, submit it, see it"))
        lines.append(t.gettext("/tiendo — report progress on your commitment"))
        if committee:
            lines.append(t.gettext("/duyet — review submitted commitments; registration progress"))
            lines.append(t.gettext("/taohop — schedule a meeting"))
            lines.append(t.gettext("/thongbao — send an announcement; see who has confirmed"))
            lines.append(t.gettext("/diemdanh — the roll call of the meeting under way"))
            if channel.file_upload:
                lines.append(t.gettext("Send me a file to attach it to a meeting."))
            lines.append(t.gettext("/dangvien — the roster with status and reachability"))
            lines.append(t.gettext("/tonghop — the cell's digest now, with what needs attention"))
            lines.append(t.gettext("/baocao — a report for a month, quarter, six months or year"))
        if secretary:
            lines.append(t.gettext("/moi — add people to the roster and create invite links"))
            lines.append(
                t.gettext("/caidat — time zone, reminders, weekly digest, language of the cell")
            )
    lines.append(t.gettext("/ngonngu — Tiếng Việt / English"))
    lines.append(t.gettext("/huy — leave the current form"))
    lines.append(t.gettext("/trogiup — this help"))
    return "\n".join(lines)


def group_linked(t: Translator, org: Organisation, secretary_name: str) -> str:
    """Returns the greeting posted in a group once it is linked to its cell."""
    return t.gettext(
        "Greetings, comrades of <b>{cell}</b>! This group is now linked to the cell, and "
        "comrade {name} is its secretary.\n\n"
        "Here I will post meeting notices and reminders, announcements and the cell's "
        "digests. Each comrade joins with a personal invite link from the secretary; "
        "your commitments and answers stay between you, me and the cell committee.",
        cell=escape(org.name),
        name=escape(secretary_name),
    )


def roster_text(
    t: Translator, org: Organisation, entries: list[RosterEntry], page: int = 0
) -> str:
    """Returns one page of the roster: name, role, status, joined or not, reachable or not
    (the totals count the whole roster)."""
    lines = [t.gettext("<b>Roster of {cell}</b>", cell=escape(org.name))]
    joined = sum(1 for e in entries if e.joined)
    lines.append(
        t.gettext(
            "{total} comrades, {joined} joined.",
            total=t.number(len(entries)),
            joined=t.number(joined),
        )
    )
    shown = page_of(entries, page)
    for number, entry in enumerate(shown.items, start=shown.start + 1):
        member = entry.member
        if not entry.joined:
            reach = t.gettext("not joined yet")
            icon = "⚪"
        elif not entry.accounts:
            reach = t.gettext(REACHABILITY_LABELS[entry.reachability])
            icon = REACHABILITY_ICONS.get(entry.reachability, "🟢")
        else:
            reach = ", ".join(_account_reach(t, account) for account in entry.accounts)
            icon = REACHABILITY_ICONS.get(entry.reachability, "🟢")
        lines.append(
            f"{icon} {number}. <b>{escape(member.full_name)}</b> — "
            f"{role_label(t, member.role)}; {status_label(t, member.status)}; {reach}"
        )
    if shown.several:
        lines.append(page_line(t, shown))
    return "\n".join(lines)


def _account_reach(t: Translator, account: AccountReach) -> str:
    """Returns "🟢 Telegram", or "🔴 Zalo (blocked the bot)" when it is not plainly reachable."""
    name = channel_label(account.channel)
    icon = REACHABILITY_ICONS.get(account.reachability, "🟢")
    if account.reachability == Reachability.OK:
        return f"{icon} {name}"
    return f"{icon} {name} ({t.gettext(REACHABILITY_LABELS[account.reachability])})"


def roster_keyboard(
    t: Translator, org_id: int, entries: list[RosterEntry], page: int, *, editable: bool = True
) -> Keyboard:
    """Returns the page's ◀ ▶ buttons, under one button per member on it when the roster is
    `editable` (secretary, deputy)."""
    shown = page_of(entries, page)
    keyboard: Keyboard = []
    row: list[Button] = []
    for number, entry in enumerate(shown.items if editable else (), start=shown.start + 1):
        label = f"{number}. {entry.member.full_name}"[:60]
        row.append(Button(label, data=choice("mb", org_id, entry.member.id or 0)))
        if len(row) == 2:
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    paging = paging_row(t, shown, lambda n: choice("rp", org_id, n))
    if paging:
        keyboard.append(paging)
    return keyboard


def language_screen(t: Translator) -> Screen:
    """Returns the language picker."""
    return Screen(
        t.gettext("Choose your language:"),
        [
            [
                Button("Tiếng Việt", data=choice("lang", "vi")),
                Button("English", data=choice("lang", "en")),
            ]
        ],
    )


def not_understood(t: Translator, channel: ChannelProfile = TELEGRAM) -> str:
    """Returns the reply to text sent when no form is open."""
    if not channel.buttons:
        return t.gettext(
            "I did not understand that, comrade. Send /trogiup to see the commands, "
            "or type the number of an option in my last message."
        )
    return t.gettext(
        "I did not understand that, comrade. Send /trogiup to see the commands, "
        "or tap a button in my last message."
    )
