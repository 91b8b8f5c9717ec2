"""The roster (/dangvien), its member buttons, invites (/moi) and decisions on join requests."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.registry import ActionRegistry, one_of
from bot.flows.common import translator_for
from bot.models import Organisation, Person, Priority, Role
from bot.render import roster_keyboard, roster_text
from bot.services import invites, members, menus, orgs, outbox, people, roster_reads
from bot.services.errors import InvalidInput, NotAllowed
from bot.text import escape
from bot.ui import Button, Screen, choice


def private_only(turn: Turn) -> None:
    """Refuses committee commands in a group: the roster and forms belong in private chats."""
    if turn.in_group:
        raise InvalidInput("group_only_here")


def _roster_screen(turn: Turn, org: Organisation, page: int) -> Screen:
    assert org.id is not None
    acting = members.require_committee(session=turn.session, person=turn.person, org_id=org.id)
    entries = roster_reads.roster(session=turn.session, org_id=org.id)
    editable = acting.role in {Role.SECRETARY, Role.DEPUTY}
    keyboard = roster_keyboard(turn.t, org.id, entries, page, editable=editable)
    text = roster_text(turn.t, org, entries, page)
    if editable and entries:
        text += "\n\n" + turn.t.gettext(
            "Tap a name to change a role, a status or the name, or to remove."
        )
    return Screen(text, keyboard)


def roster(turn: Turn) -> Reply:
    """Sends the roster with status and reachability to a committee member."""
    private_only(turn)
    cells = members.committee_cells(session=turn.session, person=turn.person)
    if not cells:
        raise NotAllowed("committee_only")
    if len(cells) == 1:
        return Reply(screens=[_roster_screen(turn, cells[0][1], 0)])
    keyboard = [[Button(org.name, data=choice("rp", org.id or 0, 0))] for _, org in cells]
    return Reply(screens=[Screen(turn.t.gettext("Which cell is this for?"), keyboard)])


def roster_page(turn: Turn, org_id: int, page: int) -> Reply:
    """Shows another page of the roster."""
    org = orgs.get_org(session=turn.session, org_id=org_id)
    return Reply(edit=_roster_screen(turn, org, page))


def member_chosen(turn: Turn, org_id: int, member_id: int) -> Reply:
    """Opens the edit form for one member."""
    outcome = open_form(turn, "edit_member", org_id=org_id, member_id=member_id)
    return Reply(screens=[outcome.screen])


def join_decided(turn: Turn, request_id: int, verdict: str) -> Reply:
    """Approves or rejects a join request from a cell link, and tells the person."""
    approve = verdict == "a"
    request, member = invites.decide_join(
        session=turn.session,
        request_id=request_id,
        approver=turn.person,
        approve=approve,
        now=turn.now,
    )
    org = orgs.get_org(session=turn.session, org_id=request.org_id)
    joiner = turn.session.get(Person, request.person_id)
    if joiner is not None and member is not None:
        menus.queue_own_menu(session=turn.session, person=joiner, now=turn.now)
    name = escape(request.full_name)
    account = people.address(session=turn.session, person=joiner) if joiner else None
    if joiner is not None and account is not None:
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
            chat_id=account.external_id,
            channel=account.channel,
            text=text,
            priority=Priority.NORMAL,
            person_id=joiner.id,
            org_id=org.id,
            is_group=False,
            now=turn.now,
        )
    if member is not None:
        verdict_text = turn.t.gettext("✅ Approved: <b>{name}</b> joined.", name=name)
    else:
        verdict_text = turn.t.gettext("✖️ Rejected: <b>{name}</b>.", name=name)
    return Reply(edit=Screen(verdict_text))


def invite(turn: Turn) -> Reply:
    """Opens the invite form: add people with personal links, or a cell link."""
    private_only(turn)
    outcome = open_form(
        turn,
        "invite",
        bot_username=turn.core.bot_username,
        zalo=turn.core.settings.zalo_bot_token is not None,
    )
    return outcome_reply(outcome)


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands and choices."""
    actions.command(["dangvien", "members"], roster, committee=True)
    actions.command(["moi", "invite"], invite, committee=True)
    actions.choice("rp", roster_page, int, int)
    actions.choice("mb", member_chosen, int, int)
    actions.choice("jr", join_decided, int, one_of("a", "r"))
