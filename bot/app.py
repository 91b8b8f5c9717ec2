"""The composition root: builds the Telegram application with handlers, jobs and the dispatcher."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import ApplicationBuilder, ContextTypes

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db import Database
from bot.flows.registry import build_engine
from bot.i18n import translator
from bot.models import Priority
from bot.ratelimit import RateLimiter
from bot.services import outbox
from handlers import attendance, meetings, roster, setup, start
from handlers.context import ChibotApp, ChibotContext, Deps
from handlers.menu import set_command_menus
from jobs.dispatcher import Dispatcher
from jobs.telegram_sender import TelegramSender
from jobs.tick import tick_job

log = logging.getLogger(__name__)


def build_application(
    settings: Settings, *, clock: Clock | None = None, db: Database | None = None
) -> ChibotApp:
    """Builds the application `chibot run` polls with (tests and the sandbox use it too)."""
    if not settings.telegram_bot_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    deps = Deps(
        settings=settings,
        db=db or Database(settings.database_url),
        clock=clock or SystemClock(),
        flows=build_engine(),
    )
    timeout = settings.http_timeout
    application: ChibotApp = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token)
        .base_url(settings.bot_api_base)
        .base_file_url(settings.bot_file_base)
        .context_types(ContextTypes(context=ChibotContext))
        .connection_pool_size(64)
        .pool_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout)
        .connect_timeout(timeout)
        .get_updates_read_timeout(timeout + 30)
        .get_updates_connection_pool_size(2)
        .post_init(on_startup)
        .post_shutdown(on_shutdown)
        .build()
    )
    application.bot_data["deps"] = deps
    # Order matters: specific commands and buttons first, the catch-alls last.
    setup.register(application)
    roster.register(application)
    meetings.register(application)
    attendance.register(application)
    start.register(application)
    start.register_fallbacks(application)
    application.add_error_handler(error_handler)
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("python-telegram-bot was installed without the job-queue extra")
    job_queue.run_repeating(tick_job, interval=settings.tick_seconds, first=1, name="tick")
    return application


def deps_of(application: ChibotApp) -> Deps:
    """Returns the dependencies of a built application."""
    deps = application.bot_data["deps"]
    assert isinstance(deps, Deps)
    return deps


async def on_startup(application: ChibotApp) -> None:
    """Learns the bot's username, sets the command menus and starts the outbox dispatcher."""
    deps = deps_of(application)
    deps.bot_username = application.bot.username
    await set_command_menus(application.bot)
    settings = deps.settings
    dispatcher = Dispatcher(
        db=deps.db,
        send=TelegramSender(application.bot),
        clock=deps.clock,
        limiter=RateLimiter(
            global_per_second=settings.rate_global_per_second,
            private_per_second=settings.rate_private_per_second,
            group_per_minute=settings.rate_group_per_minute,
        ),
        retry_base=timedelta(seconds=settings.retry_base_seconds),
        max_attempts=settings.max_attempts,
    )
    deps.dispatcher = dispatcher
    await dispatcher.start()


async def on_shutdown(application: ChibotApp) -> None:
    """Stops the dispatcher (rows in flight are retried by the next run)."""
    deps = deps_of(application)
    if deps.dispatcher is not None:
        await deps.dispatcher.stop()
        deps.dispatcher = None


async def error_handler(update: object, context: ChibotContext) -> None:
    """Logs the error, then tells the person that nothing was changed."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    chat = update.effective_chat
    if chat.type != "private":
        return
    deps = context.deps
    user = update.effective_user
    locale = user.language_code if user else None
    t = translator(locale or deps.settings.locale)
    with deps.db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key=f"err:{update.update_id}",
            chat_id=str(chat.id),
            text=t.gettext("Something went wrong. Nothing was changed; please try again."),
            priority=Priority.INTERACTIVE,
            now=deps.clock.now(),
        )
    if deps.dispatcher is not None:
        deps.dispatcher.wake()


async def start_polling(application: ChibotApp, **kwargs: Any) -> None:
    """Starts an application without run_polling (tests, the sandbox): same startup path."""
    await application.initialize()
    await on_startup(application)
    await application.start()
    assert application.updater is not None
    await application.updater.start_polling(**kwargs)


async def start_webhook(
    application: ChibotApp, *, listen: str, port: int, url: str, secret: str | None
) -> None:
    """Starts an application receiving updates by webhook (tests): same startup path."""
    await application.initialize()
    await on_startup(application)
    await application.start()
    assert application.updater is not None
    path = url.split("/", 3)[3] if url.count("/") >= 3 else ""
    await application.updater.start_webhook(
        listen=listen, port=port, url_path=path, webhook_url=url, secret_token=secret
    )


async def stop_polling(application: ChibotApp) -> None:
    """Stops what start_polling or start_webhook started."""
    assert application.updater is not None
    if application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await on_shutdown(application)
    await application.shutdown()
