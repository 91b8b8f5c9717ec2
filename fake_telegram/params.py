"""Reading Bot API requests: method names, form/multipart/JSON/query parameters."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from fake_common.params import json_object
from fake_telegram.models import JSON, Upload, bad_request

METHODS = (
    "getMe", "logOut", "close", "getUpdates", "setWebhook", "deleteWebhook", "getWebhookInfo",
    "sendMessage", "sendDocument", "sendPhoto", "editMessageText", "editMessageCaption",
    "editMessageReplyMarkup", "deleteMessage", "deleteMessages", "answerCallbackQuery",
    "getFile", "getChat", "getChatMember", "getChatAdministrators", "getChatMemberCount",
    "setMyCommands", "getMyCommands", "deleteMyCommands", "setChatMenuButton",
    "getChatMenuButton", "sendChatAction", "setMyDescription", "getMyDescription",
    "setMyShortDescription", "getMyShortDescription", "setMyName", "getMyName",
)  # fmt: skip

#: Lower-cased method name -> canonical camelCase name (Telegram ignores the case).
CANONICAL = {name.lower(): name for name in METHODS}

JSON_PARAMS = frozenset(
    {
        "reply_markup", "commands", "scope", "allowed_updates", "entities", "caption_entities",
        "reply_parameters", "link_preview_options", "menu_button", "media", "message_ids",
        "permissions", "rights", "results", "options", "explanation_entities",
    }
)  # fmt: skip
INT_PARAMS = frozenset(
    {
        "chat_id", "message_id", "user_id", "from_chat_id", "reply_to_message_id", "offset",
        "limit", "timeout", "max_connections", "message_thread_id", "cache_time", "duration",
        "width", "height", "until_date",
    }
)  # fmt: skip
BOOL_PARAMS = frozenset(
    {
        "disable_notification", "protect_content", "drop_pending_updates", "show_alert",
        "disable_web_page_preview", "allow_sending_without_reply", "for_channels",
        "revoke_messages", "only_if_banned", "has_spoiler", "disable_content_type_detection",
        "is_big", "allow_paid_broadcast", "show_caption_above_media",
    }
)  # fmt: skip

_INT = re.compile(r"-?[0-9]{1,20}")


def coerce(key: str, value: Any) -> Any:
    """Decodes one parameter the way Telegram reads it (JSON objects, ints, booleans)."""
    if not isinstance(value, str):
        return value
    if key in JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {key} JSON object") from None
    if key in INT_PARAMS and _INT.fullmatch(value):
        return int(value)
    if key in BOOL_PARAMS and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


async def read_params(request: web.Request) -> tuple[JSON, dict[str, Upload]]:
    """Reads the query string and the body (urlencoded, multipart or JSON) of a request.

    Returns:
        The decoded parameters and the uploaded files by form field name.

    Raises:
        ApiError: 400 when a JSON body or a JSON-valued parameter does not parse.
    """
    raw: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            body = await json_object(
                request,
                "can't parse JSON encoded request body",
                "JSON object expected as request body",
            )
            raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    uploads[key] = Upload(key, value.filename, value.content_type, data)
                    raw[key] = {
                        "upload": value.filename,
                        "size": len(data),
                        "mime_type": value.content_type,
                    }
                else:
                    raw[key] = value
    params = {key: coerce(key, value) for key, value in raw.items()}
    return params, uploads
