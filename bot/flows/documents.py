"""The attach form: a committee member sends a file, picks the meeting, and it goes out."""

from __future__ import annotations

from bot.flows.engine import Flow, FlowContext, Option, Step, StepKind
from bot.i18n import N_, Translator
from bot.models import Meeting, MeetingDocument, Organisation
from bot.render_meetings import kind_label
from bot.services import documents, meetings, members, notices, outbox
from bot.services.errors import Conflict, NotAllowed, NotFound
from bot.text import escape
from bot.ui import Button, FileOut, Screen, choice


def _incoming(ctx: FlowContext) -> documents.IncomingFile:
    p = ctx.params
    return documents.IncomingFile(
        str(p["file_id"]), str(p["file_name"]), p.get("mime_type"), int(p.get("size") or 0)
    )


def _meeting_options(ctx: FlowContext) -> list[Option]:
    options = []
    for _, org in members.committee_cells(session=ctx.session, person=ctx.person):
        for meeting in meetings.upcoming(session=ctx.session, org_id=org.id or 0, now=ctx.now):
            if meeting.starts_at > ctx.now:
                label = f"{kind_label(ctx.t, meeting.kind)} — {ctx.t.when_text(meeting.starts_at)}"
                options.append(Option(str(meeting.id), label[:60]))
    return options


def _check(ctx: FlowContext) -> None:
    if not members.committee_cells(session=ctx.session, person=ctx.person):
        raise NotAllowed("committee_only")
    documents.check_file(_incoming(ctx))
    if not _meeting_options(ctx):
        raise Conflict("no_meeting_for_document")


# Room left in Telegram's 1,024-character caption for what the sender wrote.
MAX_NOTE = 600


def document_caption(
    t: Translator, meeting: Meeting, document: MeetingDocument, note: str = ""
) -> str:
    """Returns the caption members see under a meeting document, with what the committee
    member wrote under the file (escaped, cut to MAX_NOTE characters)."""
    text = t.gettext(
        "📎 Document for the {kind} at {when}: <b>{name}</b>. Please read it before the "
        "meeting and tap “I have read it”.",
        kind=kind_label(t, meeting.kind),
        when=t.when_text(meeting.starts_at),
        name=escape(document.file_name),
    )
    note = " ".join(note.split())
    if note:
        if len(note) > MAX_NOTE:
            note = note[: MAX_NOTE - 1].rstrip() + "…"
        text += "\n" + t.gettext("💬 {note}", note=escape(note))
    return text


def _complete(ctx: FlowContext) -> Screen:
    meeting, document, short_notice = documents.attach(
        session=ctx.session,
        meeting_id=int(ctx.answers["meeting"]),
        incoming=_incoming(ctx),
        actor=ctx.person,
        now=ctx.now,
    )
    org = ctx.session.get(Organisation, meeting.org_id)
    if org is None or org.id is None:
        raise NotFound("org_not_found")
    people = notices.for_meeting(
        notices.recipients(session=ctx.session, org_ids=[org.id])[org.id], meeting.kind
    )
    rows = notices.fan_out_documents(
        org=org,
        people=people,
        key=f"document:{document.id}",
        now=ctx.now,
        include_group=False,
        build=lambda t: FileOut(
            filename=document.file_name,
            file_id=document.file_id,
            caption=document_caption(t, meeting, document, str(ctx.params.get("caption") or "")),
            keyboard=[
                [Button(t.gettext("📖 I have read it"), data=choice("dr", document.id or 0))]
            ],
        ),
    )
    outbox.enqueue_many(session=ctx.session, rows=rows)
    text = ctx.t.gettext(
        "Sent to {n} comrades. /lichhop shows who has read it.", n=ctx.t.number(len(people))
    )
    if short_notice:
        text += "\n" + ctx.t.gettext(
            "⚠️ The meeting is less than a day away: Hướng dẫn 42-HD/BTCTW (28/10/2025) asks "
            "for documents at least one day before."
        )
    return Screen(text)


ATTACH_DOCUMENT_FLOW = Flow(
    name="attach_document",
    title=N_("Meeting document"),
    check=_check,
    steps=(
        Step(
            "meeting",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext(
                "Which meeting is “{name}” for?", name=escape(str(ctx.params["file_name"]))
            ),
            options=_meeting_options,
        ),
        Step(
            "confirm", StepKind.CONFIRM, lambda ctx: ctx.t.gettext("Send it to every member now?")
        ),
    ),
    complete=_complete,
)
