"""Joining a cell: confirming a personal invite, or asking to join through a cell link."""

from __future__ import annotations

from typing import Any

from bot.flows.common import translator_for
from bot.flows.engine import Flow, FlowContext, InvalidAnswer, Step, StepKind
from bot.models import Organisation, Person, Priority
from bot.render import error_text, role_label, status_label
from bot.services import invites, members, outbox
from bot.services.errors import InvalidInput
from bot.text import InvalidName, escape, validate_name
from bot.ui import Button, Screen


def _preview(ctx: FlowContext) -> invites.InvitePreview:
    return invites.preview_invite(
        session=ctx.session, token=str(ctx.params["token"]), person=ctx.person, now=ctx.now
    )


def _personal_prompt(ctx: FlowContext) -> str:
    preview = _preview(ctx)
    assert preview.member is not None
    return ctx.t.gettext(
        "You are invited to join <b>{cell}</b> as comrade <b>{name}</b> — {role}, {status}.\n"
        "Is this you?",
        cell=escape(preview.org.name),
        name=escape(preview.member.full_name),
        role=role_label(ctx.t, preview.member.role),
        status=status_label(ctx.t, preview.member.status),
    )


def _notify_committee(ctx: FlowContext, org: Organisation, key: str, build: Any) -> None:
    """Queues one private message per secretary/deputy, each in their own language."""
    assert org.id is not None
    for secretary in members.secretaries(session=ctx.session, org_id=org.id):
        person = ctx.session.get(Person, secretary.person_id)
        if person is None:
            continue
        screen: Screen = build(translator_for(person, org))
        outbox.enqueue_message(
            session=ctx.session,
            dedupe_key=f"{key}:{person.id}",
            chat_id=person.external_id,
            text=screen.text,
            keyboard=screen.keyboard,
            priority=Priority.NORMAL,
            person_id=person.id,
            org_id=org.id,
            now=ctx.now,
        )


def _complete_personal(ctx: FlowContext) -> Screen:
    member, org = invites.accept_personal_invite(
        session=ctx.session, token=str(ctx.params["token"]), person=ctx.person, now=ctx.now
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

    def build(t: Any) -> Screen:
        return Screen(
            t.gettext(
                "<b>{name}</b> (Telegram: {account}) asks to join <b>{cell}</b> through the "
                "cell link.",
                name=escape(request.full_name),
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
    check=_check_cell_link,
    steps=(
        Step("name", StepKind.TEXT, _request_name_prompt, parse=_parse_full_name),
        Step("confirm", StepKind.CONFIRM, _request_confirm_prompt),
    ),
    complete=_complete_request,
)
