"""The periodic tick on PTB's JobQueue: asks the database what is due and queues it."""

from __future__ import annotations

import logging

from bot.services import schedule
from handlers.context import ChibotContext

log = logging.getLogger(__name__)


async def tick_job(context: ChibotContext) -> None:
    """Runs the due chores at the injected clock's time and wakes the dispatcher."""
    deps = context.deps
    with deps.db.session() as session:
        report = schedule.run_due(session=session, now=deps.clock.now())
    if report.released_claims or report.expired_flows:
        log.info("tick: %s", report)
    if deps.dispatcher is not None:
        deps.dispatcher.wake()
