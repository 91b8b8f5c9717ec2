"""Sơ kết / tổng kết and commendations: the self-review screen, the notices, the committee's
lines (domain.md §2.4, §2.6)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from bot.models.commitments import (
    Campaign,
    RatingLevel,
    ReviewPeriod,
    SelfReview,
    SelfReviewStatus,
)
from bot.render_checkins import answer_text, evidence_text
from bot.render_commitments import campaign_short, rating_label
from bot.services.registers import ItemRecord
from bot.text import escape
from bot.ui import Button, Keyboard, Screen, choice

PERIOD_LABELS = {
    ReviewPeriod.MID_YEAR: N_("mid-year review"),
    ReviewPeriod.YEAR: N_("year-end review"),
}
# The levels a member may propose for themselves (all four: a member may own a failure).
PROPOSABLE = (RatingLevel.EXCELLENT, RatingLevel.GOOD, RatingLevel.DONE, RatingLevel.FAIL)


def period_label(t: Translator, period: ReviewPeriod) -> str:
    """Returns "sơ kết 6 tháng" or "tổng kết năm"."""
    return t.gettext(PERIOD_LABELS[ReviewPeriod(period)])


def period_notice(t: Translator, campaign: Campaign, period: ReviewPeriod) -> Screen:
    """What each member receives when the committee starts a sơ kết or tổng kết."""
    text = t.gettext(
        "📝 The cell starts the {period} of {what}. Comrade, please write your self-review: "
        "your results are listed from your check-ins; add your own assessment and propose "
        "your rating level, then submit.",
        period=period_label(t, period),
        what=campaign_short(t, campaign),
    )
    button = Button(
        t.gettext("📝 Write my self-review"),
        data=choice("kk", campaign.id or 0, ReviewPeriod(period).value),
    )
    return Screen(text, [[button]])


def self_review_screen(
    t: Translator,
    campaign: Campaign,
    review: SelfReview,
    items: list[ItemRecord],
    note: str = "",
) -> Screen:
    """The member's self-review: results per item, their assessment, the proposed level, and
    the buttons to write, choose and submit (none once submitted)."""
    lines = [
        "📝 <b>"
        + t.gettext(
            "Self-review — {period}, {what}",
            period=period_label(t, review.period),
            what=campaign_short(t, campaign),
        )
        + "</b>",
        "",
        "<b>" + t.gettext("Results against the commitment:") + "</b>",
    ]
    if items:
        for n, entry in enumerate(items, start=1):
            answer = answer_text(t, entry.item, entry.latest, evidence=False)
            lines.append(f"{n}) {escape(entry.item.text)}: {answer}")
            if entry.evidence:
                lines.append("   " + evidence_text(t, list(entry.evidence)))
    else:
        lines.append(t.gettext("— no approved commitment"))
    lines.append("")
    lines.append("<b>" + t.gettext("Self-assessment:") + "</b>")
    lines.append(escape(review.text) if review.text else t.gettext("— not written yet"))
    level = (
        rating_label(t, review.proposed_level)
        if review.proposed_level
        else t.gettext("— not chosen yet")
    )
    lines.append(t.gettext("Proposed rating: {level}", level=level))
    submitted = review.status == SelfReviewStatus.SUBMITTED
    if submitted and review.submitted_at is not None:
        lines.append(t.gettext("✅ Submitted on {day}.", day=t.date_text(review.submitted_at)))
    body = "\n".join(lines)
    if note:
        body = f"{note}\n\n{body}"
    keyboard: Keyboard = []
    if not submitted:
        rid = review.id or 0
        keyboard = [
            [Button(t.gettext("✏️ Write the self-assessment"), data=choice("kj", rid))],
            *[
                [Button("⭐ " + rating_label(t, level), data=choice("kg", rid, level.value))]
                for level in PROPOSABLE
            ],
            [Button(t.gettext("📤 Submit the self-review"), data=choice("km", rid))],
        ]
    return Screen(body, keyboard)


def review_counts_lines(t: Translator, counts: dict[ReviewPeriod, tuple[int, int]]) -> list[str]:
    """The committee's line per period started: "Tự kiểm điểm (tổng kết năm): 3/10 đã nộp"."""
    return [
        t.gettext(
            "Self-reviews ({period}): {done}/{total} submitted",
            period=period_label(t, period),
            done=t.number(done),
            total=t.number(total),
        )
        for period, (done, total) in sorted(counts.items())
    ]


def commended_notice(t: Translator, campaign: Campaign, reason: str, item: str | None) -> Screen:
    """What a commended member receives."""
    text = t.gettext(
        "🏅 The cell commends you, comrade, in {what}: {reason}",
        what=campaign_short(t, campaign),
        reason=escape(reason),
    )
    if item:
        text += "\n" + t.gettext("For: {item}", item=escape(item))
    return Screen(text)
