"""Bot API methods that act on the fake world (everything except updates and webhooks)."""

from __future__ import annotations

import time
from typing import Any

from fake_telegram.limits import RateLimiter
from fake_telegram.markup import (
    ParsedText,
    format_text,
    inline_markup,
    validate_reply_markup,
)
from fake_telegram.models import JSON, ApiError, ApiRequest, FakeUser, Handler, bad_request
from fake_telegram.models import text_of as _str
from fake_telegram.settings import BotSettings
from fake_telegram.state import (
    ADMIN_STATUSES,
    ADMINISTRATOR,
    CREATOR,
    LEFT,
    ChatState,
    StoredFile,
    World,
    public,
)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200
MAX_DOWNLOAD = 20 * 1024 * 1024
MAX_DOCUMENT = 50 * 1024 * 1024
MAX_PHOTO = 10 * 1024 * 1024

#: Methods whose answers are slowed by `set_latency` and counted by the rate limiter.
SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
EDIT_METHODS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})

_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class BotApi:
    """Implements the world-changing Bot API methods; each handler is synchronous and atomic."""

    def __init__(self, world: World, limiter: RateLimiter | None) -> None:
        """Creates the method table.

        Args:
            world: The state to act on.
            limiter: The flood control, or None to disable it.
        """
        self.world = world
        self.limiter = limiter
        self.sent_total = 0
        self.handlers: dict[str, Handler] = {
            "getMe": self.get_me,
            "logOut": self.true,
            "close": self.true,
            "sendMessage": self.send_message,
            "sendDocument": self.send_document,
            "sendPhoto": self.send_photo,
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
            "getFile": self.get_file,
            "getChat": self.get_chat,
            "getChatMember": self.get_chat_member,
            "getChatAdministrators": self.get_chat_administrators,
            "getChatMemberCount": self.get_chat_member_count,
            "sendChatAction": self.send_chat_action,
        }
        self.settings = BotSettings(world)
        self.handlers.update(self.settings.handlers)

    # -- helpers -------------------------------------------------------------------------------

    def _rate(self, state: ChatState | None) -> None:
        if self.limiter is None:
            return
        chat_id = state.chat.id if state is not None else None
        is_group = state is not None and state.chat.is_group
        wait = self.limiter.acquire(chat_id, is_group)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

    def _sending_chat(self, params: JSON) -> ChatState:
        state = self.world.find_chat_for_sending(params.get("chat_id"))
        self._rate(state)
        self.world.check_can_send(state)
        return state

    def _reply_to(self, state: ChatState, params: JSON) -> JSON | None:
        reply_id = params.get("reply_to_message_id")
        allow_missing = bool(params.get("allow_sending_without_reply"))
        parameters = params.get("reply_parameters")
        if isinstance(parameters, dict):
            reply_id = parameters.get("message_id", reply_id)
            allow_missing = bool(parameters.get("allow_sending_without_reply", allow_missing))
        if reply_id is None:
            return None
        original = state.messages.get(reply_id) if isinstance(reply_id, int) else None
        if original is None:
            if allow_missing:
                return None
            raise bad_request("message to be replied not found")
        reply = public(original)
        reply.pop("reply_to_message", None)
        return reply

    def _formatted(self, params: JSON, key: str, limit: int, too_long: str) -> ParsedText:
        entities_key = "entities" if key == "text" else "caption_entities"
        parsed = format_text(params.get(key), params.get("parse_mode"), params.get(entities_key))
        if len(parsed.text) > limit:
            raise bad_request(too_long)
        return parsed

    def _send(self, state: ChatState, params: JSON, fields: JSON, source_key: str) -> JSON:
        """Validates markup and reply, then stores the bot's message and returns its result."""
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        reply = self._reply_to(state, params)
        if reply is not None:
            fields["reply_to_message"] = reply
        if params.get("message_thread_id") is not None and state.chat.type == "supergroup":
            fields["message_thread_id"] = params["message_thread_id"]
        echoed = inline_markup(markup)
        if echoed is not None:
            fields["reply_markup"] = echoed
        fields["_html"] = _str(params.get(source_key))
        fields["_parse_mode"] = params.get("parse_mode")
        if markup is not None and echoed is None:
            fields["_reply_markup"] = markup
        message = self.world.new_message(state, self.world.bot, fields)
        state.sent += 1
        self.sent_total += 1
        return public(message)

    @staticmethod
    def _text_fields(parsed: ParsedText, key: str) -> JSON:
        fields: JSON = {key: parsed.text}
        if parsed.entities:
            fields["entities" if key == "text" else "caption_entities"] = parsed.entities
        return fields

    def _upload_or_file(self, req: ApiRequest, key: str) -> StoredFile:
        value = req.params.get(key)
        uploads = req.uploads
        upload = uploads.get(key)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = uploads.get(value[len("attach://") :])
        kind = "photos" if key == "photo" else "documents"
        if upload is not None:
            limit = MAX_PHOTO if key == "photo" else MAX_DOCUMENT
            if len(upload.data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if not upload.data:
                raise bad_request("file must be non-empty")
            mime: str | None = upload.content_type
            if mime == "application/octet-stream":
                mime = None
            return self.world.store_file(upload.data, kind, upload.filename or None, mime)
        if isinstance(value, str) and value in self.world.files:
            return self.world.files[value]
        if value is None or value == "":
            raise bad_request(f"there is no {key} in the request")
        raise bad_request("wrong file identifier/HTTP URL specified")

    def _editable(self, params: JSON) -> tuple[ChatState, JSON]:
        if params.get("inline_message_id") is not None:
            raise bad_request("MESSAGE_ID_INVALID")
        state = self.world.find_chat_for_sending(params.get("chat_id"))
        self._rate(state)
        self.world.check_can_send(state)
        message = self.world.find_message(
            state, params.get("message_id"), "message to edit not found"
        )
        if message["from"]["id"] != self.world.bot.id:
            raise bad_request("message can't be edited")
        return state, message

    @staticmethod
    def _apply_edit(message: JSON, changes: JSON, markup: Any) -> JSON:
        echoed = inline_markup(markup)
        current = {k: message.get(k) for k in changes}
        if current == changes and message.get("reply_markup") == echoed:
            raise bad_request(_NOT_MODIFIED)
        for key, value in changes.items():
            if value is None or value == []:
                message.pop(key, None)
            else:
                message[key] = value
        if echoed is None:
            message.pop("reply_markup", None)
        else:
            message["reply_markup"] = echoed
        message["edit_date"] = int(time.time())
        return public(message)

    # -- methods -------------------------------------------------------------------------------

    def true(self, req: ApiRequest) -> bool:  # noqa: ARG002
        """logOut, close: always succeed."""
        return True

    def get_me(self, req: ApiRequest) -> JSON:  # noqa: ARG002
        """getMe: the bot's User object."""
        me = self.world.bot.to_dict()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    def send_message(self, req: ApiRequest) -> JSON:
        """sendMessage."""
        params = req.params
        state = self._sending_chat(params)
        parsed = self._formatted(params, "text", MAX_TEXT, "message is too long")
        if not parsed.text:
            raise bad_request("message text is empty")
        return self._send(state, params, self._text_fields(parsed, "text"), "text")

    def send_document(self, req: ApiRequest) -> JSON:
        """sendDocument (multipart upload or an existing file_id)."""
        params = req.params
        state = self._sending_chat(params)
        parsed = self._formatted(params, "caption", MAX_CAPTION, "message caption is too long")
        stored = self._upload_or_file(req, "document")
        fields: JSON = {"document": World.document_dict(stored)}
        if parsed.text:
            fields.update(self._text_fields(parsed, "caption"))
        return self._send(state, params, fields, "caption")

    def send_photo(self, req: ApiRequest) -> JSON:
        """sendPhoto (multipart upload or an existing file_id)."""
        params = req.params
        state = self._sending_chat(params)
        parsed = self._formatted(params, "caption", MAX_CAPTION, "message caption is too long")
        stored = self._upload_or_file(req, "photo")
        fields: JSON = {"photo": World.photo_sizes(stored)}
        if parsed.text:
            fields.update(self._text_fields(parsed, "caption"))
        return self._send(state, params, fields, "caption")

    def edit_message_text(self, req: ApiRequest) -> JSON:
        """editMessageText (the inline keyboard is removed unless reply_markup is passed)."""
        params = req.params
        _, message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        parsed = self._formatted(params, "text", MAX_TEXT, "message is too long")
        if not parsed.text:
            raise bad_request("message text is empty")
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        changes: JSON = {"text": parsed.text, "entities": parsed.entities or None}
        result = self._apply_edit(message, changes, markup)
        message["_html"] = _str(params.get("text"))
        message["_parse_mode"] = params.get("parse_mode")
        return result

    def edit_message_caption(self, req: ApiRequest) -> JSON:
        """editMessageCaption."""
        params = req.params
        _, message = self._editable(params)
        if "document" not in message and "photo" not in message:
            raise bad_request("there is no caption in the message to edit")
        parsed = self._formatted(params, "caption", MAX_CAPTION, "message caption is too long")
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        changes: JSON = {
            "caption": parsed.text or None,
            "caption_entities": parsed.entities or None,
        }
        result = self._apply_edit(message, changes, markup)
        message["_html"] = _str(params.get("caption"))
        message["_parse_mode"] = params.get("parse_mode")
        return result

    def edit_message_reply_markup(self, req: ApiRequest) -> JSON:
        """editMessageReplyMarkup (no reply_markup removes the keyboard)."""
        params = req.params
        _, message = self._editable(params)
        markup = params.get("reply_markup")
        validate_reply_markup(markup)
        return self._apply_edit(message, {}, markup)

    def delete_message(self, req: ApiRequest) -> bool:
        """deleteMessage."""
        params = req.params
        state = self.world.find_chat_for_sending(params.get("chat_id"))
        message = self.world.find_message(
            state, params.get("message_id"), "message to delete not found"
        )
        self._check_can_delete(state, message)
        del state.messages[message["message_id"]]
        return True

    def delete_messages(self, req: ApiRequest) -> bool:
        """deleteMessages: deletes those of the listed messages that exist."""
        params = req.params
        state = self.world.find_chat_for_sending(params.get("chat_id"))
        ids = params.get("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message identifiers are not specified")
        for message_id in ids:
            message = state.messages.get(message_id) if isinstance(message_id, int) else None
            if message is not None:
                self._check_can_delete(state, message)
                del state.messages[message_id]
        return True

    def _check_can_delete(self, state: ChatState, message: JSON) -> None:
        bot_id = self.world.bot.id
        if (
            state.chat.is_group
            and message["from"]["id"] != bot_id
            and state.status_of(bot_id) not in ADMIN_STATUSES
        ):
            raise bad_request("message can't be deleted")

    def answer_callback_query(self, req: ApiRequest) -> bool:
        """answerCallbackQuery (each query can be answered once)."""
        params = req.params
        callback = self.world.callbacks.get(_str(params.get("callback_query_id")))
        if callback is None or callback.answered:
            raise bad_request(_QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(_str(text)) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        callback.answered = True
        callback.answer = {
            "text": text,
            "show_alert": bool(params.get("show_alert", False)),
            "url": params.get("url"),
            "cache_time": params.get("cache_time"),
        }
        return True

    def get_file(self, req: ApiRequest) -> JSON:
        """getFile."""
        params = req.params
        stored = self.world.files.get(_str(params.get("file_id")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def get_chat(self, req: ApiRequest) -> JSON:
        """getChat: a ChatFullInfo."""
        params = req.params
        state = self.world.find_chat(params.get("chat_id"), follow_migration=True)
        info = state.chat.to_dict()
        info.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if state.migrated_to is not None:
            info["migrated_to_chat_id"] = state.migrated_to
        return info

    def _member_dict(self, state: ChatState, user: FakeUser) -> JSON:
        if state.chat.type == "private":
            status = "member" if user.id in (state.chat.id, self.world.bot.id) else LEFT
        else:
            status = state.status_of(user.id)
        member: JSON = {"status": status, "user": user.to_dict()}
        if status == CREATOR:
            member["is_anonymous"] = False
        elif status == ADMINISTRATOR:
            rights = (
                "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_change_info", "can_invite_users",
                "can_post_stories", "can_edit_stories", "can_delete_stories", "can_pin_messages",
            )  # fmt: skip
            member.update(dict.fromkeys(rights, True))
            member.update(can_be_edited=False, is_anonymous=False, can_promote_members=False)
        elif status == "kicked":
            member["until_date"] = 0
        return member

    def get_chat_member(self, req: ApiRequest) -> JSON:
        """getChatMember."""
        params = req.params
        state = self.world.find_chat(params.get("chat_id"), follow_migration=True)
        return self._member_dict(state, self.world.find_user(params.get("user_id")))

    def get_chat_administrators(self, req: ApiRequest) -> list[JSON]:
        """getChatAdministrators: the creator first, then the administrators."""
        params = req.params
        state = self.world.find_chat(params.get("chat_id"), follow_migration=True)
        if state.chat.type == "private":
            raise bad_request("there are no administrators in the private chat")
        admins = [uid for uid, status in state.members.items() if status in ADMIN_STATUSES]
        admins.sort(key=lambda uid: state.members[uid] != CREATOR)
        return [self._member_dict(state, self.world.find_user(uid)) for uid in admins]

    def get_chat_member_count(self, req: ApiRequest) -> int:
        """getChatMemberCount (the bot included)."""
        params = req.params
        state = self.world.find_chat(params.get("chat_id"), follow_migration=True)
        if state.chat.type == "private":
            return 2
        return sum(1 for status in state.members.values() if status not in (LEFT, "kicked"))

    def send_chat_action(self, req: ApiRequest) -> bool:
        """sendChatAction."""
        params = req.params
        state = self.world.find_chat_for_sending(params.get("chat_id"))
        self.world.check_can_send(state)
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True
