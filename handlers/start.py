"""Start, help, language, cancel, free text and the buttons of forms."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.flows.engine import Outcome, StaleButton
from bot.i18n import translator
from bot.models import COMMITTEE_ROLES, InviteKind, Role
from bot.render import (
    help_text,
    language_screen,
    not_understood,
    stale_button,
    welcome_member,
    welcome_stranger,
)
from bot.services import invites, members, people
from bot.ui import Screen
from handlers.base import Reply, Turn, interact
from handlers.context import ChibotApp, ChibotContext


def outcome_reply(outcome: Outcome) -> Reply:
    """Turns a flow outcome into what to send (an edit for taps, an error before the question)."""
    if outcome.error:
        # One message: what was wrong, then the same question again with its buttons.
        text = f"⚠️ {outcome.error}\n\n{outcome.screen.text}"
        return Reply(screens=[Screen(text, outcome.screen.keyboard)])
    if outcome.edit:
        return Reply(edit=outcome.screen)
    return Reply(screens=[outcome.screen])


def _start(turn: Turn) -> Reply:
    if turn.in_group:
        return Reply(
            screens=[Screen(help_text(turn.t, in_group=True, committee=False, secretary=False))]
        )
    if turn.args:
        token = turn.args[0]
        return Reply(screens=[_start_with_token(turn, token)])
    resumed = turn.deps.flows.resume(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now
    )
    cells = [org for _, org in members.memberships(session=turn.session, person=turn.person)]
    welcome = welcome_member(turn.t, cells) if cells else welcome_stranger(turn.t)
    screens = [Screen(welcome)]
    if resumed is not None:
        screens.append(resumed.screen)
    return Reply(screens=screens)


def _start_with_token(turn: Turn, token: str) -> Screen:
    kind = invites.kind_of(session=turn.session, token=token)
    name = "join_personal" if kind == InviteKind.PERSONAL else "join_request"
    outcome = turn.deps.flows.start(
        session=turn.session,
        name=name,
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"token": token},
    )
    return outcome.screen


async def start_command(update: Update, context: ChibotContext) -> None:
    """Welcomes a person; `/start <token>` opens the join form of an invite link."""
    await interact(update, context, _start)


def _help(turn: Turn) -> Reply:
    cells = members.memberships(session=turn.session, person=turn.person)
    committee = any(m.role in COMMITTEE_ROLES for m, _ in cells)
    secretary = any(m.role in {Role.SECRETARY, Role.DEPUTY} for m, _ in cells)
    text = help_text(turn.t, in_group=turn.in_group, committee=committee, secretary=secretary)
    return Reply(screens=[Screen(text)])


async def help_command(update: Update, context: ChibotContext) -> None:
    """Sends what the person can do in this chat, for their role."""
    await interact(update, context, _help)


async def language_command(update: Update, context: ChibotContext) -> None:
    """Offers Tiếng Việt / English."""
    await interact(update, context, lambda turn: Reply(screens=[language_screen(turn.t)]))


def _language_chosen(turn: Turn) -> Reply:
    locale = turn.data.split("|", 1)[1]
    people.set_locale(session=turn.session, person=turn.person, locale=locale)
    t = translator(locale, turn.t.tz.key)
    return Reply(edit=Screen(t.gettext("Language set: English.")), toast=None)


async def language_button(update: Update, context: ChibotContext) -> None:
    """Remembers the chosen language."""
    await interact(update, context, _language_chosen)


def _cancel(turn: Turn) -> Reply:
    had_flow = turn.deps.flows.cancel(turn.session, turn.key)
    if had_flow:
        return Reply(screens=[Screen(turn.t.gettext("Cancelled. Nothing was changed."))])
    return Reply(screens=[Screen(turn.t.gettext("There is no open form to cancel."))])


async def cancel_command(update: Update, context: ChibotContext) -> None:
    """Leaves the current form."""
    await interact(update, context, _cancel)


def _text(turn: Turn, text: str) -> Reply:
    outcome = turn.deps.flows.answer_text(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now, text=text
    )
    if outcome is None:
        if turn.in_group:
            return Reply()
        return Reply(screens=[Screen(not_understood(turn.t))])
    return outcome_reply(outcome)


async def text_message(update: Update, context: ChibotContext) -> None:
    """Feeds typed text to the open form, or explains that nothing is open."""
    message = update.effective_message
    if message is None or message.text is None:
        return
    text = message.text
    await interact(update, context, lambda turn: _text(turn, text))


def _flow_button(turn: Turn) -> Reply:
    try:
        outcome = turn.deps.flows.answer_button(
            session=turn.session,
            key=turn.key,
            person=turn.person,
            t=turn.t,
            now=turn.now,
            data=turn.data,
        )
    except StaleButton as exc:
        return Reply(toast=stale_button(turn.t, exc.reason), alert=True)
    return outcome_reply(outcome)


async def flow_button(update: Update, context: ChibotContext) -> None:
    """Feeds a form button to the flow engine (stale or foreign buttons get a polite answer)."""
    await interact(update, context, _flow_button)


async def unknown_command(update: Update, context: ChibotContext) -> None:
    """Explains that a command is unknown (private chats only; groups stay quiet)."""
    await interact(
        update,
        context,
        lambda turn: Reply(
            screens=[Screen(turn.t.gettext("I do not know that command. Send /trogiup."))]
        ),
    )


async def unknown_button(update: Update, context: ChibotContext) -> None:
    """Answers a button this version does not know (e.g. from an older release)."""
    await interact(
        update, context, lambda turn: Reply(toast=stale_button(turn.t, "stale"), alert=True)
    )


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler("start", start_command))
    application.add_handler(CommandHandler(["trogiup", "help"], help_command))
    application.add_handler(CommandHandler(["ngonngu", "language"], language_command))
    application.add_handler(CommandHandler(["huy", "cancel"], cancel_command))
    application.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang\|(vi|en)$"))
    application.add_handler(CallbackQueryHandler(flow_button, pattern=r"^f\|"))


def register_fallbacks(application: ChibotApp) -> None:
    """Adds the catch-alls; registered last so that specific handlers win."""
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text_message))
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, unknown_command)
    )
    application.add_handler(CallbackQueryHandler(unknown_button))
