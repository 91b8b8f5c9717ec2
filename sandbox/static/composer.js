// The chibot sandbox page's message box: length counter, command suggestions, file upload.
"use strict";

window.ChibotComposer = {
  // `page` supplies send(text) and upload(file, caption) (both resolve to true when sent),
  // commands() (the bot's menu for this chat), maxText() and fail(error).
  create(page) {
    const $ = (id) => document.getElementById(id);
    const { el } = window.ChibotRender;
    const text = $("text");
    const list = $("suggestions");
    let selected = -1;

    function updateCounter() {
      const max = page.maxText();
      // maxlength stops typing; a script or an odd paste can still set more, so cut here too.
      if (text.value.length > max) text.value = text.value.slice(0, max);
      const length = text.value.length;
      const counter = $("counter");
      counter.textContent = `${length}/${max}`;
      counter.classList.toggle("near", length > max * 0.9);
      counter.classList.toggle("full", length >= max);
      text.style.height = "auto";
      text.style.height = `${Math.min(text.scrollHeight, 180)}px`;
    }

    function clear() {
      text.value = "";
      updateCounter();
    }

    function matching() {
      const value = text.value;
      if (!value.startsWith("/") || /\s/.test(value)) return [];
      const typed = value.slice(1).toLowerCase();
      return page.commands().filter((c) => c.command.startsWith(typed));
    }

    function hide() {
      list.hidden = true;
      selected = -1;
    }

    async function pick(name) {
      hide();
      clear();
      await page.send(`/${name}`);
    }

    function show() {
      const found = matching();
      list.replaceChildren();
      if (!found.length) {
        hide();
        return;
      }
      selected = Math.min(Math.max(selected, 0), found.length - 1);
      found.forEach((c, index) => {
        const item = el("li", `suggestion${index === selected ? " selected" : ""}`);
        item.setAttribute("role", "option");
        item.dataset.command = c.command;
        item.appendChild(el("span", "suggestion-command", `/${c.command}`));
        item.appendChild(el("span", "suggestion-text", c.description));
        item.addEventListener("mousedown", (event) => {
          event.preventDefault();
          pick(c.command);
        });
        list.appendChild(item);
      });
      list.hidden = false;
    }

    async function submit() {
      const value = text.value;
      if (!value.trim()) return;
      if (value.length > page.maxText()) {
        page.fail(new Error(`Tin nhắn dài quá ${page.maxText()} ký tự.`));
        return;
      }
      hide();
      if (await page.send(value)) clear();
    }

    $("composer").addEventListener("submit", (event) => {
      event.preventDefault();
      submit();
    });
    text.addEventListener("input", () => {
      updateCounter();
      selected = 0;
      show();
    });
    text.addEventListener("keydown", (event) => {
      const found = list.hidden ? [] : matching();
      if (found.length && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
        event.preventDefault();
        selected = (selected + (event.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
        show();
      } else if (found.length && (event.key === "Tab" || (event.key === "Enter" && !event.shiftKey))) {
        event.preventDefault();
        pick(found[Math.max(selected, 0)].command);
      } else if (event.key === "Escape") {
        hide();
      } else if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        submit();
      }
    });
    text.addEventListener("blur", () => setTimeout(hide, 150));
    $("file").addEventListener("change", async (event) => {
      const input = event.target;
      const caption = text.value.trim();
      try {
        if (await page.upload(input.files[0], caption) && caption) clear();
      } finally {
        input.value = "";
      }
    });

    return { updateCounter, hide };
  },
};
