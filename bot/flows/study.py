"""The study forms: the committee opens a study campaign (material, documents, audience,
deadline, reflection, time, group, preview), and a member submits or changes a reflection."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels import profile_of
from bot.date_examples import date_error_text, example_day, passed_refusal, short_day
from bot.datetext import DateTextError, ParsedTime, combine, parse_when
from bot.flows import announcements as notice
from bot.flows import officer_steps
from bot.flows.common_people import chosen_org, committee_cell_step, require_some_committee
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind, answered
from bot.i18n import N_
from bot.models import Announcement, AnnouncementKind, AudienceKind, ReflectionKind
from bot.render import error_text
from bot.render_study import submit_prompt, submitted_screen
from bot.services import announcements, study
from bot.services.documents import IncomingFile
from bot.services.errors import DomainError, InvalidInput
from bot.ui import Screen

STUDY_FLOW = "study"
SUBMIT_FLOW = "study_submit"
MORE_DOCUMENTS = 4
DOCUMENT_STEPS = ("file", *(f"file{n}" for n in range(2, MORE_DOCUMENTS + 2)))
END_OF_DAY = ParsedTime(23, 59)


def _text_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "📖 Type what comrades should study and why (for example: “Quán triệt Nghị quyết …”)."
    )


# --- the documents: the first as an announcement's, then more ------------------------------------


def _more_prompt(ctx: FlowContext) -> str:
    if profile_of(ctx.key.channel).file_upload:
        return ctx.t.gettext("📎 Send another document or link, or choose “Done”.")
    return ctx.t.gettext("📎 Type another link, or choose “Done”.")


def _more_when(position: int) -> Any:
    previous = DOCUMENT_STEPS[position - 1]

    def ask(ctx: FlowContext) -> bool:
        return isinstance(ctx.answers.get(previous), dict)

    return ask


def _document_steps() -> tuple[Step, ...]:
    return tuple(
        Step(
            name,
            StepKind.TEXT,
            _more_prompt,
            options=lambda ctx: [Option(notice.DONE, ctx.t.gettext("✅ Done"))],
            parse=notice._parse_file,
            when=_more_when(position),
        )
        for position, name in enumerate(DOCUMENT_STEPS[1:], start=1)
    )


def _documents(ctx: FlowContext) -> list[dict[str, str]]:
    return [value for name in DOCUMENT_STEPS if isinstance(value := ctx.answers.get(name), dict)]


# --- deadline and reflection ---------------------------------------------------------------------


def _deadline_prompt(ctx: FlowContext) -> str:
    today = ctx.now.astimezone(ZoneInfo(chosen_org(ctx).timezone)).date()
    return ctx.t.gettext(
        "⏳ By which day should comrades study it (and submit the reflection)? Type a day, for "
        "example “{day}” (until the end of that day), or a day and a time.",
        day=short_day(ctx.t, example_day(today)),
    )


def _parse_deadline(ctx: FlowContext, text: str) -> Any:
    tz = ZoneInfo(chosen_org(ctx).timezone)
    try:
        day, at = parse_when(text, now=ctx.now, tz=tz)
    except DateTextError as exc:
        today = ctx.now.astimezone(tz).date()
        raise InvalidAnswer(date_error_text(ctx.t, exc.reason, today)) from exc
    refusal = passed_refusal(ctx.t, day)
    if refusal is not None:
        raise InvalidAnswer(refusal)
    local = ctx.now.astimezone(tz).date()
    when = combine(
        day.day if day is not None else local,
        ParsedTime(at.hour, at.minute) if at is not None else END_OF_DAY,
        tz,
    )
    if when <= ctx.now:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput("study_deadline_early")))
    return when.isoformat()


def _reflection_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(ReflectionKind.NONE.value, ctx.t.gettext("Reading only")),
        Option(ReflectionKind.TEXT.value, ctx.t.gettext("A written reflection")),
        Option(ReflectionKind.ANSWER.value, ctx.t.gettext("A short answer to a question")),
    ]


def _parse_min_length(ctx: FlowContext, text: str) -> Any:
    digits = text.strip().replace(".", "").replace(",", "")
    if not digits.isdigit() or not 0 < int(digits) <= study.MAX_MIN_LENGTH:
        raise InvalidAnswer(
            error_text(ctx.t, InvalidInput("study_min_length", limit=study.MAX_MIN_LENGTH))
        )
    return int(digits)


def _parse_question(ctx: FlowContext, text: str) -> Any:
    try:
        return study.clean_question(text)
    except DomainError as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _deadline(ctx: FlowContext) -> datetime:
    return datetime.fromisoformat(str(ctx.answers["deadline"]))


def _draft(ctx: FlowContext) -> announcements.Draft:
    documents = _documents(ctx)
    first = documents[0] if documents else {}
    reflection = ReflectionKind(ctx.answers["reflection"])
    officer = officer_steps.officer_send(ctx)
    return announcements.Draft(
        org_id=chosen_org(ctx).id or 0,
        text=str(ctx.answers["text"]),
        audience=AudienceKind.CELL if officer else AudienceKind(ctx.answers["audience"]),
        chosen_member_ids=tuple(int(i) for i in ctx.answers.get("people") or []),
        ack_required=True,
        post_to_group=ctx.answers.get("group") == notice.YES,
        due_at=notice.due_of(ctx),
        file_id=first.get("file_id"),
        file_name=first.get("file_name"),
        link=first.get("link"),
        kind=AnnouncementKind.STUDY,
        documents=tuple(documents[1:]),
        deadline=_deadline(ctx),
        reflection=reflection,
        min_length=int(ctx.answers.get("min_length") or 0),
        question=ctx.answers.get("question") if reflection == ReflectionKind.ANSWER else None,
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
        ack_required=True,
        post_to_group=draft.post_to_group,
        due_at=draft.due_at,
        created_at=ctx.now,
        kind=AnnouncementKind.STUDY,
        documents=list(draft.documents),
        deadline=draft.deadline,
        reflection=draft.reflection,
        min_length=draft.min_length,
        question=draft.question,
    )
    return notice.preview_of(ctx, shown)


def _complete(ctx: FlowContext) -> Screen:
    return notice.send_draft(ctx, _draft(ctx))


STUDY_CAMPAIGN_FLOW = Flow(
    name=STUDY_FLOW,
    title=N_("New study material"),
    check=require_some_committee,
    steps=(
        committee_cell_step(),
        Step("text", StepKind.TEXT, _text_prompt, parse=notice.parse_text),
        Step(
            "file",
            StepKind.TEXT,
            notice._file_prompt,
            options=notice._file_options,
            parse=notice._parse_file,
        ),
        *_document_steps(),
        Step(
            "audience",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Who is it for?"),
            options=notice._audience_options,
            save=notice._check_reachable,
        ),
        Step(
            "people",
            StepKind.TEXT,
            notice._people_prompt,
            parse=notice._parse_people,
            when=answered("audience", AudienceKind.CHOSEN.value),
            save=notice._check_people,
        ),
        Step("deadline", StepKind.TEXT, _deadline_prompt, parse=_parse_deadline),
        Step(
            "reflection",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("What should each comrade send back?"),
            options=_reflection_options,
        ),
        Step(
            "min_length",
            StepKind.NUMBER,
            lambda ctx: ctx.t.gettext(
                "How long should the reflection be, at least? Type a number of characters "
                "(for example 500)."
            ),
            parse=_parse_min_length,
            when=answered("reflection", ReflectionKind.TEXT.value),
        ),
        Step(
            "question",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext("Type the question comrades should answer."),
            parse=_parse_question,
            when=answered("reflection", ReflectionKind.ANSWER.value),
        ),
        Step(
            "when",
            StepKind.TEXT,
            notice.when_prompt,
            options=notice.when_options,
            parse=notice.parse_when_answer,
        ),
        Step(
            "group",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("Also post it in the cell's group?"),
            options=notice._yes_no,
            when=notice._has_group,
        ),
        Step("confirm", StepKind.CONFIRM, _preview),
    ),
    complete=_complete,
)


# --- a member's reflection -----------------------------------------------------------------------


def _campaign(ctx: FlowContext) -> Announcement:
    key = "campaign"
    if key not in ctx.memo:
        found, _, submission = study.for_submission(
            session=ctx.session,
            announcement_id=int(ctx.params["announcement_id"]),
            person=ctx.person,
            now=ctx.now,
        )
        ctx.memo[key] = found
        ctx.memo["current"] = submission.file_name or submission.text if submission else None
    campaign: Announcement = ctx.memo[key]
    return campaign


def _check_open(ctx: FlowContext) -> None:
    _campaign(ctx)


def _submit_prompt(ctx: FlowContext) -> str:
    campaign = _campaign(ctx)
    return submit_prompt(
        ctx.t,
        campaign,
        ctx.memo.get("current"),
        files=profile_of(ctx.key.channel).file_upload,
    )


def _parse_reflection(ctx: FlowContext, text: str) -> Any:
    if text == notice.FILE_SENTINEL and isinstance(ctx.params.get(notice.INCOMING), dict):
        raw = ctx.params[notice.INCOMING]
        incoming = IncomingFile(
            str(raw["file_id"]), str(raw["file_name"]), raw.get("mime_type"), int(raw["size"])
        )
        try:
            study.clean_reflection_file(incoming)
        except DomainError as exc:
            raise InvalidAnswer(error_text(ctx.t, exc)) from exc
        return {"file": raw}
    try:
        return {"text": study.clean_reflection(_campaign(ctx), text)}
    except DomainError as exc:
        raise InvalidAnswer(error_text(ctx.t, exc)) from exc


def _submit(ctx: FlowContext) -> Screen:
    answer: dict[str, Any] = ctx.answers["reflection"]
    raw = answer.get("file")
    incoming = (
        IncomingFile(
            str(raw["file_id"]), str(raw["file_name"]), raw.get("mime_type"), int(raw["size"])
        )
        if isinstance(raw, dict)
        else None
    )
    submission, replaced = study.submit(
        session=ctx.session,
        announcement_id=int(ctx.params["announcement_id"]),
        person=ctx.person,
        now=ctx.now,
        text=str(answer.get("text") or ""),
        file=incoming,
    )
    campaign = announcements.get_announcement(
        session=ctx.session, announcement_id=submission.announcement_id
    )
    return submitted_screen(ctx.t, campaign, replaced=replaced)


SUBMIT_REFLECTION_FLOW = Flow(
    name=SUBMIT_FLOW,
    title=N_("Study reflection"),
    check=_check_open,
    steps=(
        Step(
            "reflection",
            StepKind.TEXT,
            _submit_prompt,
            parse=_parse_reflection,
            limit=study.MAX_REFLECTION,
        ),
    ),
    complete=_submit,
)

STUDY_FLOWS = (STUDY_CAMPAIGN_FLOW, SUBMIT_REFLECTION_FLOW)
