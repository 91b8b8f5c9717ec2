"""/tonghop (the digest now), /baocao (a period report, with its DOCX and XLSX) and /caidat
(the cell's settings): committee commands."""

from __future__ import annotations

from bot.actions import rollups as rollup_actions
from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry, one_of, word
from bot.actions.roster import private_only
from bot.models import Organisation, Role
from bot.render_digests import capitalised, committee_digest, group_digest
from bot.render_reports import period_label, report_text
from bot.render_settings import settings_screen
from bot.services import (
    campaigns,
    cell_settings,
    digest_charts,
    digest_schedule,
    digests,
    members,
    notices,
    orgs,
    outbox,
    period_reports,
    rollups,
)
from bot.services.errors import NotAllowed
from bot.text import escape
from bot.ui import Button, FileOut, Screen, choice

# --- /tonghop ------------------------------------------------------------------------------------


def _post_in_group(turn: Turn, org: Organisation, figures: digests.DigestFigures) -> bool:
    """Queues the digest in the cell's group, then its chart; False when one was posted this
    same minute."""
    key = f"digest:{org.id}:asked:{turn.now:%Y%m%dT%H%M}"
    rows = notices.fan_out_rows(
        org=org,
        people=[],
        build=lambda t: Screen(group_digest(t, figures)),
        key=key,
        now=turn.now,
        include_group=True,
    )
    if outbox.enqueue_many(session=turn.session, rows=rows) == 0:
        return False
    charts = digest_schedule.chart_rows(
        session=turn.session,
        org=org,
        people=[],
        in_group=True,
        key=key,
        now=turn.now,
        photos_by_url=turn.core.settings.photos_by_url,
    )
    outbox.enqueue_many(session=turn.session, rows=charts)
    return True


def _chart(turn: Turn, org: Organisation) -> list[FileOut]:
    """The cell's chart for the person asking, when their channel can show it."""
    if not (turn.channel.file_upload or turn.core.settings.photos_by_url):
        return []
    series = digest_charts.chart_series(session=turn.session, org=org, now=turn.now)
    if series.empty:
        return []
    from bot.reports.chart import digest_chart  # matplotlib is loaded only to draw

    png = digest_chart(turn.t, series)
    if png is None:
        return []
    name = escape(org.name) if turn.channel.html else org.name
    caption = turn.t.gettext("📊 {cell}: attendance and check-in responses", cell=name)
    return [FileOut(digest_schedule.CHART_FILE, content=png, caption=caption, photo=True)]


def digest_now(turn: Turn) -> Reply:
    """Posts the digest in the group now and answers the committee member privately with the
    exceptions first (on Zalo, which has no groups, only the private digest)."""
    if turn.in_group:
        org = turn.group_org
        if org is None or org.id is None:
            return Reply()
        cells = [org]
        members.require_committee(session=turn.session, person=turn.person, org_id=org.id)
    else:
        cells = [o for _, o in members.committee_cells(session=turn.session, person=turn.person)]
        if not cells:
            raise NotAllowed("committee_only")
    private: list[Screen] = []
    charts: list[FileOut] = []
    for org in cells:
        if not turn.in_group and rollups.is_dang_bo(session=turn.session, org_id=org.id or 0):
            screen, chart = rollup_actions.weekly(turn, org)
            private.append(screen)
            charts += chart
            continue
        figures = digests.digest_figures(session=turn.session, org=org, now=turn.now)
        found = digests.exceptions(session=turn.session, figures=figures)
        in_group = bool(org.group_chat_id)
        if in_group and not _post_in_group(turn, org, figures):
            text = turn.t.gettext("The digest was posted in the group a moment ago.")
            if turn.in_group:
                return Reply(screens=[Screen(text)])
            private.append(Screen(text))
            continue
        private.append(Screen(committee_digest(turn.t, figures, found, posted_in_group=in_group)))
        if not turn.in_group:
            charts += _chart(turn, org)
    if turn.in_group:
        return Reply(private=private)
    return Reply(screens=private, files=charts)


# --- /baocao -------------------------------------------------------------------------------------


def _report_cells(turn: Turn) -> list[Organisation]:
    private_only(turn)
    cells = [o for _, o in members.committee_cells(session=turn.session, person=turn.person)]
    if not cells:
        raise NotAllowed("committee_only")
    return cells


def _periods_screen(turn: Turn, org: Organisation) -> Screen:
    today = campaigns.local_today(org, turn.now)
    keyboard = [
        [
            Button(
                capitalised(period_label(turn.t, p)),
                data=choice("bp", org.id or 0, p.code),
            )
        ]
        for p in period_reports.choices(today)
    ]
    text = turn.t.gettext(
        "Which period should the report of {cell} cover? You can also type it with the "
        "command, e.g. /baocao {example}.",
        cell=escape(org.name),
        example=str(today.year) + "-H1",
    )
    return Screen(text, keyboard)


def report(turn: Turn) -> Reply:
    """Offers the periods to report on (or reports at once on a period typed after it)."""
    cells = _report_cells(turn)
    if turn.args:
        period = period_reports.parse_period(turn.args[0])
        return _report(turn, cells[0], period)
    if len(cells) > 1:
        keyboard = [[Button(o.name, data=choice("bo", o.id or 0))] for o in cells]
        return Reply(screens=[Screen(turn.t.gettext("Which cell is this for?"), keyboard)])
    return Reply(screens=[_periods_screen(turn, cells[0])])


def report_cell(turn: Turn, org_id: int) -> Reply:
    """Offers the periods of the chosen cell."""
    private_only(turn)
    org = orgs.get_org(session=turn.session, org_id=org_id)  # a forged id: no longer valid
    members.require_committee(session=turn.session, person=turn.person, org_id=org_id)
    return Reply(screens=[_periods_screen(turn, org)])


def report_period(turn: Turn, org_id: int, code: str) -> Reply:
    """Sends the chosen period's report."""
    private_only(turn)
    org = orgs.get_org(session=turn.session, org_id=org_id)  # a forged id: no longer valid
    members.require_committee(session=turn.session, person=turn.person, org_id=org_id)
    return _report(turn, org, period_reports.parse_period(code))


def _report(turn: Turn, org: Organisation, period: period_reports.Period) -> Reply:
    if rollups.is_dang_bo(session=turn.session, org_id=org.id or 0):
        return rollup_actions.for_period(turn, org, period)
    figures = period_reports.period_report(
        session=turn.session, org=org, period=period, now=turn.now
    )
    screens = [Screen(report_text(turn.t, figures))]
    if not turn.channel.file_upload:
        note = turn.t.gettext(
            "Zalo cannot carry files from me. Send /baocao {period} on Telegram for the DOCX "
            "and XLSX, or ask the operator: chibot report export “{cell}” --period {period} "
            "--format docx",
            period=period.code,
            cell=escape(org.name),
        )
        return Reply(screens=[*screens, Screen(note)])
    from bot.reports.period_docx import period_docx  # loaded only when asked for
    from bot.reports.period_xlsx import period_xlsx

    name = f"bao-cao-{period.code}"
    caption = turn.t.gettext(
        "Report: {cell}, {period}", cell=escape(org.name), period=period_label(turn.t, period)
    )
    files = [
        FileOut(f"{name}.docx", content=period_docx(turn.t, figures), caption=caption),
        FileOut(f"{name}.xlsx", content=period_xlsx(turn.t, figures), caption=caption),
    ]
    return Reply(screens=screens, files=files)


# --- /caidat -------------------------------------------------------------------------------------


def settings(turn: Turn) -> Reply:
    """Shows the cell's settings with "✏️" per setting (secretary or deputy, privately)."""
    private_only(turn)
    cells = [
        o
        for m, o in members.committee_cells(session=turn.session, person=turn.person)
        if m.role in {Role.SECRETARY, Role.DEPUTY}
    ]
    if not cells:
        raise NotAllowed("secretary_only")
    return Reply(screens=[settings_screen(turn.t, org, turn.now) for org in cells])


def edit_setting(turn: Turn, org_id: int, what: str) -> Reply:
    """Opens the form that changes one setting."""
    private_only(turn)
    cell_settings.editable_cell(session=turn.session, person=turn.person, org_id=org_id)
    return outcome_reply(open_form(turn, f"settings_{what}", org_id=org_id))


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands and choices."""
    actions.command(["tonghop", "digest"], digest_now, committee=True)
    actions.command(["baocao", "report"], report, committee=True)
    actions.command(["caidat", "settings"], settings, committee=True)
    actions.choice("bo", report_cell, int)
    actions.choice("bp", report_period, int, word)
    actions.choice(
        "cs", edit_setting, int, one_of("timezone", "reminders", "digest", "language", "cadence")
    )
    actions.again("baocao", "bo", "bp")
