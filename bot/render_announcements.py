"""Announcements as members and the committee see them: the message, the group post, the
reminder, the preview, the committee's view with live figures, and the delivery ledger."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.channels import ChannelProfile
from bot.i18n import N_, Translator
from bot.models import (
    Announcement,
    AnnouncementKind,
    AnnouncementStatus,
    AudienceKind,
    Organisation,
)
from bot.render import ERROR_MESSAGES
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

if TYPE_CHECKING:
    from bot.services.announcement_ledger import Entry, Ledger

AUDIENCE_LABELS = {
    AudienceKind.CELL: N_("the whole cell"),
    AudienceKind.COMMITTEE: N_("the cell committee"),
    AudienceKind.CHOSEN: N_("chosen comrades"),
}
REASON_LABELS = {
    "blocked": N_("blocked the bot"),
    "never_started": N_("never started the bot"),
    "not_joined": N_("has not joined the bot"),
    "quota": N_("over the channel's message quota"),
    "failed": N_("sending failed"),
}
ANNOUNCEMENT_ERRORS = {
    "announcement_empty": N_("The announcement is empty. Please type its text."),
    "announcement_too_long": N_("The announcement is too long: at most {limit} characters."),
    "link_too_long": N_("That link is too long: at most {limit} characters."),
    "announcement_past": N_(
        "That time has already passed. Please give a later time, or choose “Send now”."
    ),
    "audience_empty": N_("Nobody is in this audience. Please choose another one."),
    "audience_not_joined": N_(
        "Nobody in this audience has joined the bot yet, so nobody could receive it. Send "
        "them their invites (/moi) or choose another audience."
    ),
    "audience_unreachable": N_(
        "Nobody in this audience can be reached: each of them has blocked the bot or never "
        "started it. Please choose another audience."
    ),
    "announcement_not_found": N_("That announcement no longer exists."),
    "announcement_cancelled": N_("This announcement was cancelled."),
    "announcement_already_sent": N_(
        "This announcement has already gone out; it can no longer be changed."
    ),
    "announcement_changed": N_(
        "The announcement was changed meanwhile. Please open it again from /thongbao."
    ),
    "not_your_announcement": N_("This announcement was not sent to you."),
    "told_already": N_("It is already recorded that this comrade was told in person."),
    "told_only_unreachable": N_(
        "Only a comrade the bot could not reach can be marked as told in person."
    ),
}
# The feature's refusals, explained by error_text like every other.
ERROR_MESSAGES.update(ANNOUNCEMENT_ERRORS)
EXCERPT = 120
LIST_EXCERPT = 32


def ack_label(t: Translator) -> str:
    """Returns the label of the acknowledgement button."""
    return t.gettext("✅ Got it")


def audience_label(t: Translator, kind: AudienceKind) -> str:
    """Returns who an announcement is for, in words."""
    return t.gettext(AUDIENCE_LABELS[kind])


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """Returns the start of a text on one line, cut with "…" (not escaped)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _body(t: Translator, announcement: Announcement, org: Organisation) -> list[str]:
    lines = [
        t.gettext("📢 <b>Announcement from {cell}</b>", cell=escape(org.name)),
        "",
        escape(announcement.text),
    ]
    if announcement.link:
        lines += ["", f"🔗 {escape(announcement.link)}"]
    if announcement.file_name:
        lines += ["", t.gettext("📎 Attached: {name}", name=escape(announcement.file_name))]
    return lines


def ack_keyboard(t: Translator, announcement: Announcement) -> Keyboard:
    """Returns the acknowledgement button of an announcement (none if not asked for)."""
    if not announcement.ack_required:
        return []
    return [[Button(ack_label(t), data=choice("aa", announcement.id or 0))]]


def member_message(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the announcement as each member gets it privately."""
    if announcement.kind == AnnouncementKind.STUDY:
        from bot.render_study import study_message

        return study_message(t, announcement, org)
    lines = _body(t, announcement, org)
    if announcement.ack_required:
        lines += [
            "",
            t.gettext("Comrade, please read it and confirm with “{ack}”.", ack=ack_label(t)),
        ]
    return Screen("\n".join(lines), ack_keyboard(t, announcement))


def group_message(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the announcement as posted in the cell's group (no button: each comrade
    confirms privately)."""
    if announcement.kind == AnnouncementKind.STUDY:
        from bot.render_study import study_group_message

        return study_group_message(t, announcement, org)
    lines = _body(t, announcement, org)
    if announcement.ack_required:
        lines += [
            "",
            t.gettext(
                "Each comrade confirms with “{ack}” in the private message from me.",
                ack=ack_label(t),
            ),
        ]
    return Screen("\n".join(lines))


def file_caption(t: Translator, announcement: Announcement) -> str:
    """Returns the caption of an announcement's file."""
    return t.gettext(
        "📎 The file of the announcement of {when}.",
        when=t.datetime_text(announcement.sent_at or announcement.created_at),
    )


def nudge_message(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the reminder to a member who has not acknowledged."""
    if announcement.kind == AnnouncementKind.STUDY:
        from bot.render_study import study_nudge

        return study_nudge(t, announcement, org)
    text = t.gettext(
        "🔔 Reminder: comrade, please read the announcement from {cell} of {when} and "
        "confirm with “{ack}”.",
        cell=escape(org.name),
        when=t.datetime_text(announcement.sent_at or announcement.created_at),
        ack=ack_label(t),
    )
    return Screen(
        f"{text}\n\n<i>{escape(excerpt(announcement.text, 300))}</i>",
        ack_keyboard(t, announcement),
    )


# --- the committee -------------------------------------------------------------------------------


def preview_text(
    t: Translator,
    announcement: Announcement,
    org: Organisation,
    channel: ChannelProfile,
    *,
    audience: int,
    unreachable: int,
) -> str:
    """Returns the form's last question: the message exactly as members will see it, then
    what will happen."""
    message = member_message(t, announcement, org)
    shown = message.text
    for row in message.keyboard:
        for index, button in enumerate(row, start=1):
            # Bracketed, so that it is not taken for one of this question's own choices.
            if channel.buttons:
                shown += f"\n[ {button.text} ]"
            else:
                shown += f"\n\n[ {index}. {button.text} ]"
    lines = [t.gettext("👀 <b>Preview</b> — each comrade will get:"), "", shown, "", "———"]
    lines.append(
        t.gettext(
            "👥 To: {audience} ({n} comrades)",
            audience=audience_label(t, announcement.audience),
            n=t.number(audience),
        )
    )
    if unreachable:
        lines.append(
            t.gettext(
                "⚠️ {n} of them cannot be reached through the bot; the ledger will list them.",
                n=t.number(unreachable),
            )
        )
    if announcement.due_at is None:
        lines.append(t.gettext("🕐 Sent: now"))
    else:
        lines.append(t.gettext("🕐 Sent at: {when}", when=t.when_text(announcement.due_at)))
    if announcement.post_to_group:
        lines.append(t.gettext("📣 Also posted in the cell's group."))
    if announcement.due_at is None:
        lines += ["", t.gettext("Send it now?")]
    else:
        lines += ["", t.gettext("Schedule it?")]
    return "\n".join(lines)


def status_line(t: Translator, announcement: Announcement) -> str:
    """Returns where an announcement stands: sent, cancelled or scheduled, and when."""
    if announcement.status == AnnouncementStatus.SENT and announcement.sent_at:
        return t.gettext("📤 Sent at {when}", when=t.datetime_text(announcement.sent_at))
    if announcement.status == AnnouncementStatus.CANCELLED:
        return t.gettext("🚫 Cancelled; it was not sent.")
    if announcement.due_at is not None:
        return t.gettext("⏰ Scheduled for {when}", when=t.when_text(announcement.due_at))
    return ""


def _names(entries: list[Entry]) -> str:
    return ", ".join(escape(e.name) for e in entries)


def announcement_text(
    t: Translator, announcement: Announcement, org: Organisation, ledger: Ledger
) -> str:
    """Returns what the committee sees of one announcement: status, live figures, and the
    names of those who have not acknowledged yet."""
    lines = [
        t.gettext("📢 <b>Announcement</b> — {cell}", cell=escape(org.name)),
        f"<i>{escape(excerpt(announcement.text))}</i>",
        status_line(t, announcement),
        t.gettext(
            "👥 To: {audience} ({n} comrades)",
            audience=audience_label(t, announcement.audience),
            n=t.number(ledger.audience),
        ),
    ]
    if announcement.status == AnnouncementStatus.SENT:
        lines.append(
            t.gettext(
                "📊 Delivered: {delivered}/{audience} · got it: {acked} · not yet: {waiting} · "
                "unreachable: {unreachable}",
                delivered=t.number(ledger.delivered),
                audience=t.number(ledger.audience),
                acked=t.number(ledger.acked),
                waiting=t.number(len(ledger.waiting)),
                unreachable=t.number(ledger.unreachable),
            )
            if announcement.ack_required
            else t.gettext(
                "📊 Delivered: {delivered}/{audience} · unreachable: {unreachable} "
                "(no confirmation asked)",
                delivered=t.number(ledger.delivered),
                audience=t.number(ledger.audience),
                unreachable=t.number(ledger.unreachable),
            )
        )
        if announcement.ack_required and ledger.waiting:
            lines.append(t.gettext("Not yet confirmed: {names}", names=_names(ledger.waiting)))
        elif announcement.ack_required and ledger.acked == ledger.audience:
            lines.append(t.gettext("Every comrade has confirmed."))
        if announcement.nudge_due_at is not None:
            lines.append(
                t.gettext(
                    "🔔 A reminder is queued for {when}.",
                    when=t.datetime_text(announcement.nudge_due_at),
                )
            )
        elif announcement.last_nudged_at is not None:
            lines.append(
                t.gettext(
                    "🔔 Last reminder: {when}.", when=t.datetime_text(announcement.last_nudged_at)
                )
            )
    return "\n".join(line for line in lines if line)


def announcement_keyboard(t: Translator, announcement: Announcement, ledger: Ledger) -> Keyboard:
    """Returns the committee's buttons for one announcement."""
    aid = announcement.id or 0
    keyboard: Keyboard = []
    if announcement.status == AnnouncementStatus.SENT:
        if announcement.ack_required and ledger.waiting:
            remind = t.gettext("🔔 Remind those who have not confirmed")
            keyboard.append([Button(remind, data=choice("ag", aid))])
        keyboard.append([Button(t.gettext("📋 Delivery ledger"), data=choice("al", aid))])
    elif announcement.status == AnnouncementStatus.SCHEDULED:
        keyboard.append([Button(t.gettext("✏️ Edit"), data=choice("ae", aid))])
        keyboard.append([Button(t.gettext("🗑 Cancel the announcement"), data=choice("ax", aid))])
    keyboard.append([Button(t.gettext("⬅️ Announcements"), data=choice("ab"))])
    return keyboard


def _entry_line(t: Translator, entry: Entry) -> str:
    line = f"• {escape(entry.name)}"
    if entry.reason is not None:
        line += " — " + t.gettext(REASON_LABELS[entry.reason])
    if entry.acked_at is not None:
        line += " — " + t.gettext("got it {when}", when=t.datetime_text(entry.acked_at))
    if entry.told_at is not None:
        line += " — " + t.gettext("🗣 told in person {when}", when=t.datetime_text(entry.told_at))
    return line


def ledger_text(t: Translator, announcement: Announcement, ledger: Ledger) -> str:
    """Returns the delivery ledger: each member delivered, pending or unreachable (listed
    apart), with their acknowledgement; the figures add up to the audience."""
    from bot.services.announcement_ledger import Delivery

    lines = [
        t.gettext("📋 <b>Delivery ledger</b> — {status}", status=status_line(t, announcement)),
        t.gettext(
            "{audience} comrades = {delivered} delivered + {unreachable} unreachable + "
            "{pending} pending",
            audience=t.number(ledger.audience),
            delivered=t.number(ledger.delivered),
            unreachable=t.number(ledger.unreachable),
            pending=t.number(ledger.pending),
        ),
    ]
    groups = [
        (Delivery.DELIVERED, t.gettext("✅ Delivered:")),
        (Delivery.PENDING, t.gettext("⏳ Pending:")),
        (Delivery.UNREACHABLE, t.gettext("⚠️ Unreachable:")),
    ]
    for delivery, title in groups:
        found = [e for e in ledger.entries if e.delivery == delivery]
        if found:
            lines += ["", title, *(_entry_line(t, e) for e in found)]
    return "\n".join(lines)


def ledger_keyboard(
    t: Translator, announcement: Announcement, ledger: Ledger, *, secretary: bool
) -> Keyboard:
    """Returns the ledger's buttons: "told in person" per unreachable member (secretary)."""
    aid = announcement.id or 0
    keyboard: Keyboard = []
    if secretary and announcement.status == AnnouncementStatus.SENT:
        for entry in ledger.unreached:
            if entry.told_at is None:
                label = t.gettext("🗣 Told in person: {name}", name=entry.name)
                keyboard.append([Button(label[:60], data=choice("at", aid, entry.member_id))])
    keyboard.append([Button(t.gettext("⬅️ Back"), data=choice("av", aid))])
    return keyboard


def list_screen(t: Translator, found: list[tuple[Announcement, Organisation]]) -> Screen:
    """Returns /thongbao for the committee: a new announcement, then the recent ones."""
    keyboard: Keyboard = [[Button(t.gettext("➕ New announcement"), data=choice("an"))]]
    icons = {
        AnnouncementStatus.SENT: "📤",
        AnnouncementStatus.SCHEDULED: "⏰",
        AnnouncementStatus.CANCELLED: "🚫",
        AnnouncementStatus.DRAFT: "📝",
    }
    several = len({org.id for _, org in found}) > 1
    for announcement, org in found:
        when = announcement.sent_at or announcement.due_at or announcement.created_at
        head = f"{icons[announcement.status]} {t.date_text(when)}"
        label = f"{head} {excerpt(announcement.text, LIST_EXCERPT)}"
        if several:
            label += f" — {org.name}"
        if announcement.kind == AnnouncementKind.STUDY:
            label = "📖" + label[1:] if label.startswith("📤") else label
        keyboard.append([Button(label[:64], data=choice("av", announcement.id or 0))])
    keyboard.append([Button(t.gettext("📖 New study material"), data=choice("sn"))])
    if found:
        text = t.gettext(
            "📢 <b>Announcements</b>\nThe recent ones are below; choose one to see who has "
            "confirmed."
        )
    else:
        text = t.gettext("📢 <b>Announcements</b>\nThere is no announcement yet.")
    return Screen(text, keyboard)
