// The chibot sandbox page's clock control: the bot's time, how far ahead of real time it is, and
// the buttons that move it (+1 giờ, +1 ngày, Đến mục kế tiếp); the server runs the bot's tick.
"use strict";

window.ChibotClock = {
  // `page` supplies post(path, body) (resolves to the answer), toast(text) and fail(error).
  create(page) {
    const $ = (id) => document.getElementById(id);
    const { timeFormat, dayFormat } = window.ChibotRender;
    let clock = null;
    let delta = 0;

    function render() {
      if (!clock) return;
      const now = new Date((Date.now() / 1000 + delta) * 1000);
      $("clock-now").textContent = `${timeFormat.format(now)} · ${dayFormat.format(now)}`;
      const hours = Math.round(clock.offset_seconds / 3600);
      const days = Math.floor(hours / 24);
      const rest = hours % 24;
      const parts = [];
      if (days) parts.push(`${days} ngày`);
      if (rest) parts.push(`${rest} giờ`);
      $("clock-offset").textContent = parts.length ? `(nhanh hơn giờ thật ${parts.join(" ")})` : "(đúng giờ thật)";
      const next = $("to-next");
      next.disabled = !clock.next;
      next.title = clock.next
        ? `Đến ${clock.next.label} lúc ${timeFormat.format(new Date(clock.next.at * 1000))} ${dayFormat.format(new Date(clock.next.at * 1000))}`
        : "Chưa có mục nào được lên lịch (nhắc họp, hỏi tiến độ, bản tổng hợp)";
    }

    // The server's view of the clock: {now, offset_seconds, next}.
    function apply(given) {
      clock = given;
      delta = given.now - Date.now() / 1000;
      render();
    }

    async function move(action, button) {
      button.disabled = true;
      try {
        apply(await page.post("/api/clock", { action }));
        page.toast(action === "hour" ? "Đã tua thêm 1 giờ." : action === "day" ? "Đã tua thêm 1 ngày." : "Đã tua đến mục kế tiếp.");
      } catch (err) {
        page.fail(err);
      } finally {
        button.disabled = false;
        render();
      }
    }

    $("plus-hour").addEventListener("click", (event) => move("hour", event.currentTarget));
    $("plus-day").addEventListener("click", (event) => move("day", event.currentTarget));
    $("to-next").addEventListener("click", (event) => move("next", event.currentTarget));
    setInterval(render, 1000);
    return { apply };
  },
};
