"""Which Zalo events reach the core, and as what: texts, commands, and photos as files."""

from __future__ import annotations

from typing import Any

from bot.actions.core import IncomingKind
from bot.services.documents import IncomingFile
from handlers.zalo.updates import PHOTO_NAME, incoming_of


def _event(name: str, **fields: Any) -> dict[str, Any]:
    return {
        "event_name": f"message.{name}.received",
        "message": {
            "message_id": "m1",
            "from": {"id": "z-501", "display_name": "Lan", "is_bot": False},
            "chat": {"id": "z-501", "chat_type": "PRIVATE"},
            **fields,
        },
    }


def test_a_photo_arrives_as_a_file_named_by_its_address() -> None:
    url = "https://photo.zalo.example/p/1.jpg"
    found = incoming_of(_event("image", photo_url=url, caption="minh chứng"))
    assert found is not None
    assert found.kind == IncomingKind.FILE
    assert found.file == IncomingFile(url, PHOTO_NAME, "image/jpeg", 0, caption="minh chứng")


def test_a_photo_without_an_address_or_a_sticker_is_something_else() -> None:
    for event in (_event("image"), _event("image", photo_url=""), _event("sticker", sticker="x")):
        found = incoming_of(event)
        assert found is not None
        assert (found.kind, found.file) == (IncomingKind.OTHER, None)


def test_text_stays_text() -> None:
    found = incoming_of(_event("text", text="  Xin chào "))
    assert found is not None
    assert (found.kind, found.text) == (IncomingKind.TEXT, "Xin chào")
