"""Bot settings methods: commands per scope and language, menu button, name and descriptions."""

from __future__ import annotations

import re

from fake_telegram.models import JSON, ApiRequest, Handler, bad_request
from fake_telegram.models import text_of as _str
from fake_telegram.state import World

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
CommandKey = tuple[str, int | None, int | None, str]


class BotSettings:
    """setMyCommands & co.: what Telegram stores about the bot itself."""

    def __init__(self, world: World) -> None:
        """Creates empty settings.

        Args:
            world: The chats and users that command scopes refer to.
        """
        self.world = world
        self.commands: dict[CommandKey, list[JSON]] = {}
        self.menu_buttons: dict[int | None, JSON] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.handlers: dict[str, Handler] = {
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setChatMenuButton": self.set_chat_menu_button,
            "getChatMenuButton": self.get_chat_menu_button,
            "setMyDescription": self._bot_text_setter("description", 512),
            "getMyDescription": self._bot_text_getter("description"),
            "setMyShortDescription": self._bot_text_setter("short_description", 120),
            "getMyShortDescription": self._bot_text_getter("short_description"),
            "setMyName": self._bot_text_setter("name", 64),
            "getMyName": self._bot_text_getter("name"),
        }

    def _scope_key(self, params: JSON) -> CommandKey:
        scope = params.get("scope") or {"type": "default"}
        if not isinstance(scope, dict) or not isinstance(scope.get("type"), str):
            raise bad_request("can't parse BotCommandScope JSON object")
        kind = scope["type"]
        valid = (
            "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
            "chat", "chat_administrators", "chat_member",
        )  # fmt: skip
        if kind not in valid:
            raise bad_request("wrong BotCommandScope type specified")
        chat_id: int | None = None
        user_id: int | None = None
        if kind.startswith("chat"):
            chat_id = self.world.find_chat(scope.get("chat_id"), follow_migration=True).chat.id
        if kind == "chat_member":
            user_id = self.world.find_user(scope.get("user_id")).id
        language = _str(params.get("language_code"))
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return kind, chat_id, user_id, language

    def set_my_commands(self, req: ApiRequest) -> bool:
        """setMyCommands (an empty list deletes the scope's commands)."""
        params = req.params
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = _str(command.get("command"))
            description = _str(command.get("description"))
            if not _COMMAND.fullmatch(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description.strip()) <= 256 or len(description) > 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        key = self._scope_key(params)
        if cleaned:
            self.commands[key] = cleaned
        else:
            self.commands.pop(key, None)
        return True

    def get_my_commands(self, req: ApiRequest) -> list[JSON]:
        """getMyCommands (exactly that scope and language, no fallback)."""
        params = req.params
        return list(self.commands.get(self._scope_key(params), []))

    def delete_my_commands(self, req: ApiRequest) -> bool:
        """deleteMyCommands."""
        params = req.params
        self.commands.pop(self._scope_key(params), None)
        return True

    def set_chat_menu_button(self, req: ApiRequest) -> bool:
        """setChatMenuButton (no chat_id: the default button)."""
        params = req.params
        chat_id = params.get("chat_id")
        if chat_id is not None:
            chat_id = self.world.find_chat(chat_id).chat.id
        button = params.get("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise bad_request("can't parse menu button JSON object")
        self.menu_buttons[chat_id] = button
        return True

    def get_chat_menu_button(self, req: ApiRequest) -> JSON:
        """getChatMenuButton."""
        params = req.params
        chat_id: int | None = params.get("chat_id")
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return button or {"type": "commands"}

    def _bot_text_setter(self, key: str, limit: int) -> Handler:
        def setter(req: ApiRequest) -> bool:
            params = req.params
            value = _str(params.get(key))
            if len(value) > limit:
                raise bad_request(f"bot {key.replace('_', ' ')} is too long")
            self.bot_texts[(key, _str(params.get("language_code")))] = value
            return True

        return setter

    def _bot_text_getter(self, key: str) -> Handler:
        def getter(req: ApiRequest) -> JSON:
            language = _str(req.params.get("language_code"))
            value = self.bot_texts.get((key, language), self.bot_texts.get((key, ""), ""))
            if key == "name" and not value:
                value = self.world.bot.first_name
            return {key: value}

        return getter
