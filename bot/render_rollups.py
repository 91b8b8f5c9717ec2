"""The roll-up an officer of a đảng bộ reads: one line per cell (counts only), the cells below a
bar first, then the totals; its chart's panels and the XLSX share these labels."""

from __future__ import annotations

from bot.i18n import Translator
from bot.render_digests import capitalised
from bot.render_reports import period_label
from bot.services.rollups import ATTENDANCE_BAR, PARTICIPATION_BAR, Rollup, RollupLine
from bot.text import escape


def rollup_title(t: Translator, rollup: Rollup) -> str:
    """Returns the roll-up's title (plain text)."""
    if rollup.period is None:
        when = t.gettext("week to {day}", day=t.date_text(rollup.today))
    else:
        when = period_label(t, rollup.period)
    return t.gettext("Cells of {org}: {when}", org=rollup.org.name, when=when)


def _parts(t: Translator, line: RollupLine | Rollup, *, period: bool) -> list[str]:
    parts = [t.ngettext("{n} member", "{n} members", line.members)]
    if period:
        parts.append(t.ngettext("{n} meeting held", "{n} meetings held", line.held))
    if line.attendance is None:
        parts.append(t.gettext("no roll call yet"))
    else:
        parts.append(t.gettext("attendance {rate}%", rate=t.number(line.attendance)))
    if line.expected:
        parts.append(
            t.gettext(
                "registered {registered}/{expected} ({rate}%)",
                registered=t.number(line.registered),
                expected=t.number(line.expected),
                rate=t.number(line.participation or 0),
            )
        )
    if isinstance(line, RollupLine) and line.responses is not None:
        parts.append(t.gettext("check-in answers {rate}%", rate=t.number(line.responses)))
    if line.unexcused:
        parts.append(t.ngettext("{n} unexcused absence", "{n} unexcused absences", line.unexcused))
    return parts


def rollup_text(t: Translator, rollup: Rollup) -> str:
    """Returns the roll-up as a message (HTML)."""
    period = rollup.period is not None
    lines = [f"📊 <b>{escape(rollup_title(t, rollup))}</b>"]
    if not rollup.lines:
        lines.append(t.gettext("No cell is set up under this organisation yet."))
        return "\n".join(lines)
    bars = t.gettext(
        "attendance above {attendance}%, participation from {participation}%",
        attendance=ATTENDANCE_BAR,
        participation=PARTICIPATION_BAR,
    )
    below = rollup.below
    if below:
        lines += ["", t.gettext("⚠️ Below the bar ({bars}):", bars=bars)]
        lines += [
            f"• {escape(line.cell.name)}: {' · '.join(_parts(t, line, period=period))}"
            for line in below
        ]
    above = [line for line in rollup.lines if not line.below_bar]
    if above:
        lines += ["", t.gettext("✅ At or above the bar:")]
        lines += [
            f"• {escape(line.cell.name)}: {' · '.join(_parts(t, line, period=period))}"
            for line in above
        ]
    total = capitalised(t.ngettext("{n} cell", "{n} cells", len(rollup.lines)))
    lines += [
        "",
        t.gettext(
            "Σ Total: {cells}; {figures}.",
            cells=total,
            figures="; ".join(_parts(t, rollup, period=period)),
        ),
    ]
    return "\n".join(lines)
