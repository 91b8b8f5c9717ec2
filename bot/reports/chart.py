"""The digest's chart as a PNG, readable on a phone: at most 1280 px wide, large labels, the
bars against the 85% and 95% lines. Drawn with matplotlib's Agg canvas (no display, no global
pyplot state, safe in worker threads) in DejaVu Sans, which matplotlib ships and which carries
every Vietnamese letter."""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import Translator
from bot.services.digest_charts import ChartSeries

FONT_FILE = Path(mpl.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
FONT = "DejaVu Sans"
WIDTH_INCHES = 8.0  # × DPI = 960 px: within a phone's 1280 px
DPI = 120
LABEL_SIZE = 15
TITLE_SIZE = 17
TITLE_WIDTH = 46  # characters of the title on one line
ATTENDANCE_BAR = 85
RESPONSE_BAR = 95
OK_COLOUR = "#2e7d32"
LOW_COLOUR = "#c62828"
LINE_COLOUR = "#424242"


@dataclass(frozen=True)
class Panel:
    """One chart panel: a title, bars with labels and values in percent, and a bar line."""

    title: str
    labels: Sequence[str]
    values: Sequence[int]
    bar: int
    bar_label: str
    # Whether a value must pass the bar (attendance: more than 85%) or may equal it.
    strict: bool = False

    def meets(self, value: int) -> bool:
        """Tells whether a bar reaches the line."""
        return value > self.bar if self.strict else value >= self.bar


def _value_label(ax: Axes, position: int, value: int, *, horizontal: bool) -> None:
    """Writes "x%" at the end of a bar: inside it in white, or after it when it is short."""
    inside = value >= 20
    end = value - (1 if horizontal else 3) if inside else value + (1 if horizontal else 2)
    ax.text(
        end if horizontal else position,
        position if horizontal else end,
        f"{value}%",
        ha=("right" if inside else "left") if horizontal else "center",
        va="center" if horizontal else ("top" if inside else "bottom"),
        color="white" if inside else "black",
        fontsize=LABEL_SIZE,
        fontweight="bold",
    )


def _draw(ax: Axes, panel: Panel, *, horizontal: bool) -> None:
    colours = [OK_COLOUR if panel.meets(v) else LOW_COLOUR for v in panel.values]
    positions = range(len(panel.values))
    if horizontal:
        ax.barh(positions, panel.values, color=colours)
        ax.axvline(panel.bar, color=LINE_COLOUR, linestyle="--", linewidth=2)
        ax.set_yticks(list(positions), list(panel.labels), fontsize=LABEL_SIZE)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.tick_params(axis="x", labelsize=LABEL_SIZE)
    else:
        ax.bar(positions, panel.values, color=colours)
        ax.axhline(panel.bar, color=LINE_COLOUR, linestyle="--", linewidth=2)
        ax.set_xticks(list(positions), list(panel.labels), fontsize=LABEL_SIZE)
        ax.set_ylim(0, 128)
        ax.set_yticks([0, 20, 40, 60, 80, 100])
        ax.tick_params(axis="y", labelsize=LABEL_SIZE)
    for position, value in enumerate(panel.values):
        _value_label(ax, position, value, horizontal=horizontal)
    if horizontal:
        # Bars fill the width: the line is named in the title, not in a legend over them.
        ax.set_title(f"{panel.title}  (- - {panel.bar_label})", fontsize=TITLE_SIZE, loc="left")
    else:
        ax.set_title(panel.title, fontsize=TITLE_SIZE, loc="left")
        ax.plot([], [], color=LINE_COLOUR, linestyle="--", label=panel.bar_label)
        ax.legend(loc="upper right", fontsize=LABEL_SIZE - 2, framealpha=0.9)
    ax.spines[["top", "right"]].set_visible(False)


def render(title: str, panels: Sequence[Panel], *, horizontal: bool = False) -> bytes:
    """Returns the panels stacked in one PNG under `title`."""
    rows = max(len(panel.values) for panel in panels) if horizontal else 6
    height = sum(1.2 + (0.55 * rows if horizontal else 3.0) for _ in panels) + 0.8
    with mpl.rc_context({"font.family": FONT, "font.size": LABEL_SIZE}):
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI)
        FigureCanvasAgg(figure)
        axes = figure.subplots(len(panels), 1, squeeze=False)
        for ax, panel in zip(axes[:, 0], panels, strict=True):
            _draw(ax, panel, horizontal=horizontal)
        figure.suptitle(
            "\n".join(textwrap.wrap(title, TITLE_WIDTH)),
            fontsize=TITLE_SIZE + 1,
            fontweight="bold",
        )
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def digest_chart(t: Translator, series: ChartSeries) -> bytes | None:
    """Returns the cell's chart, or None when there is nothing to draw."""
    panels = []
    if series.attendance:
        panels.append(
            Panel(
                title=t.gettext("Attendance at the last meetings"),
                labels=[f"{p.day:%d/%m}" for p in series.attendance],
                values=[p.percent for p in series.attendance],
                bar=ATTENDANCE_BAR,
                bar_label=t.gettext("{percent}% bar", percent=ATTENDANCE_BAR),
                strict=True,
            )
        )
    if series.responses:
        panels.append(
            Panel(
                title=t.gettext("Check-in responses"),
                labels=[f"{p.day:%m/%Y}" for p in series.responses],
                values=[p.percent for p in series.responses],
                bar=RESPONSE_BAR,
                bar_label=t.gettext("{percent}% bar", percent=RESPONSE_BAR),
            )
        )
    if not panels:
        return None
    return render(series.cell, panels)
