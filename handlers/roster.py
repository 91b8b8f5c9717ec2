"""The roster (/dangvien), its member buttons, and decisions on join requests."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.flows.common import translator_for
from bot.models import Organisation, Person, Priority, Role
from bot.render import roster_keyboard, roster_text
from bot.services import invites, members, orgs, outbox
from bot.services.errors import InvalidInput, NotAllowed
from bot.text import escape
from bot.ui import Button, Screen
from handlers.base import Reply, Turn, interact
from handlers.context import ChibotApp, ChibotContext
from handlers.start import outcome_reply


def private_only(turn: Turn) -> None:
    """Refuses committee commands in a group: the roster and forms belong in private chats."""
    if turn.in_group:
        raise InvalidInput("group_only_here")


def _roster_screen(turn: Turn, org: Organisation, page: int) -> Screen:
    assert org.id is not None
    acting = members.require_committee(session=turn.session, person=turn.person, org_id=org.id)
    entries = members.roster(session=turn.session, org_id=org.id)
    keyboard = []
    if acting.role in {Role.SECRETARY, Role.DEPUTY}:
        keyboard = roster_keyboard(turn.t, org.id, entries, page)
    text = roster_text(turn.t, org, entries)
    if keyboard:
        text += "\n\n" + turn.t.gettext("Tap a name to change a role or status, or to remove.")
    return Screen(text, keyboard)


def _members(turn: Turn) -> Reply:
    private_only(turn)
    cells = members.committee_cells(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("committee_only")
    if len(cells) == 1:
        return Reply(screens=[_roster_screen(turn, cells[0][1], 0)])
    keyboard = [[Button(org.name, data=f"rp|{org.id}|0")] for _, org in cells]
    return Reply(screens=[Screen(turn.t.gettext("Which cell is this for?"), keyboard)])


async def members_command(update: Update, context: ChibotContext) -> None:
    """Sends the roster with status and reachability to a committee member."""
    await interact(update, context, _members)


def _page(turn: Turn) -> Reply:
    _, org_id, page = turn.data.split("|")
    org = orgs.get_org(session=turn.session, org_id=int(org_id))
    return Reply(edit=_roster_screen(turn, org, int(page)))


async def roster_page_button(update: Update, context: ChibotContext) -> None:
    """Shows another page of the roster."""
    await interact(update, context, _page)


def _member_button(turn: Turn) -> Reply:
    _, org_id, member_id = turn.data.split("|")
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="edit_member",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"org_id": int(org_id), "member_id": int(member_id)},
    )
    return Reply(screens=[outcome.screen])


async def member_button(update: Update, context: ChibotContext) -> None:
    """Opens the edit form for one member."""
    await interact(update, context, _member_button)


def _decide(turn: Turn) -> Reply:
    _, request_id, verdict = turn.data.split("|")
    approve = verdict == "a"
    request, member = invites.decide_join(
        session=turn.session,
        request_id=int(request_id),
        approver=turn.person,
        approve=approve,
        now=turn.now,
    )
    org = orgs.get_org(session=turn.session, org_id=request.org_id)
    joiner = turn.session.get(Person, request.person_id)
    name = escape(request.full_name)
    if joiner is not None:
        t = translator_for(joiner, org)
        if approve:
            text = t.gettext(
                "Welcome, comrade {name}! The secretary approved your request: you are now in "
                "<b>{cell}</b>. Send /trogiup to see what you can do.",
                name=name,
                cell=escape(org.name),
            )
        else:
            text = t.gettext(
                "Your request to join <b>{cell}</b> was not approved. If this is a mistake, "
                "please contact the cell secretary.",
                cell=escape(org.name),
            )
        outbox.enqueue_message(
            session=turn.session,
            dedupe_key=f"joindecision:{request.id}",
            chat_id=joiner.external_id,
            text=text,
            priority=Priority.NORMAL,
            person_id=joiner.id,
            org_id=org.id,
            now=turn.now,
        )
    if member is not None:
        verdict_text = turn.t.gettext("✅ Approved: <b>{name}</b> joined.", name=name)
    else:
        verdict_text = turn.t.gettext("✖️ Rejected: <b>{name}</b>.", name=name)
    return Reply(edit=Screen(verdict_text))


async def join_decision_button(update: Update, context: ChibotContext) -> None:
    """Approves or rejects a join request from a cell link."""
    await interact(update, context, _decide)


def _invite(turn: Turn) -> Reply:
    private_only(turn)
    outcome = turn.deps.flows.start(
        session=turn.session,
        name="invite",
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        params={"bot_username": turn.deps.bot_username},
    )
    return outcome_reply(outcome)


async def invite_command(update: Update, context: ChibotContext) -> None:
    """Opens the invite form: add people with personal links, or a cell link."""
    await interact(update, context, _invite)


def register(application: ChibotApp) -> None:
    """Adds the handlers of this module."""
    application.add_handler(CommandHandler(["dangvien", "members"], members_command))
    application.add_handler(CommandHandler(["moi", "invite"], invite_command))
    application.add_handler(CallbackQueryHandler(roster_page_button, pattern=r"^rp\|\d+\|\d+$"))
    application.add_handler(CallbackQueryHandler(member_button, pattern=r"^mb\|\d+\|\d+$"))
    application.add_handler(CallbackQueryHandler(join_decision_button, pattern=r"^jr\|\d+\|[ar]$"))
