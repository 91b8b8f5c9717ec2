// Drawing Telegram messages for the chibot sandbox page: entities become DOM nodes.
// Every piece of text is put in the page with textContent or text nodes, never as HTML.
"use strict";

window.ChibotRender = (() => {
  const TZ = "Asia/Ho_Chi_Minh";
  const timeFormat = new Intl.DateTimeFormat("vi-VN", {
    timeZone: TZ, hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const dayFormat = new Intl.DateTimeFormat("vi-VN", {
    timeZone: TZ, weekday: "long", day: "numeric", month: "numeric", year: "numeric",
  });
  const dayKey = new Intl.DateTimeFormat("en-CA", { timeZone: TZ });

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function initials(name) {
    const words = String(name || "?").trim().split(/\s+/);
    const picked = words.length > 1 ? [words[words.length - 2], words[words.length - 1]] : words;
    return picked.map((w) => w.charAt(0)).join("").toUpperCase();
  }

  function colorClass(id) {
    return `c${Math.abs(Number(id) || 0) % 7}`;
  }

  // The page supplies who is acting, the bot's username and what taps and links do.
  let hooks = {
    me: () => null,
    botUsername: () => "",
    tap: () => {},
    openDeepLink: () => {},
    send: () => {},
    imageLoaded: () => {},
  };

  function safeUrl(url) {
    return /^https?:\/\/[^\s]+$/i.test(String(url || ""));
  }

  function deepLinkToken(url) {
    const username = hooks.botUsername();
    if (!username) return null;
    const pattern = new RegExp(`^https?://t\\.me/${username}\\?start=([A-Za-z0-9_-]{1,64})$`, "i");
    const match = pattern.exec(String(url));
    return match ? match[1] : null;
  }

  // -- Telegram text: entities become DOM nodes --------------------------------------------------

  const PLAIN = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|((?:^|(?<=[\s(]))\/[A-Za-z0-9_]{1,32}(?![A-Za-z0-9_/]))/g;

  let renderingText = "";

  function nameBefore(url) {
    // Personal links come as "• <b>Name</b>\nhttps://t.me/…": the line above names the invitee.
    const at = renderingText.indexOf(url);
    if (at < 0) return "";
    const lines = renderingText.slice(0, at).split("\n").map((l) => l.replace(/^[•\s]+/, "").trim());
    const above = lines.length > 1 ? lines[lines.length - 2] : "";
    return lines[lines.length - 1] ? "" : above;
  }

  function link(href, text) {
    if (!safeUrl(href)) return el("span", "link-disabled", text);
    const a = el("a", "link", text);
    a.href = href;
    const token = deepLinkToken(href);
    if (token) {
      const hint = nameBefore(href);
      a.classList.add("deep-link");
      a.title = "Mở link mời này trong sandbox";
      a.addEventListener("click", (event) => {
        event.preventDefault();
        hooks.openDeepLink(token, hint);
      });
    } else {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
    return a;
  }

  function command(text) {
    const a = el("a", "command", text);
    a.href = "#";
    a.title = `Gửi ${text}`;
    a.addEventListener("click", (event) => {
      event.preventDefault();
      hooks.send(text.split("@")[0]);
    });
    return a;
  }

  function appendPlain(parent, text) {
    let last = 0;
    for (const match of text.matchAll(PLAIN)) {
      if (match.index > last) parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(match[1] ? link(match[1], match[1]) : command(match[2]));
      last = match.index + match[0].length;
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function entityNode(entity, slice) {
    switch (entity.type) {
      case "bold": return { node: el("b") };
      case "italic": return { node: el("i") };
      case "underline": return { node: el("u") };
      case "strikethrough": return { node: el("s") };
      case "code": return { node: el("code"), leaf: true };
      case "pre": {
        const pre = el("pre");
        const code = el("code");
        pre.appendChild(code);
        return { node: pre, inner: code, leaf: true };
      }
      case "blockquote":
      case "expandable_blockquote": return { node: el("blockquote") };
      case "spoiler": {
        const span = el("span", "spoiler");
        span.title = "Bấm để xem";
        span.addEventListener("click", () => span.classList.add("revealed"));
        return { node: span };
      }
      case "text_link": {
        const node = link(entity.url, "");
        return { node };
      }
      case "url": return { node: link(slice, ""), leaf: true };
      case "bot_command": return { node: command(slice), leaf: true, filled: true };
      default: return { node: el("span", `entity-${String(entity.type).replace(/[^a-z_]/g, "")}`) };
    }
  }

  function renderText(text, entities) {
    const fragment = document.createDocumentFragment();
    const list = (Array.isArray(entities) ? entities : [])
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0)
      .map((e) => ({ ...e, end: e.offset + e.length }))
      .sort((a, b) => a.offset - b.offset || b.length - a.length);

    function build(parent, start, end, items, leaf) {
      let pos = start;
      let i = 0;
      const plain = (s) => (leaf ? parent.appendChild(document.createTextNode(s)) : appendPlain(parent, s));
      while (i < items.length) {
        const entity = items[i];
        if (entity.offset < pos) { i += 1; continue; }
        if (entity.offset >= end) break;
        plain(text.slice(pos, entity.offset));
        const stop = Math.min(entity.end, end);
        const nested = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < stop) { nested.push(items[j]); j += 1; }
        const made = entityNode(entity, text.slice(entity.offset, stop));
        if (!made.filled) build(made.inner || made.node, entity.offset, stop, nested, leaf || made.leaf);
        parent.appendChild(made.node);
        pos = stop;
        i = j;
      }
      if (pos < end) plain(text.slice(pos, end));
    }

    renderingText = text;
    build(fragment, 0, text.length, list, false);
    renderingText = "";
    return fragment;
  }

  // -- messages --------------------------------------------------------------------------------

  function fileSize(bytes) {
    if (bytes >= 1048576) return `${(bytes / 1048576).toFixed(1).replace(".", ",")} MB`;
    if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
    return `${bytes} B`;
  }

  function renderFile(file) {
    const box = el("div", "file");
    if (file.inline) {
      const img = el("img", "photo");
      img.addEventListener("load", () => hooks.imageLoaded());
      img.src = `/api/files/${encodeURIComponent(file.file_id)}?inline=1`;
      img.alt = file.name;
      box.appendChild(img);
    }
    const card = el("a", "file-card");
    card.href = `/api/files/${encodeURIComponent(file.file_id)}`;
    card.download = file.name;
    card.title = "Tải tệp về";
    card.appendChild(el("span", "file-icon", "⬇"));
    const meta = el("span", "file-meta");
    meta.appendChild(el("span", "file-name", file.name));
    meta.appendChild(el("span", "file-size", fileSize(file.size)));
    card.appendChild(meta);
    box.appendChild(card);
    return box;
  }

  function renderKeyboard(message) {
    const keyboard = el("div", "keyboard");
    for (const row of message.buttons) {
      const line = el("div", "keyboard-row");
      for (const button of row) {
        const node = el("button", "inline-button", button.text);
        node.type = "button";
        if (button.data !== undefined) {
          node.addEventListener("click", () => hooks.tap(message, button.data, node));
        } else if (button.url && safeUrl(button.url)) {
          node.classList.add("url-button");
          node.addEventListener("click", () => {
            const token = deepLinkToken(button.url);
            if (token) hooks.openDeepLink(token, "");
            else window.open(button.url, "_blank", "noopener,noreferrer");
          });
        } else {
          node.disabled = true;
          node.title = "Sandbox chưa hỗ trợ loại nút này";
        }
        line.appendChild(node);
      }
      keyboard.appendChild(line);
    }
    return keyboard;
  }

  function renderMessage(message, previous, isGroup) {
    if (message.service) {
      const row = el("div", "service");
      row.appendChild(el("span", "", message.service));
      return row;
    }
    const mine = message.from_id === hooks.me();
    const row = el("div", `message ${mine ? "out" : "in"}`);
    row.dataset.messageId = String(message.id);
    const bubble = el("div", "bubble");
    if (isGroup && !mine && (!previous || previous.from_id !== message.from_id || previous.service)) {
      bubble.appendChild(el("div", `sender ${colorClass(message.from_id)}`, message.from_name));
    }
    if (message.reply_to) {
      const quote = el("div", "reply");
      quote.appendChild(el("div", "reply-name", message.reply_to.from_name));
      quote.appendChild(el("div", "reply-text", message.reply_to.text));
      bubble.appendChild(quote);
    }
    if (message.photo) bubble.appendChild(renderFile({ ...message.photo, inline: true }));
    if (message.file) bubble.appendChild(renderFile(message.file));
    if (message.text) {
      const text = el("div", "text");
      text.appendChild(renderText(message.text, message.entities));
      bubble.appendChild(text);
    }
    const meta = el("span", "meta");
    if (message.edited) meta.appendChild(el("span", "edited", "đã sửa"));
    meta.appendChild(el("time", "", timeFormat.format(new Date(message.date * 1000))));
    if (mine) meta.appendChild(el("span", "ticks", "✓✓"));
    bubble.appendChild(meta);
    row.appendChild(bubble);
    if (message.buttons && message.buttons.length) row.appendChild(renderKeyboard(message));
    return row;
  }

  return {
    TZ, timeFormat, dayFormat, dayKey, el, initials, colorClass, safeUrl, deepLinkToken,
    renderText, renderMessage,
    setHooks(given) { hooks = { ...hooks, ...given }; },
  };
})();
