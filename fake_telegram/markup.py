"""Text formatting like Telegram's: HTML parse mode, entities, keyboards, bot commands."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fake_telegram.models import JSON, ApiError, bad_request

ALLOWED_TAGS = frozenset(
    {
        "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
        "span", "tg-spoiler", "blockquote", "tg-emoji",
    }
)  # fmt: skip

_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}

_CHAR_REF = re.compile(r"&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|[a-zA-Z]+);?")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_BOT_COMMAND = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![\w/])")
_WHITESPACE = " \t\n\r\u00a0\u200b\u2028\u2029"


def utf16_len(text: str) -> int:
    """The length of `text` in UTF-16 code units, the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_char_ref(text: str, pos: int) -> tuple[str, int] | None:
    """Decodes a character reference at `pos` like Telegram: numeric ones and only the named
    &lt; &gt; &amp; &quot; (the ";" is optional); anything else stays literal text."""
    match = _CHAR_REF.match(text, pos)
    if match is None:
        return None
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        code = int(body[2:], 16)
    elif body.startswith("#"):
        code = int(body[1:])
    else:
        named = _NAMED_REFS.get(body)
        return None if named is None else (named, match.end())
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end()


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int
    expandable: bool = False


@dataclass
class ParsedText:
    """Plain text plus its entities (UTF-16 offsets), as Telegram stores a formatted text."""

    text: str
    entities: list[JSON] = field(default_factory=list)


def _parse_error(message: str) -> ApiError:
    return bad_request(f"can't parse entities: {message}")


def _read_attributes(text: str, i: int, tag: str, begin: int) -> tuple[int, str, bool]:
    """Reads a start tag's attributes from `i` up to its ">"; returns (index, argument, expand)."""
    n = len(text)
    argument = ""
    expandable = False
    while i < n and text[i] != ">":
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        if text[i] == ">":
            break
        name_start = i
        while i < n and not text[i].isspace() and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        if not name:
            offset = _byte_offset(text, begin)
            raise _parse_error(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < n and text[i].isspace():
            i += 1
        if i >= n or text[i] != "=":
            if tag == "blockquote" and name == "expandable":
                expandable = True
                continue
            if i >= n:
                break
            raise _parse_error(
                f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                f"at byte offset {_byte_offset(text, begin)}"
            )
        i += 1
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            break
        value_chars: list[str] = []
        if text[i] in "'\"":
            quote = text[i]
            i += 1
            while i < n and text[i] != quote:
                ref = _decode_char_ref(text, i) if text[i] == "&" else None
                if ref is not None:
                    value_chars.append(ref[0])
                    i = ref[1]
                else:
                    value_chars.append(text[i])
                    i += 1
            if i < n:
                i += 1
        else:
            while i < n and (text[i].isalnum() or text[i] in "_-."):
                value_chars.append(text[i])
                i += 1
            if not value_chars:
                raise _parse_error(f"Expected quote at byte offset {_byte_offset(text, i)}")
        value = "".join(value_chars)
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            expandable = True
    if i >= n:
        raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
    return i + 1, argument, expandable


def _entity_for(opened: _Open, length: int) -> JSON | None:
    tag = opened.tag
    entity: JSON = {"type": _ENTITY_TYPE[tag], "offset": opened.offset, "length": length}
    if tag == "a":
        if not opened.argument:
            return None
        entity["url"] = opened.argument
    elif tag == "pre" and opened.argument:
        entity["language"] = opened.argument
    elif tag == "blockquote" and opened.expandable:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        if not opened.argument:
            return None
        entity["custom_emoji_id"] = opened.argument
    return entity


def parse_html(source: str) -> ParsedText:
    """Parses Telegram-flavoured HTML like the Bot API does.

    Args:
        source: The text with HTML markup.

    Returns:
        The text with tags removed and character references decoded, and its entities.

    Raises:
        ApiError: 400 "Bad Request: can't parse entities: ..." on unsupported tags,
            unbalanced tags or malformed markup, with Telegram's wording.
    """
    out: list[str] = []
    out_len = 0  # UTF-16 length of the text produced so far
    stack: list[_Open] = []
    entities: list[JSON] = []
    n = len(source)
    i = 0
    while i < n:
        char = source[i]
        if char == "&":
            ref = _decode_char_ref(source, i)
            if ref is not None:
                out.append(ref[0])
                out_len += utf16_len(ref[0])
                i = ref[1]
                continue
        if char != "<":
            out.append(char)
            out_len += 2 if ord(char) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise _parse_error(
                    f"Unexpected end tag at byte offset {_byte_offset(source, begin)}"
                )
            name_start = i + 1
            while i < n and not source[i].isspace() and source[i] != ">":
                i += 1
            end_name = source[name_start:i].lower()
            while i < n and source[i].isspace():
                i += 1
            if i >= n or source[i] != ">":
                raise _parse_error(
                    f"Unclosed end tag at byte offset {_byte_offset(source, begin)}"
                )
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.tag:
                raise _parse_error(
                    f"Unmatched end tag at byte offset {_byte_offset(source, begin)}, "
                    f'expected "</{opened.tag}>", found "</{end_name}>"'
                )
            length = out_len - opened.offset
            if length > 0:
                entity = _entity_for(opened, length)
                if entity is not None:
                    _add_entity(entities, entity, opened)
            continue
        while i < n and not source[i].isspace() and source[i] != ">":
            i += 1
        if i >= n:
            raise _parse_error(f"Unclosed start tag at byte offset {_byte_offset(source, begin)}")
        tag = source[begin + 1 : i].lower()
        if tag not in ALLOWED_TAGS:
            raise _parse_error(
                f'Unsupported start tag "{tag}" at byte offset {_byte_offset(source, begin)}'
            )
        i, argument, expandable = _read_attributes(source, i, tag, begin)
        if tag == "span" and argument != "spoiler":
            raise _parse_error(
                f'Tag "span" must have class "tg-spoiler" at byte offset '
                f"{_byte_offset(source, begin)}"
            )
        stack.append(_Open(tag, argument, out_len, expandable))
    if stack:
        raise _parse_error(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), _clean_entities(entities))


def _add_entity(entities: list[JSON], entity: JSON, opened: _Open) -> None:
    """Appends an entity; `<pre><code class="language-x">` becomes one pre with a language."""
    if opened.tag == "pre" and entities:
        last = entities[-1]
        if (
            last["type"] == "code"
            and last["offset"] == entity["offset"]
            and last["length"] == entity["length"]
        ):
            entities.pop()
            language = last.get("_language")
            if language:
                entity["language"] = language
    if opened.tag == "code" and opened.argument:
        entity["_language"] = opened.argument
    entities.append(entity)


def _clean_entities(entities: list[JSON]) -> list[JSON]:
    return [{k: v for k, v in e.items() if not k.startswith("_")} for e in entities]


def trim(parsed: ParsedText) -> ParsedText:
    """Strips leading/trailing whitespace as Telegram does, shifting and clipping entities."""
    text = parsed.text
    stripped = text.lstrip(_WHITESPACE)
    shift = utf16_len(text) - utf16_len(stripped)
    stripped = stripped.rstrip(_WHITESPACE)
    total = utf16_len(stripped)
    entities: list[JSON] = []
    for entity in _clean_entities(parsed.entities):
        start = max(0, entity["offset"] - shift)
        end = min(total, entity["offset"] + entity["length"] - shift)
        if end > start:
            entities.append({**entity, "offset": start, "length": end - start})
    return ParsedText(stripped, entities)


def format_text(text: Any, parse_mode: Any, entities: Any) -> ParsedText:
    """Turns a sendMessage/caption text into what Telegram stores.

    Args:
        text: The `text`/`caption` parameter.
        parse_mode: The `parse_mode` parameter ("HTML" is parsed; Markdown modes are stored
            verbatim, unparsed).
        entities: The `entities`/`caption_entities` parameter, used when there is no parse mode.

    Returns:
        The trimmed text and its entities.
    """
    source = "" if text is None else str(text)
    mode = str(parse_mode or "").lower()
    if mode == "html":
        return trim(parse_html(source))
    given = [e for e in entities if isinstance(e, dict)] if isinstance(entities, list) else []
    return trim(ParsedText(source, given))


def bot_command_entities(text: str) -> list[JSON]:
    """The `bot_command` entities Telegram marks in a user's text (e.g. "/start@my_bot")."""
    entities: list[JSON] = []
    for match in _BOT_COMMAND.finditer(text):
        entities.append(
            {
                "type": "bot_command",
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group(0)),
            }
        )
    return entities


_BUTTON_KINDS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def validate_reply_markup(markup: Any) -> None:
    """Checks a reply_markup like Telegram does (inline keyboards in detail).

    Raises:
        ApiError: 400 with Telegram's description (e.g. "Bad Request: BUTTON_DATA_INVALID").
    """
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        keyboard = markup.get("keyboard")
        if keyboard is not None and not (
            isinstance(keyboard, list) and all(isinstance(row, list) for row in keyboard)
        ):
            raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
        return
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise bad_request("can't parse inline keyboard button: InlineKeyboardButton "
                                  "must be an Object")  # fmt: skip
            label = button.get("text")
            if not isinstance(label, str) or not label.strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            kinds = [k for k in _BUTTON_KINDS if k in button]
            if not kinds:
                raise bad_request("can't parse inline keyboard button: Text buttons are "
                                  "unallowed in the inline keyboard")  # fmt: skip
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(
                    ("http://", "https://", "tg://")
                ):
                    raise bad_request("BUTTON_URL_INVALID")
    if count > 100:
        raise bad_request("reply markup is too long")


def inline_markup(markup: Any) -> JSON | None:
    """The reply_markup Telegram echoes in a Message: only inline keyboards, if non-empty."""
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if isinstance(rows, list) and any(row for row in rows):
        return {"inline_keyboard": markup["inline_keyboard"]}
    return None
