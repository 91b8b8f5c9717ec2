"""The announcement forms: compose one (text, file or link, audience, acknowledgement, time,
group, preview) and change the text or time of one not sent yet."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels import profile_of
from bot.date_examples import date_error_text, example_day, passed_refusal, short_day
from bot.datetext import DateTextError, ParsedTime, combine, parse_when
from bot.flows import officer_steps
from bot.flows.announcement_screens import announcement_screen
from bot.flows.common_people import chosen_org, committee_cell_step, require_some_committee
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.flows.matching import match_key
from bot.i18n import N_
from bot.models import Announcement, AudienceKind, Organisation
from bot.render import error_text
from bot.render_announcements import ack_label, preview_text
from bot.services import announcement_audience, announcements, members
from bot.services.documents import IncomingFile
from bot.services.errors import DomainError, InvalidInput
from bot.text import escape
from bot.ui import Screen

# What the file step is given when a file arrives while it is asked (see `file_received`).
FILE_SENTINEL = "\u2063file\u2063"
INCOMING = "incoming_file"
NONE = "none"
NOW = "now"
DONE = "done"
YES, NO = "y", "n"  # not "yes": that value is a confirm step's
# A part this long may have been cut by the messenger: ask whether more follows.
CONTINUE_AT = 1800
MORE_PARTS = 4
MAX_NAMES = 50


def _invalid(ctx: FlowContext, error: DomainError) -> InvalidAnswer:
    return InvalidAnswer(error_text(ctx.t, error))


def _org(ctx: FlowContext) -> Organisation:
    return chosen_org(ctx)


# --- the text, in one or several messages --------------------------------------------------------


def text_prompt(ctx: FlowContext) -> str:
    """Asks for the announcement's text."""
    return ctx.t.gettext(
        "✍️ Type the announcement (at most {limit} characters; a long text may come in several "
        "messages).",
        limit=ctx.t.number(announcements.MAX_TEXT),
    )


def parse_text(ctx: FlowContext, text: str) -> Any:
    """Reads the text: not empty, not too long."""
    try:
        return announcements.clean_text(text)
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc


def _previous_part(position: int) -> str:
    return "text" if position == 1 else f"more{position - 1}"


def _more_when(position: int) -> Any:
    def ask(ctx: FlowContext) -> bool:
        previous = ctx.answers.get(_previous_part(position))
        return (
            isinstance(previous, str)
            and previous != DONE
            and len(previous) >= CONTINUE_AT
            and len(ctx.answers.get("text", "")) < announcements.MAX_TEXT
        )

    return ask


def _more_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Received: {n} characters. If the announcement goes on, send the next part; "
        "otherwise choose “Done”.",
        n=ctx.t.number(len(ctx.answers.get("text", ""))),
    )


def _done_option(ctx: FlowContext) -> list[Option]:
    return [Option(DONE, ctx.t.gettext("✅ Done"))]


def _parse_part(ctx: FlowContext, text: str) -> Any:
    part = text.strip()
    if not part:
        raise _invalid(ctx, InvalidInput("announcement_empty"))
    return part


def _save_part(ctx: FlowContext, value: Any) -> None:
    if value == DONE:
        return
    whole = f"{ctx.answers['text']}\n{value}"
    try:
        ctx.answers["text"] = announcements.clean_text(whole)
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc


def _more_steps() -> tuple[Step, ...]:
    return tuple(
        Step(
            f"more{position}",
            StepKind.TEXT,
            _more_prompt,
            options=_done_option,
            parse=_parse_part,
            when=_more_when(position),
            save=_save_part,
        )
        for position in range(1, MORE_PARTS + 1)
    )


# --- a file or a link ----------------------------------------------------------------------------


def _uploads(ctx: FlowContext) -> bool:
    return profile_of(ctx.key.channel).file_upload


def _file_prompt(ctx: FlowContext) -> str:
    if _uploads(ctx):
        return ctx.t.gettext(
            "📎 Send a file or a photo to go with it (PDF, Word, Excel, PowerPoint, images; up "
            "to 20 MB), or a link (https://…), or choose “No attachment”."
        )
    return ctx.t.gettext("📎 Type a link (https://…) to go with it, or choose “No attachment”.")


def _file_options(ctx: FlowContext) -> list[Option]:
    return [Option(NONE, ctx.t.gettext("No attachment"))]


def _parse_file(ctx: FlowContext, text: str) -> Any:
    if text == FILE_SENTINEL and isinstance(ctx.params.get(INCOMING), dict):
        raw = ctx.params[INCOMING]
        incoming = IncomingFile(
            str(raw["file_id"]), str(raw["file_name"]), raw.get("mime_type"), int(raw["size"])
        )
        try:
            checked = announcements.clean_file(incoming)
        except DomainError as exc:
            raise _invalid(ctx, exc) from exc
        return {"file_id": checked.file_id, "file_name": checked.file_name}
    try:
        link = announcements.clean_link(text)
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc
    if link is None:
        if _uploads(ctx):
            raise InvalidAnswer(
                ctx.t.gettext(
                    "Please send a file, or a link beginning with https://, or choose "
                    "“No attachment”."
                )
            )
        raise InvalidAnswer(
            ctx.t.gettext("Please type a link beginning with https://, or choose “No attachment”.")
        )
    return {"link": link}


# --- the audience --------------------------------------------------------------------------------


def _audience_options(ctx: FlowContext) -> list[Option]:
    return officer_steps.audience_options(ctx) or [
        Option(AudienceKind.CELL.value, ctx.t.gettext("👥 The whole cell")),
        Option(AudienceKind.COMMITTEE.value, ctx.t.gettext("🎖 The cell committee")),
        Option(AudienceKind.CHOSEN.value, ctx.t.gettext("✍️ Choose comrades by name")),
    ]


def _chosen(ctx: FlowContext) -> tuple[int, ...]:
    return tuple(int(i) for i in ctx.answers.get("people") or [])


def _addressees(ctx: FlowContext) -> list[announcement_audience.Addressee]:
    key = "addressees"
    if key not in ctx.memo:
        ctx.memo[key] = announcement_audience.audience(
            session=ctx.session,
            org_id=_org(ctx).id or 0,
            kind=AudienceKind(ctx.answers["audience"]),
            chosen=_chosen(ctx),
        )
    found: list[announcement_audience.Addressee] = ctx.memo[key]
    return found


def _check_reachable(ctx: FlowContext, value: Any) -> None:
    if value in officer_steps.OFFICER_VALUES:
        return  # each cell is checked when it is sent to
    if value == AudienceKind.CHOSEN.value and "people" not in ctx.answers:
        return  # checked once the names are given
    ctx.memo.pop("addressees", None)
    try:
        announcement_audience.require_reachable(_addressees(ctx))
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc


def _people_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Type the names of the comrades, one per line or separated by commas (a given name "
        "is enough when only one comrade has it)."
    )


def _parse_people(ctx: FlowContext, text: str) -> Any:
    typed = [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",")]
    typed = [part for part in typed if part]
    if not typed:
        raise InvalidAnswer(_people_prompt(ctx))
    if len(typed) > MAX_NAMES:
        raise _invalid(ctx, InvalidInput("names_too_many", limit=MAX_NAMES))
    roster = members.active_members(session=ctx.session, org_id=_org(ctx).id or 0)
    keys = [(m, f" {match_key(m.full_name)} ") for m in roster]
    chosen: list[int] = []
    for name in typed:
        wanted = match_key(name)
        exact = [m for m, key in keys if key.strip() == wanted]
        hits = exact or [m for m, key in keys if wanted and f" {wanted} " in key]
        if not hits:
            raise InvalidAnswer(
                ctx.t.gettext("Nobody on the roster is called “{name}”.", name=escape(name))
            )
        if len(hits) > 1:
            raise InvalidAnswer(
                ctx.t.gettext(
                    "“{name}” fits several comrades: {names}. Please type the full name.",
                    name=escape(name),
                    names=", ".join(escape(m.full_name) for m in hits),
                )
            )
        if hits[0].id is not None and hits[0].id not in chosen:
            chosen.append(hits[0].id)
    return chosen


def _check_people(ctx: FlowContext, _value: Any) -> None:
    ctx.memo.pop("addressees", None)
    try:
        announcement_audience.require_reachable(_addressees(ctx))
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc


# --- acknowledgement, time, group ----------------------------------------------------------------


def _ack_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(YES, ctx.t.gettext("Yes: ask for “{ack}”", ack=ack_label(ctx.t))),
        Option(NO, ctx.t.gettext("No confirmation needed")),
    ]


def when_prompt(ctx: FlowContext) -> str:
    """Asks when the announcement goes out."""
    t = ctx.t
    today = ctx.now.astimezone(ZoneInfo(_org(ctx).timezone)).date()
    return t.gettext(
        "When should it go out? Choose “Send now”, or type a day and time (for example: "
        "“{tomorrow}”, “{day}”).",
        tomorrow=t.gettext("tomorrow 7:30 am"),
        day=t.gettext("{day} 8 am", day=short_day(t, example_day(today))),
    )


def parse_when_answer(ctx: FlowContext, text: str) -> Any:
    """Reads a typed day and time in the cell's zone; refuses a time already past."""
    tz = ZoneInfo(_org(ctx).timezone)
    try:
        day, at = parse_when(text, now=ctx.now, tz=tz)
    except DateTextError as exc:
        today = ctx.now.astimezone(tz).date()
        raise InvalidAnswer(date_error_text(ctx.t, exc.reason, today)) from exc
    if at is None:
        raise InvalidAnswer(
            ctx.t.gettext("Please give the time as well, for example “tomorrow 7:30 am”.")
        )
    refusal = passed_refusal(ctx.t, day)
    if refusal is not None:
        raise InvalidAnswer(refusal)
    local = ctx.now.astimezone(tz)
    due = combine(day.day if day is not None else local.date(), ParsedTime(at.hour, at.minute), tz)
    try:
        announcements.check_due(due, ctx.now)
    except DomainError as exc:
        raise _invalid(ctx, exc) from exc
    return due.isoformat()


def when_options(ctx: FlowContext) -> list[Option]:
    """Returns the "send now" choice."""
    return [Option(NOW, ctx.t.gettext("📤 Send now"))]


def _has_group(ctx: FlowContext) -> bool:
    return bool(_org(ctx).group_chat_id)


def _yes_no(ctx: FlowContext) -> list[Option]:
    return [Option(YES, ctx.t.gettext("Yes")), Option(NO, ctx.t.gettext("No"))]


def due_of(ctx: FlowContext, step: str = "when") -> datetime | None:
    """Returns the time answered at `step`; None for "now"."""
    value = ctx.answers.get(step)
    return None if value in (None, NOW) else datetime.fromisoformat(str(value))


def _draft(ctx: FlowContext) -> announcements.Draft:
    attachment = ctx.answers.get("file")
    attached: dict[str, str] = attachment if isinstance(attachment, dict) else {}
    officer = officer_steps.officer_send(ctx)
    return announcements.Draft(
        org_id=_org(ctx).id or 0,
        text=str(ctx.answers["text"]),
        audience=AudienceKind.CELL if officer else AudienceKind(ctx.answers["audience"]),
        chosen_member_ids=_chosen(ctx),
        ack_required=ctx.answers.get("ack") == YES,
        post_to_group=ctx.answers.get("group") == YES,
        due_at=due_of(ctx),
        file_id=attached.get("file_id"),
        file_name=attached.get("file_name"),
        link=attached.get("link"),
    )


def _preview(ctx: FlowContext) -> str:
    draft = _draft(ctx)
    shown = Announcement(
        org_id=draft.org_id,
        text=draft.text,
        file_id=draft.file_id,
        file_name=draft.file_name,
        link=draft.link,
        audience=draft.audience,
        ack_required=draft.ack_required,
        post_to_group=draft.post_to_group,
        due_at=draft.due_at,
        created_at=ctx.now,
    )
    return preview_of(ctx, shown)


def preview_of(ctx: FlowContext, shown: Announcement) -> str:
    """The confirmation step's preview of an announcement or study material, never saved: as
    members will see it, with its audience (an officer's: per cell)."""
    if officer_steps.officer_send(ctx):
        return officer_steps.preview(ctx, shown)
    addressees = _addressees(ctx)
    return preview_text(
        ctx.t,
        shown,
        _org(ctx),
        profile_of(ctx.key.channel),
        audience=len(addressees),
        unreachable=sum(1 for a in addressees if a.recipient is None),
    )


def _complete(ctx: FlowContext) -> Screen:
    return send_draft(ctx, _draft(ctx))


def send_draft(ctx: FlowContext, draft: announcements.Draft) -> Screen:
    """Creates the confirmed announcement or study material (sent now, or scheduled) and shows
    the committee its figures."""
    if officer_steps.officer_send(ctx):
        return officer_steps.complete(ctx, draft)
    created = announcements.create(session=ctx.session, draft=draft, actor=ctx.person, now=ctx.now)
    if draft.due_at is None:
        note = ctx.t.gettext("📤 Sent. The figures below fill in as comrades confirm.")
    else:
        note = ctx.t.gettext(
            "⏰ Scheduled for {when}. Until then it can be changed or cancelled here.",
            when=ctx.t.when_text(draft.due_at),
        )
    return announcement_screen(ctx.session, ctx.t, created, note)


ANNOUNCE_FLOW = Flow(
    name="announce",
    title=N_("New announcement"),
    check=require_some_committee,
    steps=(
        committee_cell_step(),
        Step("text", StepKind.TEXT, text_prompt, parse=parse_text),
        *_more_steps(),
        Step("file", StepKind.TEXT, _file_prompt, options=_file_options, parse=_parse_file),
        Step(
            "audience",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Who is it for?"),
            options=_audience_options,
            save=_check_reachable,
        ),
        Step(
            "people",
            StepKind.TEXT,
            _people_prompt,
            parse=_parse_people,
            when=answered("audience", AudienceKind.CHOSEN.value),
            save=_check_people,
        ),
        officer_steps.cells_step(),
        Step(
            "ack",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext(
                "Should each comrade confirm that they have read it (“{ack}”)?",
                ack=ack_label(ctx.t),
            ),
            options=_ack_options,
        ),
        Step("when", StepKind.TEXT, when_prompt, options=when_options, parse=parse_when_answer),
        Step(
            "group",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Also post it in the cell's group?"),
            options=_yes_no,
            when=_has_group,
        ),
        Step("confirm", StepKind.CONFIRM, _preview),
    ),
    complete=_complete,
)
