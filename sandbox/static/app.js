// The chibot sandbox page: a small chat client for the fake Telegram and Zalo servers (render.js
// draws). Every piece of text is put in the page with textContent or text nodes, never as HTML.
// People and chats are Telegram's numeric ids, or "zalo:<id>" strings on the Zalo side.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const R = window.ChibotRender;
  const C = window.ChibotChats;
  const { dayFormat, dayKey, el, renderMessage } = R;
  const state = {
    bot: null,
    people: [],
    me: null,
    chats: [],
    chatId: null,
    commands: [],
    maxText: 4096,
    rendered: "",
    stick: false,
    pinned: true,
  };
  let composer = null;
  let clock = null;
  // -- helpers ---------------------------------------------------------------------------------

  async function api(path, options) {
    const response = await fetch(path, options);
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `Lỗi ${response.status}`);
    }
    return data;
  }

  function post(path, body) {
    return api(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  function toast(text, kind) {
    const node = el("div", `toast ${kind || ""}`, text);
    $("toasts").appendChild(node);
    setTimeout(() => node.classList.add("fade"), 3200);
    setTimeout(() => node.remove(), 3800);
  }

  function alertBox(text) {
    $("alert-text").textContent = text;
    const dialog = $("alert-dialog");
    if (!dialog.open) dialog.showModal();
  }

  function fail(err) {
    // Counted on the page too, so that a browser test notices an error it did not cause.
    document.body.dataset.errors = String(Number(document.body.dataset.errors || 0) + 1);
    toast(err && err.message ? err.message : String(err), "error");
  }

  function debounce(fn, ms) {
    let timer = null;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // A select's or storage's value back to an id: a number for Telegram, "zalo:…" as it is.
  function parseId(value) {
    const text = String(value);
    return /^-?\d+$/.test(text) ? Number(text) : text;
  }

  function query(params) {
    return Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join("&");
  }

  function person(id) {
    return state.people.find((p) => p.id === id) || null;
  }

  function currentChat() {
    return state.chats.find((c) => c.id === state.chatId) || null;
  }

  function maxText() {
    const chat = currentChat();
    return (chat && chat.max_text) || state.maxText;
  }


  function renderMessages(messages) {
    const box = $("messages");
    const stick = !state.rendered || state.stick || box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    const signature = JSON.stringify([state.me, state.chatId, messages]);
    if (signature === state.rendered) return;
    state.rendered = signature;
    const chat = currentChat();
    const isGroup = chat && chat.type !== "private";
    box.replaceChildren();
    if (!messages.length) {
      const empty = el("div", "empty");
      empty.appendChild(el("p", "", "Chưa có tin nhắn nào trong lần chạy này."));
      empty.appendChild(el("p", "", isGroup ? "Gõ / để xem các lệnh dùng trong nhóm." : "Gửi /start để bắt đầu, hoặc gõ / để xem các lệnh."));
      box.appendChild(empty);
      return;
    }
    let day = "";
    let previous = null;
    for (const message of messages) {
      const key = dayKey.format(new Date(message.date * 1000));
      if (key !== day) {
        day = key;
        const chip = el("div", "day");
        chip.appendChild(el("span", "", dayFormat.format(new Date(message.date * 1000))));
        box.appendChild(chip);
        previous = null;
      }
      box.appendChild(renderMessage(message, previous, isGroup));
      previous = message;
    }
    if (stick) {
      box.scrollTop = box.scrollHeight;
      state.stick = false;
    }
    state.pinned = stick;
  }

  async function tap(message, data, node) {
    node.classList.add("pending");
    setTimeout(() => node.classList.remove("pending"), 2500);
    try {
      await post("/api/tap", { user: state.me, chat: state.chatId, message: message.id, data });
    } catch (err) {
      node.classList.remove("pending");
      fail(err);
    }
  }

  // -- chats -----------------------------------------------------------------------------------

  const seen = {};

  function renderChats() {
    const list = $("chat-list");
    list.replaceChildren();
    for (const chat of state.chats) {
      const unseen = chat.id !== state.chatId && chat.last_id > (seen[`${state.me}:${chat.id}`] || 0);
      list.appendChild(C.chatItem(chat, chat.id === state.chatId, unseen, openChat));
    }
  }

  function renderHeader() {
    const chat = currentChat();
    if (!chat) return;
    C.renderHeader(chat, state.bot.username);
    C.applyChannel(chat, maxText(), composer);
  }

  async function loadChats() {
    if (state.me === null) return;
    const me = state.me;
    const chats = await api(`/api/chats?${query({ user: me })}`);
    // The person may have been switched while this was on its way: drop a stale answer.
    if (me !== state.me) return;
    state.chats = chats;
    if (!currentChat()) {
      const own = state.chats.find((c) => c.type === "private");
      state.chatId = own ? own.id : (state.chats[0] ? state.chats[0].id : null);
    }
    renderChats();
    renderHeader();
  }

  async function loadMessages() {
    if (state.chatId === null) return;
    const me = state.me;
    const chatId = state.chatId;
    const messages = await api(`/api/messages?${query({ user: me, chat: chatId })}`);
    if (me !== state.me || chatId !== state.chatId) return;
    const chat = currentChat();
    if (chat) seen[`${me}:${chatId}`] = chat.last_id;
    renderMessages(messages);
  }

  async function loadCommands() {
    state.commands = [];
    if (state.chatId === null) return;
    const me = state.me;
    const chatId = state.chatId;
    const commands = await api(`/api/commands?${query({ user: me, chat: chatId })}`);
    if (me === state.me && chatId === state.chatId) state.commands = commands;
  }

  async function openChat(chatId) {
    state.chatId = chatId;
    state.rendered = "";
    renderChats();
    renderHeader();
    composer.hide();
    try {
      await Promise.all([loadMessages(), loadCommands()]);
      renderChats();
    } catch (err) {
      fail(err);
    }
    $("text").focus();
  }

  async function setMe(userId) {
    state.me = userId;
    state.chatId = null;
    $("person").value = String(userId);
    try {
      localStorage.setItem("chibot-sandbox-person", String(userId));
    } catch (err) {
      // Private browsing: the choice is simply not remembered.
    }
    await loadChats();
    await openChat(state.chatId);
  }

  // -- people ----------------------------------------------------------------------------------

  function fillPeople(select, chosen, channel) {
    select.replaceChildren();
    for (const p of state.people) {
      if (channel && p.channel !== channel) continue;
      const option = el("option", "", `${p.name} — ${p.label}`);
      option.value = String(p.id);
      select.appendChild(option);
    }
    if (chosen !== null) select.value = String(chosen);
  }

  async function loadState() {
    const data = await api("/api/state");
    state.bot = data.bot;
    state.people = data.people;
    state.maxText = data.max_text;
    $("notice").textContent = data.notice;
    clock.apply(data.clock);
    return data;
  }

  async function refreshPeople() {
    try {
      await loadState();
      fillPeople($("person"), state.me);
    } catch (err) {
      fail(err);
    }
  }

  // -- sending ---------------------------------------------------------------------------------

  async function sendText(text) {
    if (state.chatId === null) return false;
    try {
      state.stick = true;
      await post("/api/send", { user: state.me, chat: state.chatId, text });
      return true;
    } catch (err) {
      fail(err);
      return false;
    }
  }

  async function upload(file, caption) {
    if (!file || state.chatId === null) return false;
    state.stick = true;
    const form = new FormData();
    form.append("user", String(state.me));
    form.append("chat", String(state.chatId));
    if (caption) form.append("caption", caption.slice(0, 1024));
    form.append("file", file, file.name);
    try {
      await api("/api/upload", { method: "POST", body: form });
      toast(`Đã gửi tệp ${file.name}.`);
      return true;
    } catch (err) {
      fail(err);
      return false;
    }
  }

  // -- invite links ----------------------------------------------------------------------------

  let pendingToken = null;

  function openDeepLink(token, hint) {
    pendingToken = token;
    const wanted = String(hint || "").normalize("NFC").toLocaleLowerCase("vi");
    const telegram = state.people.filter((p) => p.channel !== "zalo");
    const named = telegram.find((p) => p.name.normalize("NFC").toLocaleLowerCase("vi") === wanted);
    const outsider = (prefix) => telegram.find((p) => p.id !== state.me && p.label.startsWith(prefix));
    const self = telegram.find((p) => p.id === state.me) || telegram[0];
    const chosen = named || outsider("người mới") || outsider("có trong danh sách") || self;
    // A t.me link opens Telegram: only Telegram users can open it.
    fillPeople($("link-person"), chosen ? chosen.id : null, "telegram");
    $("link-dialog").showModal();
  }

  async function linkDialogClosed() {
    const dialog = $("link-dialog");
    const token = pendingToken;
    pendingToken = null;
    if (dialog.returnValue !== "open" || !token) return;
    const userId = parseId($("link-person").value);
    await setMe(userId);
    await sendText(`/start ${token}`);
  }

  // -- live updates ----------------------------------------------------------------------------

  const refreshChat = debounce(async () => {
    try {
      await loadChats();
      await loadMessages();
    } catch (err) {
      fail(err);
    }
  }, 40);
  const refreshLabels = debounce(refreshPeople, 400);

  function listen() {
    const events = new EventSource("/api/events");
    let broken = false;
    events.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (err) {
        return;
      }
      if (event.type === "chat") {
        refreshChat();
        refreshLabels();
      } else if (event.type === "toast" && event.user_id === state.me) {
        if (event.alert) alertBox(event.text);
        else toast(event.text);
      } else if (event.type === "clock") {
        refreshLabels();
      }
    };
    events.onerror = () => { broken = true; };
    events.onopen = () => {
      if (broken) {
        broken = false;
        refreshPeople().then(refreshChat);
      }
    };
  }

  // -- start -----------------------------------------------------------------------------------

  function wire() {
    composer = window.ChibotComposer.create({
      send: sendText,
      upload,
      commands: () => state.commands,
      maxText,
      fail,
    });
    $("person").addEventListener("change", (event) => setMe(parseId(event.target.value)).catch(fail));
    clock = window.ChibotClock.create({ post, toast, fail });
    $("link-dialog").addEventListener("close", () => linkDialogClosed().catch(fail));
    $("messages").addEventListener("scroll", () => {
      const box = $("messages");
      state.pinned = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    });
  }

  async function start() {
    R.setHooks({
      me: () => state.me,
      botUsername: () => (state.bot ? state.bot.username : ""),
      tap,
      openDeepLink,
      send: sendText,
      imageLoaded: () => {
        // An image grows its message after drawing: stay at the bottom if we were there.
        const box = $("messages");
        if (state.pinned) box.scrollTop = box.scrollHeight;
      },
    });
    wire();
    try {
      const data = await loadState();
      let chosen = data.default_person;
      try {
        const stored = parseId(localStorage.getItem("chibot-sandbox-person"));
        if (person(stored)) chosen = stored;
      } catch (err) {
        // No storage: act as the secretary.
      }
      fillPeople($("person"), chosen);
      listen();
      await setMe(chosen);
      document.body.dataset.ready = "1";
    } catch (err) {
      fail(err);
    }
    composer.updateCounter();
  }

  start();
})();
