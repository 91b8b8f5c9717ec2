"""What a command or a choice does, for every channel: Turn → Reply, one module per feature."""

from __future__ import annotations

from bot.actions import (
    announcements,
    attendance,
    checkins,
    commitment_reviews,
    commitments,
    digests,
    meetings,
    notify,
    officers,
    pacts,
    receipts,
    roster,
    self_reviews,
    setup,
    start,
    study,
    tasks,
)
from bot.actions.registry import ActionRegistry


def build_actions() -> ActionRegistry:
    """Returns the registry with every feature's commands, choices and hooks."""
    actions = ActionRegistry()
    for feature in (
        start,
        notify,
        setup,
        roster,
        meetings,
        receipts,
        attendance,
        commitments,
        commitment_reviews,
        pacts,
        checkins,
        self_reviews,
        announcements,
        digests,
        study,
        officers,
        tasks,
    ):
        feature.register(actions)
    return actions
