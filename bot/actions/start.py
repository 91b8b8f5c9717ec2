"""Start, help, language, cancel, and the buttons of forms."""

from __future__ import annotations

import re

from bot.actions.core import Reply, Turn
from bot.actions.forms import open_form, outcome_reply
from bot.actions.notify import notify_screen
from bot.actions.registry import ActionRegistry, one_of, word
from bot.flows.parking import RESUME_CHOICE
from bot.i18n import translator
from bot.models import COMMITTEE_ROLES, InviteKind, Role
from bot.render import help_text, language_screen, welcome_member, welcome_stranger
from bot.services import invites, join_codes, members, menus, people
from bot.services.errors import InvalidInput
from bot.services.invites import SecretKind
from bot.ui import SEPARATOR, Screen

# A Telegram invite link pasted whole (e.g. forwarded to Zalo): its token.
_LINK_TOKEN = re.compile(r"t\.me/[A-Za-z0-9_]+\?start=([A-Za-z0-9_-]{16,64})")


def start(turn: Turn) -> Reply:
    """Welcomes a person; `/start <token>` opens the join form of an invite."""
    if turn.in_group:
        text = help_text(
            turn.t,
            in_group=True,
            committee=False,
            secretary=False,
            linked=turn.group_org is not None,
        )
        return Reply(screens=[Screen(text)])
    if turn.args:
        # "/start ABCD EFGH" arrives as two words: a code is read whatever its spacing.
        return Reply(screens=[join_screen(turn, " ".join(turn.args))])
    resumed = turn.core.flows.resume(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now
    )
    cells = [org for _, org in members.memberships(session=turn.session, person=turn.person)]
    if cells:
        welcome = welcome_member(turn.t, cells)
    elif turn.channel.deep_links:
        welcome = welcome_stranger(turn.t)
    else:
        welcome = _welcome_stranger_by_code(turn)
    screens = [Screen(welcome)]
    if resumed is not None:
        screens.append(resumed.screen)
    return Reply(screens=screens)


def _welcome_stranger_by_code(turn: Turn) -> str:
    """The /start reply for someone in no cell, on a channel without deep links (Zalo)."""
    return turn.t.gettext(
        "Greetings, comrade! I am chibot, the assistant of Party cells: meeting reminders, "
        "commitments, announcements and reports, right here in the chat.\n\n"
        "To join your cell, send me the join code your cell secretary gives you (8 characters, "
        "like ABCD-EFGH): type /start ABCD-EFGH, or just the code."
    )


def _link_for_telegram(turn: Turn) -> Screen:
    return Screen(
        turn.t.gettext(
            "This is an invite link for Telegram: open it in Telegram. Here on {channel}, send "
            "me the join code that came with it (8 characters, like ABCD-EFGH). Nothing was "
            "changed.",
            channel=turn.channel.label,
        )
    )


def _code_for_zalo(turn: Turn) -> Screen:
    return Screen(
        turn.t.gettext(
            "This is a join code for Zalo: send it to chibot on Zalo. Here on {channel}, open "
            "the invite link that came with it. Nothing was changed.",
            channel=turn.channel.label,
        )
    )


def _bad_code(turn: Turn) -> Screen:
    return Screen(
        turn.t.gettext(
            "This join code is not valid. Check its 8 characters (like ABCD-EFGH), or ask your "
            "cell secretary for a new one."
        )
    )


def _secret_of(text: str) -> tuple[str, SecretKind | None]:
    """Returns the secret in typed text (a whole pasted link gives its token) and its kind."""
    found = _LINK_TOKEN.search(text)
    secret = found.group(1) if found else text.strip()
    return secret, invites.secret_kind(secret)


def join_screen(turn: Turn, text: str) -> Screen:
    """Opens the join form of an invite: a link token on Telegram, a join code on Zalo.

    A secret meant for the other channel is explained and changes nothing.
    """
    secret, kind = _secret_of(text)
    known = (
        kind is not None and invites.find_invite(session=turn.session, secret=secret) is not None
    )
    if turn.channel.deep_links:
        if kind == SecretKind.CODE and known:
            return _code_for_zalo(turn)
        if kind != SecretKind.LINK:
            raise InvalidInput("bad_invite")
    else:
        if kind == SecretKind.LINK and known:
            return _link_for_telegram(turn)
        if kind != SecretKind.CODE or not known:
            return _bad_code(turn)
    invite_kind = invites.kind_of(session=turn.session, token=secret)
    name = "join_personal" if invite_kind == InviteKind.PERSONAL else "join_request"
    return open_form(turn, name, token=secret).screen


def join_code_typed(turn: Turn, text: str) -> Reply | None:
    """Reads a join code typed alone (no form open) in a private chat; None if it is not one.

    On a channel without deep links (Zalo) a code opens the join form, and a Telegram link
    is explained; on Telegram a known Zalo code is explained.
    """
    if turn.in_group or len(text) > 300:
        return None
    secret, kind = _secret_of(text)
    if kind is None:
        return None
    known = invites.find_invite(session=turn.session, secret=secret) is not None
    if turn.channel.deep_links:
        return Reply(screens=[_code_for_zalo(turn)]) if kind == SecretKind.CODE and known else None
    if kind == SecretKind.LINK:
        return Reply(screens=[_link_for_telegram(turn)]) if known else None
    if not known and not join_codes.looks_like_join_code(text):
        return None  # an 8-letter word, not a code typed the way it is shown
    return Reply(screens=[join_screen(turn, secret)])


def help_(turn: Turn) -> Reply:
    """Sends what the person can do in this chat, for their role."""
    cells = members.memberships(session=turn.session, person=turn.person)
    committee = any(m.role in COMMITTEE_ROLES for m, _ in cells)
    secretary = any(m.role in {Role.SECRETARY, Role.DEPUTY} for m, _ in cells)
    text = help_text(
        turn.t,
        in_group=turn.in_group,
        committee=committee,
        secretary=secretary,
        channel=turn.channel,
        linked=turn.group_org is not None,
    )
    return Reply(screens=[Screen(text)])


def language(turn: Turn) -> Reply:
    """Offers Tiếng Việt / English, and to someone joined on two apps, where notices go."""
    screens = [language_screen(turn.t)]
    where = notify_screen(turn) if not turn.in_group else None
    if where is not None:
        screens.append(where)
    return Reply(screens=screens)


def language_chosen(turn: Turn, locale: str) -> Reply:
    """Remembers the chosen language."""
    people.set_locale(session=turn.session, person=turn.person, locale=locale)
    menus.queue_menu(session=turn.session, person=turn.person, now=turn.now)
    t = translator(locale, turn.t.tz.key)
    return Reply(edit=Screen(t.gettext("Language set: English.")))


def cancel(turn: Turn) -> Reply:
    """Leaves the current form."""
    outcome = turn.core.flows.cancel_outcome(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now
    )
    if outcome is not None:
        return Reply(screens=[outcome.screen])
    return Reply(screens=[Screen(turn.t.gettext("There is no open form to cancel."))])


def back_to_form(turn: Turn) -> Reply:
    """Takes up the form set aside for a shorter one, at the question where it was."""
    outcome = turn.core.flows.take_up_parked(
        session=turn.session, key=turn.key, person=turn.person, t=turn.t, now=turn.now
    )
    if outcome is None:
        text = turn.t.gettext(
            "That unfinished form is no longer kept (it was finished, replaced or left too "
            "long). Nothing was changed."
        )
        return Reply(screens=[Screen(text)])
    return Reply(screens=[outcome.screen])


def form_choice(turn: Turn, nonce: str, step: str, value: str) -> Reply:
    """Feeds a form's option to the flow engine (a stale or foreign one raises StaleButton,
    answered politely with the command that opened the form: bot.actions.turns)."""
    data = SEPARATOR.join(("f", nonce, step, value))
    outcome = turn.core.flows.answer_button(
        session=turn.session,
        key=turn.key,
        person=turn.person,
        t=turn.t,
        now=turn.now,
        data=data,
    )
    return outcome_reply(outcome)


def register(actions: ActionRegistry) -> None:
    """Adds this module's commands and choices."""
    actions.command(["start"], start)
    actions.command(["trogiup", "help"], help_)
    actions.command(["ngonngu", "language"], language)
    actions.command(["huy", "cancel"], cancel)
    actions.choice("lang", language_chosen, one_of("vi", "en"))
    actions.choice("f", form_choice, word, word, word)
    actions.choice(RESUME_CHOICE, back_to_form)
    actions.again("ngonngu", "lang")
    actions.text_hook(join_code_typed)
