"""What the page sees: people, their chats and messages, as JSON built from the fake worlds."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from bot.i18n import translator
from bot.models import MemberStatus, Role
from bot.render import role_label, status_label
from bot.services import members, people
from fake_telegram.models import JSON
from fake_telegram.state import ADMIN_STATUSES, KICKED, LEFT, ChatState, World
from sandbox import zalo
from sandbox.seed import CHANNEL, NEWCOMER, ROSTER_ONLY
from sandbox.zalo import SandboxZalo

MESSAGES_SHOWN = 300
#: Telegram's limit for a text message (Zalo's is zalo.MAX_TEXT).
MAX_TEXT = 4096
ROLE_ORDER = (Role.SECRETARY, Role.DEPUTY, Role.COMMITTEE, Role.MEMBER)
#: What the switcher says about demo people who have not joined the cell (yet).
NOT_JOINED = {
    NEWCOMER.user_id: "người mới, chưa có trong danh sách",
    ROSTER_ONLY.user_id: "có trong danh sách, chưa tham gia",
}
PREVIEW_CHARS = 80
#: Image types the page may show inline; anything else (SVG included) is only downloadable.
INLINE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def person_label(session: Session, user_id: int | str, channel: str = CHANNEL) -> tuple[str, int]:
    """Returns what the switcher shows after a person's name (e.g. "Bí thư") and a rank."""
    t = translator("vi")
    person = people.get_person(session=session, channel=channel, external_id=str(user_id))
    cells = members.memberships(session=session, person=person) if person else []
    if not cells:
        fallback = NOT_JOINED.get(user_id) if isinstance(user_id, int) else None
        return fallback or "chưa vào chi bộ", len(ROLE_ORDER)
    parts = []
    for member, org in cells:
        role = role_label(t, member.role)
        if member.status != MemberStatus.FULL:
            role += f", {status_label(t, member.status)}"
        parts.append(role if len(cells) == 1 else f"{role} · {org.name}")
    rank = min(ROLE_ORDER.index(m.role) for m, _ in cells)
    return "; ".join(parts), rank


def people_list(world: World, zapi: SandboxZalo, session: Session) -> list[JSON]:
    """Every simulated user of both channels, the committee first, with their roles."""
    ranked: list[tuple[int, int, JSON]] = []
    for order, (user_id, state) in enumerate(world.users.items()):
        label, rank = person_label(session, user_id)
        person = {"id": user_id, "name": state.user.full_name, "label": label}
        ranked.append((rank, order, {**person, "channel": CHANNEL}))
    for order, (zalo_id, zalo_state) in enumerate(zapi.world.users.items(), len(ranked)):
        label, rank = person_label(session, zalo_id, zalo.CHANNEL)
        person = {"id": zalo.page_id(zalo_id), "name": zalo_state.user.display_name}
        ranked.append((rank, order, {**person, "label": f"{label} · Zalo", "channel": "zalo"}))
    return [person for _, _, person in sorted(ranked, key=lambda r: (r[0], r[1]))]


def can_see(world: World, user_id: int, chat_id: int) -> bool:
    """Whether a user sees a chat: their own private chat, or a group they are in."""
    state = world.chats.get(chat_id)
    if state is None:
        return False
    if state.chat.type == "private":
        return chat_id == user_id
    return state.migrated_to is None and state.status_of(user_id) not in (LEFT, KICKED)


def is_admin(world: World, user_id: int, chat_id: int) -> bool:
    """Whether the user administers the group."""
    return world.chat_state(chat_id).status_of(user_id) in ADMIN_STATUSES


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _preview(message: JSON) -> str:
    text = message.get("text") or message.get("caption") or ""
    if not text:
        if "document" in message:
            text = "📄 " + str(message["document"].get("file_name") or "Tệp")
        elif "photo" in message:
            text = "🖼 Ảnh"
        else:
            text = _service_text(message) or ""
    return _shorten(str(text))


def chats_of(world: World, user_id: int) -> list[JSON]:
    """The chats a user sees: groups first, then their private chat with the bot."""
    states = [
        s for s in world.chats.values() if s.chat.is_group and can_see(world, user_id, s.chat.id)
    ]
    states.append(world.chat_state(user_id))
    out = []
    for state in states:
        messages = list(state.messages.values())
        last = messages[-1] if messages else None
        out.append(
            {
                "id": state.chat.id,
                "type": state.chat.type,
                "title": state.chat.title or world.bot.first_name,
                "members": sum(1 for s in state.members.values() if s not in (LEFT, KICKED)),
                "last_id": last["message_id"] if last else 0,
                "preview": _preview(last) if last else "",
                "preview_from": _sender_name(world, last) if last and state.chat.is_group else "",
                "date": _date(last) if last else None,
                "channel": CHANNEL,
                "max_text": MAX_TEXT,
            }
        )
    return out


def _sender_name(world: World, message: JSON) -> str:
    sender = message.get("from") or {}
    if sender.get("id") == world.bot.id:
        return world.bot.first_name
    return " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)


def _date(message: JSON) -> float:
    return float(message.get("_sandbox_date") or message.get("date") or 0)


def _service_text(message: JSON) -> str | None:
    if message.get("new_chat_members"):
        names = ", ".join(u.get("first_name", "") for u in message["new_chat_members"])
        return f"{names} đã tham gia nhóm"
    if message.get("left_chat_member"):
        return f"{message['left_chat_member'].get('first_name', '')} đã rời nhóm"
    if message.get("migrate_to_chat_id") or message.get("migrate_from_chat_id"):
        return "Nhóm đã được nâng cấp thành siêu nhóm"
    return None


def _file(world: World, file_id: str) -> JSON:
    stored = world.files.get(file_id)
    if stored is None:
        return {"file_id": file_id, "name": "tệp", "size": 0, "inline": False}
    mime = stored.mime_type or ""
    return {
        "file_id": file_id,
        "name": stored.file_name or stored.file_path.rsplit("/", 1)[-1],
        "size": len(stored.data),
        "mime": mime,
        "inline": mime in INLINE_IMAGES,
        "width": stored.width,
        "height": stored.height,
    }


def _buttons(message: JSON) -> list[list[JSON]]:
    rows: list[list[Any]] = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    out = []
    for row in rows:
        shown = []
        for button in row:
            if not isinstance(button, dict):
                continue
            item: JSON = {"text": str(button.get("text", ""))}
            if "callback_data" in button:
                item["data"] = str(button["callback_data"])
            elif "url" in button:
                item["url"] = str(button["url"])
            shown.append(item)
        out.append(shown)
    return out


def message_view(world: World, message: JSON) -> JSON:
    """One message as the page draws it (text with entities; never pre-rendered HTML)."""
    sender = message.get("from") or {}
    view: JSON = {
        "id": message["message_id"],
        "from_id": sender.get("id"),
        "from_name": _sender_name(world, message),
        "is_bot": sender.get("id") == world.bot.id,
        "date": _date(message),
        "edited": "edit_date" in message,
        "text": message.get("text") or message.get("caption") or "",
        "entities": message.get("entities") or message.get("caption_entities") or [],
        "buttons": _buttons(message),
    }
    if "document" in message:
        view["file"] = _file(world, str(message["document"].get("file_id")))
    if message.get("photo"):
        view["photo"] = _file(world, str(message["photo"][-1].get("file_id")))
    service = _service_text(message)
    if service:
        view["service"] = service
    reply = message.get("reply_to_message")
    if isinstance(reply, dict):
        view["reply_to"] = {"from_name": _sender_name(world, reply), "text": _preview(reply)}
    return view


def messages_of(world: World, state: ChatState) -> list[JSON]:
    """The last messages of a chat, oldest first."""
    messages = list(state.messages.values())[-MESSAGES_SHOWN:]
    return [message_view(world, m) for m in messages]


# -- Zalo ----------------------------------------------------------------------------------------


def zalo_chats(zapi: SandboxZalo, zalo_id: str) -> list[JSON]:
    """A Zalo user's chats: only the private one with the bot (bots have no Zalo groups)."""
    timeline = zapi.timeline(zalo_id)
    last = timeline[-1] if timeline else None
    return [
        {
            "id": zalo.page_id(zalo_id),
            "type": "private",
            "channel": zalo.CHANNEL,
            "title": zapi.world.bot.display_name,
            "members": 2,
            "last_id": last["id"] if last else 0,
            "preview": _shorten(str(last["text"])) if last else "",
            "preview_from": "",
            "date": last["date"] if last else None,
            "max_text": zalo.MAX_TEXT,
        }
    ]


def zalo_messages(zapi: SandboxZalo, zalo_id: str) -> list[JSON]:
    """The last messages of a Zalo chat, oldest first: plain text, never buttons (the bot lists
    its choices as numbered lines, and the person types the number)."""
    bot = zapi.world.bot.id
    return [
        {
            "id": entry["id"],
            "from_id": zalo.page_id(entry["from"]),
            "from_name": entry["name"],
            "is_bot": entry["from"] == bot,
            "date": entry["date"],
            "edited": False,
            "text": entry["text"],
            "entities": [],
            "buttons": [],
        }
        for entry in zapi.timeline(zalo_id)[-MESSAGES_SHOWN:]
    ]
