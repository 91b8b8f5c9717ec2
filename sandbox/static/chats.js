// The chibot sandbox page's chat list and chat header, and each channel's look: a Zalo chat has a
// "Zalo" badge, Zalo's blue, no file button, and Zalo's 2000-character limit.
// Every piece of text is put in the page with textContent or text nodes, never as HTML.
"use strict";

window.ChibotChats = (() => {
  const $ = (id) => document.getElementById(id);
  const { timeFormat, el, initials, colorClass } = window.ChibotRender;

  function isZalo(chat) {
    return Boolean(chat && chat.channel === "zalo");
  }

  function zaloBadge() {
    const badge = el("span", "channel-badge", "Zalo");
    badge.title = "Cuộc trò chuyện trên Zalo: không có nút bấm, gõ số để chọn";
    return badge;
  }

  function avatarClass(chat) {
    return `avatar ${chat.type === "private" ? "bot" : colorClass(chat.id)}${isZalo(chat) ? " zalo" : ""}`;
  }

  // One entry of the chat list; `unseen` adds the "mới" badge, `open(chatId)` opens it.
  function chatItem(chat, active, unseen, open) {
    const zalo = isZalo(chat);
    const item = el("li", `chat-item${active ? " active" : ""}${zalo ? " zalo" : ""}`);
    item.dataset.chatId = String(chat.id);
    item.dataset.channel = chat.channel || "telegram";
    item.tabIndex = 0;
    item.setAttribute("role", "button");
    item.appendChild(el("div", avatarClass(chat), chat.type === "private" ? "★" : initials(chat.title)));
    const body = el("div", "chat-body");
    const top = el("div", "chat-top");
    const name = el("span", "chat-name", chat.type === "private" ? `${chat.title} (bot)` : chat.title);
    if (zalo) name.appendChild(zaloBadge());
    top.appendChild(name);
    if (chat.date) top.appendChild(el("time", "chat-time", timeFormat.format(new Date(chat.date * 1000))));
    body.appendChild(top);
    const preview = el("div", "chat-preview");
    if (chat.preview_from) preview.appendChild(el("span", "preview-from", `${chat.preview_from}: `));
    preview.appendChild(document.createTextNode(chat.preview || "Chưa có tin nhắn"));
    body.appendChild(preview);
    item.appendChild(body);
    if (unseen) item.appendChild(el("span", "badge", "mới"));
    item.addEventListener("click", () => open(chat.id));
    item.addEventListener("keydown", (event) => { if (event.key === "Enter") open(chat.id); });
    return item;
  }

  // The header above the messages: who the chat is with, and on which channel.
  function renderHeader(chat, botUsername) {
    const zalo = isZalo(chat);
    const avatar = $("chat-avatar");
    avatar.className = avatarClass(chat);
    avatar.textContent = chat.type === "private" ? "★" : initials(chat.title);
    const title = $("chat-title");
    title.textContent = chat.title;
    if (zalo) title.appendChild(zaloBadge());
    let sub = `nhóm · ${chat.members} thành viên`;
    if (zalo) sub = "bot trên Zalo · không có nút bấm: gõ số của lựa chọn (ví dụ 1)";
    else if (chat.type === "private") sub = `bot · @${botUsername}`;
    $("chat-sub").textContent = sub;
  }

  // The chat area and the composer take the channel's look and its length limit.
  function applyChannel(chat, max, composer) {
    const zalo = isZalo(chat);
    $("chat").classList.toggle("zalo", zalo);
    const text = $("text");
    text.maxLength = max;
    text.placeholder = zalo
      ? "Nhập tin nhắn… (gõ số để chọn, ví dụ 1)"
      : "Nhập tin nhắn… (gõ / để xem các lệnh)";
    $("counter").title = `${zalo ? "Zalo" : "Telegram"} cho tối đa ${max} ký tự một tin nhắn`;
    composer.updateCounter();
  }

  return { isZalo, chatItem, renderHeader, applyChannel };
})();
