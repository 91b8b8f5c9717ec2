"""What /tonghop and /baocao give an officer of a đảng bộ: the roll-up of its cells (counts
only), as a message, a chart and, for a period, an XLSX."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.models import Organisation
from bot.render_rollups import rollup_text
from bot.services import period_reports, rollups
from bot.ui import FileOut, Screen

CHART_FILE = "bieu-do-cac-chi-bo.png"


def _chart(turn: Turn, rollup: rollups.Rollup) -> list[FileOut]:
    if not (turn.channel.file_upload or turn.core.settings.photos_by_url):
        return []
    if not any(line.attendance is not None or line.expected for line in rollup.lines):
        return []
    from bot.reports.rollup_files import rollup_chart  # matplotlib is loaded only to draw

    png = rollup_chart(turn.t, rollup)
    return [] if png is None else [FileOut(CHART_FILE, content=png, photo=True)]


def weekly(turn: Turn, org: Organisation) -> tuple[Screen, list[FileOut]]:
    """The đảng bộ's weekly roll-up and its chart."""
    rollup = rollups.weekly(session=turn.session, org=org, now=turn.now)
    return Screen(rollup_text(turn.t, rollup)), _chart(turn, rollup)


def for_period(turn: Turn, org: Organisation, period: period_reports.Period) -> Reply:
    """The period's roll-up: the message, its chart and (where files travel) the XLSX."""
    rollup = rollups.for_period(session=turn.session, org=org, period=period, now=turn.now)
    files = _chart(turn, rollup)
    if turn.channel.file_upload:
        from bot.reports.rollup_files import rollup_xlsx  # openpyxl is loaded only when asked

        name = f"tong-hop-chi-bo-{period.code}.xlsx"
        files.append(FileOut(name, content=rollup_xlsx(turn.t, rollup)))
    return Reply(screens=[Screen(rollup_text(turn.t, rollup))], files=files)
