"""Study campaigns as members and the committee see them: the study material with its deadline
and reflection, the reminder, the submission screens, and the committee's participation view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.i18n import N_, Translator
from bot.models import Announcement, AnnouncementStatus, Organisation, ReflectionKind
from bot.render import ERROR_MESSAGES
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

if TYPE_CHECKING:
    from bot.services.study import Participant, Participation

STUDY_ERRORS = {
    "study_no_deadline": N_("A study campaign needs a deadline. Please type a day."),
    "study_deadline_early": N_(
        "The deadline must come after the material goes out. Please type a later day."
    ),
    "study_min_length": N_(
        "Please type the least length of the reflection as a number of characters, from 1 to "
        "{limit}."
    ),
    "study_no_question": N_("Please type the question comrades should answer."),
    "study_empty": N_("The reflection is empty. Please type it."),
    "study_too_short": N_(
        "The reflection is too short: {length} characters, the committee asks for at least "
        "{minimum}. {missing} characters are missing; please add to it and send it again."
    ),
    "study_late": N_(
        "The deadline ({deadline}) has passed: the reflection can no longer be submitted or "
        "changed."
    ),
    "study_no_reflection": N_("This study material asks for no reflection."),
    "not_a_study": N_("This is not study material."),
}
ERROR_MESSAGES.update(STUDY_ERRORS)
PERCENT_BAR = 95


def read_label(t: Translator) -> str:
    """Returns the label of the "read / studied" button."""
    return t.gettext("📖 Read / studied")


def _submit_label(t: Translator) -> str:
    return t.gettext("✍️ Submit the reflection")


def _requirement(t: Translator, announcement: Announcement) -> str:
    if announcement.reflection == ReflectionKind.TEXT:
        return t.gettext(
            "✍️ A reflection is asked of each comrade: at least {n} characters.",
            n=t.number(announcement.min_length),
        )
    if announcement.reflection == ReflectionKind.ANSWER:
        return t.gettext(
            "✍️ Each comrade answers this question: {question}",
            question=escape(announcement.question or ""),
        )
    return ""


def _documents(t: Translator, announcement: Announcement) -> list[str]:
    lines = []
    if announcement.link:
        lines.append(f"🔗 {escape(announcement.link)}")
    if announcement.file_name:
        lines.append(t.gettext("📎 Attached: {name}", name=escape(announcement.file_name)))
    for document in announcement.documents:
        if document.get("link"):
            lines.append(f"🔗 {escape(document['link'])}")
        elif document.get("file_name"):
            lines.append(t.gettext("📎 Attached: {name}", name=escape(document["file_name"])))
    return lines


def member_keyboard(t: Translator, announcement: Announcement) -> Keyboard:
    """Returns a member's buttons: "read / studied", and the reflection when one is asked."""
    aid = announcement.id or 0
    keyboard: Keyboard = [[Button(read_label(t), data=choice("aa", aid))]]
    if announcement.reflection != ReflectionKind.NONE:
        keyboard.append([Button(_submit_label(t), data=choice("sw", aid))])
    return keyboard


def study_message(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the study material as each member gets it privately."""
    lines = [
        t.gettext("📖 <b>Study material from {cell}</b>", cell=escape(org.name)),
        "",
        escape(announcement.text),
    ]
    documents = _documents(t, announcement)
    if documents:
        lines += ["", *documents]
    lines.append("")
    if announcement.deadline is not None:
        lines.append(t.gettext("⏳ Deadline: {when}", when=t.datetime_text(announcement.deadline)))
    requirement = _requirement(t, announcement)
    if requirement:
        lines.append(requirement)
    lines += [
        "",
        t.gettext(
            "Comrade, please study it and confirm with “{read}”.",
            read=read_label(t),
        ),
    ]
    return Screen("\n".join(lines), member_keyboard(t, announcement))


def study_group_message(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the study material as posted in the cell's group (no buttons)."""
    lines = [
        t.gettext("📖 <b>Study material from {cell}</b>", cell=escape(org.name)),
        "",
        escape(announcement.text),
        *_documents(t, announcement),
    ]
    if announcement.deadline is not None:
        lines.append(t.gettext("⏳ Deadline: {when}", when=t.datetime_text(announcement.deadline)))
    lines.append(t.gettext("Each comrade confirms and submits in the private message from me."))
    return Screen("\n".join(lines))


def study_nudge(t: Translator, announcement: Announcement, org: Organisation) -> Screen:
    """Returns the reminder to a member who has not done all the campaign asks."""
    text = t.gettext(
        "🔔 Reminder: comrade, please study the material from {cell} of {when} before {deadline}.",
        cell=escape(org.name),
        when=t.datetime_text(announcement.sent_at or announcement.created_at),
        deadline=t.datetime_text(announcement.deadline or announcement.created_at),
    )
    requirement = _requirement(t, announcement)
    if requirement:
        text += "\n" + requirement
    return Screen(text, member_keyboard(t, announcement))


# --- submitting ----------------------------------------------------------------------------------


def submit_prompt(
    t: Translator, announcement: Announcement, current: str | None, *, files: bool
) -> str:
    """Asks for the reflection; shows what was submitted before, when editing."""
    lines = [_requirement(t, announcement)]
    if announcement.deadline is not None:
        lines.append(
            t.gettext(
                "It can be changed until {when}.", when=t.datetime_text(announcement.deadline)
            )
        )
    if current:
        lines += ["", t.gettext("What you submitted:"), f"<i>{escape(current)}</i>"]
    lines.append("")
    if files:
        lines.append(t.gettext("Type the reflection, or send it as a file (PDF, Word; ≤ 20 MB)."))
    else:
        lines.append(t.gettext("Type the reflection in one message."))
    return "\n".join(line for line in lines if line is not None)


def submitted_screen(t: Translator, announcement: Announcement, *, replaced: bool) -> Screen:
    """Returns the thanks after a reflection, with the button to change it."""
    text = (
        t.gettext("✏️ Your reflection was changed. Thank you, comrade.")
        if replaced
        else t.gettext("✅ Your reflection was received. Thank you, comrade.")
    )
    if announcement.deadline is not None:
        text += "\n" + t.gettext(
            "It can be changed until {when}.", when=t.datetime_text(announcement.deadline)
        )
    button = Button(t.gettext("✏️ Change the reflection"), data=choice("sw", announcement.id or 0))
    return Screen(text, [[button]])


# --- the committee -------------------------------------------------------------------------------


def _names(people: list[Participant]) -> str:
    return ", ".join(escape(p.name) for p in people)


def participation_lines(t: Translator, found: Participation) -> list[str]:
    """Returns the figures: read, submitted, the rate against the bar."""
    announcement = found.announcement
    lines = [
        t.gettext(
            "📖 Read: {read}/{audience}",
            read=t.number(found.read),
            audience=t.number(found.audience),
        )
    ]
    if announcement.reflection != ReflectionKind.NONE:
        lines.append(
            t.gettext(
                "✍️ Reflections: {submitted}/{audience}",
                submitted=t.number(found.submitted),
                audience=t.number(found.audience),
            )
        )
    percent = t.number(round(found.rate * 100))
    if found.meets_bar:
        lines.append(
            t.gettext(
                "📊 Participation: {percent}% — above the {bar}% bar.",
                percent=percent,
                bar=PERCENT_BAR,
            )
        )
    else:
        lines.append(
            t.gettext(
                "📊 Participation: {percent}% — below the {bar}% bar.",
                percent=percent,
                bar=PERCENT_BAR,
            )
        )
    return lines


def study_text(t: Translator, org: Organisation, found: Participation, status: str) -> str:
    """Returns the committee's view of a campaign: status, figures, who is missing."""
    announcement = found.announcement
    lines = [
        t.gettext("📖 <b>Study material</b> — {cell}", cell=escape(org.name)),
        f"<i>{escape(' '.join(announcement.text.split())[:120])}</i>",
        status,
    ]
    if announcement.deadline is not None:
        lines.append(t.gettext("⏳ Deadline: {when}", when=t.datetime_text(announcement.deadline)))
    requirement = _requirement(t, announcement)
    if requirement:
        lines.append(requirement)
    if announcement.status == AnnouncementStatus.SENT:
        lines += participation_lines(t, found)
        if found.unread:
            lines.append(t.gettext("Not read yet: {names}", names=_names(found.unread)))
        if found.not_submitted:
            lines.append(
                t.gettext("No reflection yet: {names}", names=_names(found.not_submitted))
            )
        if not found.missing:
            lines.append(t.gettext("Every comrade has done all that was asked."))
    return "\n".join(line for line in lines if line)


def study_keyboard(t: Translator, found: Participation) -> Keyboard:
    """Returns the committee's buttons for a sent campaign: remind, export, the ledger."""
    announcement = found.announcement
    aid = announcement.id or 0
    keyboard: Keyboard = []
    if announcement.status == AnnouncementStatus.SENT:
        if found.missing:
            label = t.gettext("🔔 Remind those who are missing")
            keyboard.append([Button(label, data=choice("ag", aid))])
        if announcement.reflection != ReflectionKind.NONE:
            label = t.gettext("📥 Export the reflections")
            keyboard.append([Button(label, data=choice("sx", aid))])
        keyboard.append([Button(t.gettext("📋 Delivery ledger"), data=choice("al", aid))])
    elif announcement.status == AnnouncementStatus.SCHEDULED:
        keyboard.append([Button(t.gettext("🗑 Cancel the announcement"), data=choice("ax", aid))])
    keyboard.append([Button(t.gettext("⬅️ Announcements"), data=choice("ab"))])
    return keyboard
