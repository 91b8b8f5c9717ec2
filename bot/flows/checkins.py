"""The check-in form: per approved item in turn, a status, the number reached (when the item
has a target), an optional note and optional evidence (a photo or a file, handed to the form by
`bot.actions.forms.hand_file_to_form`). Each answer is saved as it is given (`Step.save`), so a
member who stops halfway loses nothing; "✏️ n" opens the same form for one item.

Steps are generated from the items: four per item slot, asked only for the items the form
was opened with (`params["items"]`, item ids in the order they are numbered).
"""

from __future__ import annotations

from typing import Any

from bot.channels import profile_of
from bot.flows.announcements import FILE_SENTINEL, INCOMING
from bot.flows.commitment_screens import SKIP, invalid_answer, saved_note, stopped_note
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.i18n import N_
from bot.models.commitments import CommitmentItem, ItemStatus
from bot.render_checkins import item_status_label, round_screen
from bot.render_commitments import target_text
from bot.services import checkins, evidence
from bot.services.documents import IncomingFile
from bot.services.errors import InvalidInput, NotFound
from bot.text import escape
from bot.ui import Screen

# The most items one form asks about (three items sections of at most ten each, and room).
MAX_SLOTS = 40


def _round_id(ctx: FlowContext) -> int:
    return int(ctx.params["round_id"])


def _slots(ctx: FlowContext) -> list[int]:
    return [int(i) for i in ctx.params.get("items", [])]


def _item(ctx: FlowContext, slot: int) -> CommitmentItem:
    key = f"item{slot}"
    if key not in ctx.memo:
        item = ctx.session.get(CommitmentItem, _slots(ctx)[slot])
        if item is None:
            raise NotFound("item_not_found")
        ctx.memo[key] = item
    found: CommitmentItem = ctx.memo[key]
    return found


def _number(ctx: FlowContext, slot: int) -> int:
    numbers = ctx.params.get("numbers") or []
    return int(numbers[slot]) if slot < len(numbers) else slot + 1


def _has(slot: int) -> Any:
    return lambda ctx: slot < len(_slots(ctx))


def _has_target(slot: int) -> Any:
    return lambda ctx: slot < len(_slots(ctx)) and _item(ctx, slot).target is not None


def _summary(ctx: FlowContext, note: str) -> Screen:
    mine = checkins.member_round(
        session=ctx.session, round_id=_round_id(ctx), person=ctx.person, now=ctx.now
    )
    return round_screen(ctx.t, mine, note)


def _check(ctx: FlowContext) -> None:
    mine = checkins.member_round(
        session=ctx.session, round_id=_round_id(ctx), person=ctx.person, now=ctx.now
    )
    own = {item.id for item in mine.items}
    if not _slots(ctx) or any(i not in own for i in _slots(ctx)):
        raise NotFound("item_not_found")


def _save(ctx: FlowContext, slot: int, **answer: Any) -> None:
    checkins.answer(
        session=ctx.session,
        round_id=_round_id(ctx),
        item_id=_slots(ctx)[slot],
        person=ctx.person,
        now=ctx.now,
        **answer,
    )


# --- the four questions of an item --------------------------------------------------------------


def _status_prompt(slot: int) -> Any:
    def prompt(ctx: FlowContext) -> str:
        item = _item(ctx, slot)
        total = int(ctx.params.get("total", len(_slots(ctx))))
        head = ctx.t.gettext(
            "<b>Task {n} of {total}</b>: {task}",
            n=_number(ctx, slot),
            total=total,
            task=escape(item.text),
        )
        return "\n".join([head, ctx.t.gettext("How far along is it?")])

    return prompt


def _status_options(ctx: FlowContext) -> list[Option]:
    return [Option(status.value, item_status_label(ctx.t, status)) for status in ItemStatus]


def _save_status(slot: int) -> Any:
    return lambda ctx, value: _save(ctx, slot, status=ItemStatus(str(value)))


def _value_prompt(slot: int) -> Any:
    def prompt(ctx: FlowContext) -> str:
        item = _item(ctx, slot)
        target = target_text(ctx.t, item)
        if item.unit and not item.unit.startswith("%"):
            return ctx.t.gettext(
                "How many {unit} reached so far? (target: {target})",
                unit=escape(item.unit),
                target=target,
            )
        return ctx.t.gettext("How much reached so far? (target: {target})", target=target)

    return prompt


def _skip(ctx: FlowContext) -> list[Option]:
    return [Option(SKIP, ctx.t.gettext("Skip"))]


def _parse_value(ctx: FlowContext, text: str) -> Any:
    try:
        return checkins.parse_value(text)
    except InvalidInput as exc:
        raise invalid_answer(ctx, exc) from exc


def _save_value(slot: int) -> Any:
    def save(ctx: FlowContext, value: Any) -> None:
        if value != SKIP:
            _save(ctx, slot, value=float(value))

    return save


def _note_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "A short note, if you wish (at most {limit} characters), or tap Skip:",
        limit=checkins.MAX_NOTE,
    )


def _parse_note(ctx: FlowContext, text: str) -> Any:
    try:
        return checkins.clean_note(text)
    except InvalidInput as exc:
        raise invalid_answer(ctx, exc) from exc


def _save_note(slot: int) -> Any:
    def save(ctx: FlowContext, value: Any) -> None:
        if value != SKIP:
            _save(ctx, slot, note=str(value))

    return save


def _evidence_prompt(ctx: FlowContext) -> str:
    if profile_of(ctx.key.channel).file_upload:
        return ctx.t.gettext(
            "📎 Send a photo or a file as evidence (optional: PDF, Word, Excel, PowerPoint, "
            "JPG or PNG, at most {limit} MB), or tap Skip:",
            limit=evidence.MAX_EVIDENCE_MB,
        )
    return ctx.t.gettext("📎 Send a photo as evidence (optional), or choose Skip:")


def _parse_evidence(ctx: FlowContext, text: str) -> Any:
    raw = ctx.params.get(INCOMING)
    if text == FILE_SENTINEL and isinstance(raw, dict):
        incoming = IncomingFile(
            str(raw["file_id"]), str(raw["file_name"]), raw.get("mime_type"), int(raw["size"])
        )
        try:
            checked = evidence.check_evidence(incoming)
        except InvalidInput as exc:
            raise invalid_answer(ctx, exc) from exc
        return {
            "file_id": checked.file_id,
            "file_name": checked.file_name,
            "mime_type": checked.mime_type,
            "size": checked.size,
        }
    if profile_of(ctx.key.channel).file_upload:
        raise InvalidAnswer(ctx.t.gettext("Please send a photo or a file, or tap Skip."))
    raise InvalidAnswer(ctx.t.gettext("Please send a photo, or choose Skip."))


def _save_evidence(slot: int) -> Any:
    def save(ctx: FlowContext, value: Any) -> None:
        if not isinstance(value, dict):
            return  # skipped
        evidence.attach(
            session=ctx.session,
            round_id=_round_id(ctx),
            item_id=_slots(ctx)[slot],
            person=ctx.person,
            channel=ctx.key.channel,
            incoming=IncomingFile(
                str(value["file_id"]),
                str(value["file_name"]),
                value.get("mime_type"),
                int(value["size"]),
            ),
            now=ctx.now,
        )

    return save


def _steps() -> tuple[Step, ...]:
    steps: list[Step] = []
    for slot in range(MAX_SLOTS):
        steps.append(
            Step(
                f"s{slot}",
                StepKind.CHOICE,
                _status_prompt(slot),
                options=_status_options,
                when=_has(slot),
                save=_save_status(slot),
                columns=2,
            )
        )
        steps.append(
            Step(
                f"v{slot}",
                StepKind.NUMBER,
                _value_prompt(slot),
                options=_skip,
                parse=_parse_value,
                when=_has_target(slot),
                save=_save_value(slot),
            )
        )
        steps.append(
            Step(
                f"n{slot}",
                StepKind.TEXT,
                _note_prompt,
                options=_skip,
                parse=_parse_note,
                when=_has(slot),
                save=_save_note(slot),
                limit=checkins.MAX_NOTE,
            )
        )
        steps.append(
            Step(
                f"e{slot}",
                StepKind.TEXT,
                _evidence_prompt,
                options=_skip,
                parse=_parse_evidence,
                when=_has(slot),
                save=_save_evidence(slot),
            )
        )
    return tuple(steps)


CHECKIN_FLOW = Flow(
    name="checkin",
    title=N_("Progress report"),
    check=_check,
    steps=_steps(),
    complete=lambda ctx: _summary(ctx, saved_note(ctx.t)),
    on_cancel=lambda ctx: _summary(ctx, stopped_note(ctx.t)),
)

CHECKIN_FLOWS = (CHECKIN_FLOW,)
