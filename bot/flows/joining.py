"""Joining a cell: confirming a personal invite, or asking to join through a cell link."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from bot.flows.common import translator_for
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Step, StepKind
from bot.i18n import N_
from bot.models import Organisation, Person, Priority
from bot.render import error_text, role_label, status_label
from bot.services import invites, members, menus, outbox, people
from bot.services.errors import InvalidInput
from bot.text import InvalidName, escape, validate_name
from bot.ui import Button, Screen


def _preview(ctx: FlowContext) -> invites.InvitePreview:
    """Checks the invite (once per turn: the check, the prompt and the completion share it)."""
    found: invites.InvitePreview | None = ctx.memo.get("preview")
    if found is None:
        found = invites.preview_invite(
            session=ctx.session, token=str(ctx.params["token"]), person=ctx.person, now=ctx.now
        )
        ctx.memo["preview"] = found
    return found


def _personal_prompt(ctx: FlowContext) -> str:
    preview = _preview(ctx)
    assert preview.member is not None
    if preview.links_account:
        return ctx.t.gettext(
            "Comrade <b>{name}</b> of <b>{cell}</b> has already joined on another app. Do you "
            "want to use me here too? Your notifications will come here from now on.\n"
            "Is this you?",
            cell=escape(preview.org.name),
            name=escape(preview.member.full_name),
        )
    return ctx.t.gettext(
        "You are invited to join <b>{cell}</b> as comrade <b>{name}</b> — {role}, {status}.\n"
        "Is this you?",
        cell=escape(preview.org.name),
        name=escape(preview.member.full_name),
        role=role_label(ctx.t, preview.member.role),
        status=status_label(ctx.t, preview.member.status),
    )


def _notify_committee(ctx: FlowContext, org: Organisation, key: str, build: Any) -> None:
    """Queues one private message per secretary/deputy, each in their own language, on the
    account they are notified on."""
    assert org.id is not None
    person_ids = [
        m.person_id
        for m in members.secretaries(session=ctx.session, org_id=org.id)
        if m.person_id is not None
    ]
    if not person_ids:
        return
    accounts = people.addresses(session=ctx.session, person_ids=person_ids)
    persons = ctx.session.exec(
        select(Person).where(col(Person.id).in_(person_ids)).order_by(col(Person.id))
    ).all()
    for person in persons:
        account = accounts.get(person.id) if person.id is not None else None
        if account is None:
            continue
        screen: Screen = build(translator_for(person, org))
        outbox.enqueue_message(
            session=ctx.session,
            dedupe_key=f"{key}:{person.id}",
            chat_id=account.external_id,
            text=screen.text,
            keyboard=screen.keyboard,
            priority=Priority.NORMAL,
            person_id=person.id,
            org_id=org.id,
            is_group=False,
            channel=account.channel,
            now=ctx.now,
        )


def _complete_personal(ctx: FlowContext) -> Screen:
    links_account = _preview(ctx).links_account
    # The account this form runs in: a second app of someone who joined becomes theirs.
    account = people.get_account(
        session=ctx.session, channel=ctx.key.channel, external_id=ctx.key.user_id
    )
    member, org = invites.accept_personal_invite(
        session=ctx.session,
        token=str(ctx.params["token"]),
        person=ctx.person,
        now=ctx.now,
        account=account,
    )
    joined = ctx.session.get(Person, member.person_id) if member.person_id else None
    if joined is not None:
        # Their own menu, when it is not the members' (a committee member, a language chosen).
        menus.queue_own_menu(session=ctx.session, person=joined, now=ctx.now)
    if links_account:
        return Screen(
            ctx.t.gettext(
                "Done, comrade {name}: you can use me here too, and the notices of <b>{cell}</b> "
                "will come here from now on. Send /trogiup to see what you can do.",
                name=escape(member.full_name),
                cell=escape(org.name),
            )
        )
    _notify_committee(
        ctx,
        org,
        f"joined:{member.id}",
        lambda t: Screen(
            t.gettext(
                "Comrade <b>{name}</b> has joined <b>{cell}</b>.",
                name=escape(member.full_name),
                cell=escape(org.name),
            )
        ),
    )
    return Screen(
        ctx.t.gettext(
            "Welcome, comrade {name}! You are now in <b>{cell}</b>. I will remind you of "
            "meetings and pass on the cell's announcements here. Send /trogiup to see what "
            "you can do.",
            name=escape(member.full_name),
            cell=escape(org.name),
        )
    )


def _check_personal_link(ctx: FlowContext) -> None:
    if _preview(ctx).member is None:
        raise InvalidInput("bad_invite")


JOIN_PERSONAL_FLOW = Flow(
    name="join_personal",
    title=N_("Joining the cell"),
    check=_check_personal_link,
    steps=(Step("confirm", StepKind.CONFIRM, _personal_prompt),),
    complete=_complete_personal,
)


def _parse_full_name(ctx: FlowContext, text: str) -> Any:
    try:
        return validate_name(text)
    except InvalidName as exc:
        raise InvalidAnswer(error_text(ctx.t, InvalidInput(f"name_{exc.reason}", line=1))) from exc


def _request_name_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "You are asking to join <b>{cell}</b>. Please type your full name (họ và tên) as it "
        "appears in the cell's records.",
        cell=escape(_preview(ctx).org.name),
    )


def _request_confirm_prompt(ctx: FlowContext) -> str:
    return ctx.t.gettext(
        "Send a request to join <b>{cell}</b> as <b>{name}</b>? The secretary will decide.",
        cell=escape(_preview(ctx).org.name),
        name=escape(ctx.answers["name"]),
    )


def _complete_request(ctx: FlowContext) -> Screen:
    request, org = invites.request_join(
        session=ctx.session,
        token=str(ctx.params["token"]),
        person=ctx.person,
        full_name=ctx.answers["name"],
        now=ctx.now,
    )
    display = ctx.person.display_name
    # The account the request came from: the channel the person is joining from.
    channel = people.channel_label(ctx.key.channel)

    def build(t: Any) -> Screen:
        return Screen(
            t.gettext(
                "<b>{name}</b> ({channel}: {account}) asks to join <b>{cell}</b> through the "
                "cell link.",
                name=escape(request.full_name),
                channel=escape(channel),
                account=escape(display),
                cell=escape(org.name),
            ),
            [
                [
                    Button(t.gettext("✅ Approve"), data=f"jr|{request.id}|a"),
                    Button(t.gettext("✖️ Reject"), data=f"jr|{request.id}|r"),
                ]
            ],
        )

    _notify_committee(ctx, org, f"joinreq:{request.id}", build)
    return Screen(
        ctx.t.gettext(
            "Your request has been sent. I will tell you when the secretary of <b>{cell}</b> "
            "has decided.",
            cell=escape(org.name),
        )
    )


def _check_cell_link(ctx: FlowContext) -> None:
    if _preview(ctx).member is not None:
        raise InvalidInput("bad_invite")


JOIN_REQUEST_FLOW = Flow(
    name="join_request",
    title=N_("Joining the cell"),
    check=_check_cell_link,
    steps=(
        Step("name", StepKind.TEXT, _request_name_prompt, parse=_parse_full_name),
        Step("confirm", StepKind.CONFIRM, _request_confirm_prompt),
    ),
    complete=_complete_request,
)
