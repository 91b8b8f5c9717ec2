"""The cell's settings forms (/caidat): time zone, reminders of new meetings, the weekly
digest's day and time, the language of new members. Each refuses a bad value and asks again;
each ends on the settings screen saying what changed."""

from __future__ import annotations

from typing import Any

from bot.date_examples import time_error_text
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Option, Step, StepKind
from bot.i18n import N_
from bot.models import Organisation
from bot.render import error_text
from bot.render_meetings import offsets_text
from bot.render_settings import LANGUAGES, settings_screen, weekday_label
from bot.services import cell_settings, meetings
from bot.services.errors import DomainError, InvalidInput
from bot.ui import Screen

ZONES = ("Asia/Ho_Chi_Minh", "Asia/Bangkok", "Asia/Tokyo", "Europe/Moscow", "Europe/Berlin")
OFFSET_PRESETS: tuple[list[int], ...] = ([4320, 1440, 120], [1440, 120], [120], [])
TIMES = ("07:30", "12:00", "19:30")
OFF = "off"


def _invalid(ctx: FlowContext, error: DomainError) -> InvalidAnswer:
    return InvalidAnswer(error_text(ctx.t, error))


def _org(ctx: FlowContext) -> Organisation:
    """The cell the form is for, re-checking that the person may change it."""
    org, _ = cell_settings.editable_cell(
        session=ctx.session, person=ctx.person, org_id=int(ctx.params["org_id"])
    )
    return org


def _check(ctx: FlowContext) -> None:
    _org(ctx)


def _done(ctx: FlowContext, org: Organisation) -> Screen:
    return settings_screen(ctx.t, org, ctx.now, ctx.t.gettext("✅ Saved."))


def _back(ctx: FlowContext) -> Screen:
    cancelled = ctx.t.gettext("Cancelled. Nothing was changed.")
    try:
        return settings_screen(ctx.t, _org(ctx), ctx.now, cancelled)
    except DomainError:
        return Screen(cancelled)


# --- time zone -----------------------------------------------------------------------------------


def _parse_zone(ctx: FlowContext, text: str) -> Any:
    try:
        return cell_settings.check_timezone(text)
    except InvalidInput as exc:
        raise _invalid(ctx, exc) from exc


def _save_zone(ctx: FlowContext, value: Any) -> None:
    org = _org(ctx)
    if org.digest_enabled:
        try:
            cell_settings.check_digest_slot(
                org, str(value), org.digest_weekday, org.digest_time, ctx.now
            )
        except InvalidInput as exc:
            raise _invalid(ctx, exc) from exc


def _complete_zone(ctx: FlowContext) -> Screen:
    org = cell_settings.set_timezone(
        session=ctx.session,
        org_id=int(ctx.params["org_id"]),
        person=ctx.person,
        timezone=str(ctx.answers["zone"]),
        now=ctx.now,
    )
    return _done(ctx, org)


TIMEZONE_FLOW = Flow(
    name="settings_timezone",
    title=N_("Time zone setting"),
    check=_check,
    steps=(
        Step(
            "zone",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "The cell's time zone: tap one, or type its name, e.g. “Asia/Ho_Chi_Minh”."
            ),
            options=lambda _ctx: [Option(z, z) for z in ZONES],
            parse=_parse_zone,
            save=_save_zone,
            limit=64,
        ),
    ),
    complete=_complete_zone,
    on_cancel=_back,
)


# --- reminders -----------------------------------------------------------------------------------


def _offset_options(ctx: FlowContext) -> list[Option]:
    return [
        Option(",".join(str(m) for m in preset) or "none", offsets_text(ctx.t, preset))
        for preset in OFFSET_PRESETS
    ]


def _parse_offsets(ctx: FlowContext, text: str) -> Any:
    try:
        offsets = meetings.parse_offsets(text)
    except InvalidInput as exc:
        raise _invalid(ctx, exc) from exc
    return ",".join(str(m) for m in offsets) or "none"


def _complete_offsets(ctx: FlowContext) -> Screen:
    raw = str(ctx.answers["offsets"])
    org = cell_settings.set_reminders(
        session=ctx.session,
        org_id=int(ctx.params["org_id"]),
        person=ctx.person,
        offsets=[] if raw == "none" else [int(x) for x in raw.split(",")],
        now=ctx.now,
    )
    return _done(ctx, org)


REMINDERS_FLOW = Flow(
    name="settings_reminders",
    title=N_("Reminder settings"),
    check=_check,
    steps=(
        Step(
            "offsets",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "When should new meetings remind members? Tap one, or type e.g. “2 days, 3 hours”."
            ),
            options=_offset_options,
            parse=_parse_offsets,
        ),
    ),
    complete=_complete_offsets,
    on_cancel=_back,
)


# --- the weekly digest ---------------------------------------------------------------------------


def _day_options(ctx: FlowContext) -> list[Option]:
    days = [Option(str(d), weekday_label(ctx.t, d)) for d in range(7)]
    return [*days, Option(OFF, ctx.t.gettext("🔕 No weekly digest"))]


def _parse_time(ctx: FlowContext, text: str) -> Any:
    try:
        return cell_settings.check_digest_time(text)
    except InvalidInput as exc:
        if exc.code.startswith("date_"):
            raise InvalidAnswer(time_error_text(ctx.t, exc.code.removeprefix("date_"))) from exc
        raise _invalid(ctx, exc) from exc


def _save_time(ctx: FlowContext, value: Any) -> None:
    org = _org(ctx)
    try:
        cell_settings.check_digest_slot(
            org, org.timezone, int(ctx.answers["day"]), str(value), ctx.now
        )
    except InvalidInput as exc:
        raise _invalid(ctx, exc) from exc


def _complete_digest(ctx: FlowContext) -> Screen:
    day = str(ctx.answers["day"])
    org = _org(ctx)
    org = cell_settings.set_digest(
        session=ctx.session,
        org_id=org.id or 0,
        person=ctx.person,
        enabled=day != OFF,
        weekday=org.digest_weekday if day == OFF else int(day),
        hhmm=str(ctx.answers.get("time", org.digest_time)),
        now=ctx.now,
    )
    return _done(ctx, org)


DIGEST_FLOW = Flow(
    name="settings_digest",
    title=N_("Digest settings"),
    check=_check,
    steps=(
        Step(
            "day",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext("On which day should the weekly digest go out?"),
            options=_day_options,
            columns=2,
        ),
        Step(
            "time",
            StepKind.TEXT,
            lambda ctx: ctx.t.gettext(
                "At what time (in the cell's zone, {zone})? Tap one, or type e.g. “19:30”.",
                zone=_org(ctx).timezone,
            ),
            options=lambda _ctx: [Option(x, x) for x in TIMES],
            parse=_parse_time,
            save=_save_time,
            when=lambda ctx: ctx.answers.get("day") != OFF,
        ),
    ),
    complete=_complete_digest,
    on_cancel=_back,
)


# --- language ------------------------------------------------------------------------------------


def _complete_language(ctx: FlowContext) -> Screen:
    org = cell_settings.set_language(
        session=ctx.session,
        org_id=int(ctx.params["org_id"]),
        person=ctx.person,
        locale=str(ctx.answers["locale"]),
        now=ctx.now,
    )
    return _done(ctx, org)


LANGUAGE_FLOW = Flow(
    name="settings_language",
    title=N_("Language setting"),
    check=_check,
    steps=(
        Step(
            "locale",
            StepKind.CHOICE,
            lambda ctx: ctx.t.gettext(
                "Which language should members who have not chosen one get? Each comrade can "
                "still choose with /ngonngu."
            ),
            options=lambda _ctx: [Option(code, label) for code, label in LANGUAGES.items()],
        ),
    ),
    complete=_complete_language,
    on_cancel=_back,
)

SETTINGS_FLOWS = (TIMEZONE_FLOW, REMINDERS_FLOW, DIGEST_FLOW, LANGUAGE_FLOW)
