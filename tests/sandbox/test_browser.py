"""The sandbox page in Debian's headless Chromium: a secretary invites, a newcomer joins, a
member on Zalo answers a notice by typing its number."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect
from sqlmodel import select

from bot.models import Member, Rsvp, RsvpAnswer
from sandbox.runtime import Sandbox
from sandbox.seed import GROUP_ID, MEETING_TOPIC, NEWCOMER, SECRETARY
from sandbox.seed_zalo import MAI
from sandbox.zalo import page_id

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "test-artifacts" / "sandbox.png"
ZALO_ARTIFACT = REPO / "test-artifacts" / "sandbox-zalo.png"
#: The README's picture: `python -m tests.sandbox.test_browser` regenerates it.
DOCS_SCREENSHOT = REPO / "docs" / "sandbox.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MEMBER_ID = 7_100_000_009  # Đỗ Minh Khoa, probationary
MAI_ID = page_id(MAI.user_id)  # Lê Thị Mai, on Zalo
#: What the bot answers an attending RSVP (msgid "Noted: you will attend. Thank you, comrade.").
ATTENDING = "Đã ghi nhận: đồng chí tham dự. Cảm ơn đồng chí."
ZALO_BLUE = "rgb(0, 104, 255)"
TOPIC = "Phòng chống diễn biến hòa bình trên không gian mạng"

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is missing: run scripts/install-browser.sh (make test does)",
    ),
    pytest.mark.timeout(90),
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


def last_in(page: Page) -> Locator:
    return page.locator("#messages .message.in").last


async def test_secretary_invites_and_the_newcomer_joins_in_the_browser(
    sandbox: Sandbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "1")

    # The secretary is acting; the cell's group and the private chat with the bot are listed.
    await expect(page.locator("#person")).to_have_value(str(SECRETARY.user_id))
    await expect(page.locator(".chat-item")).to_have_count(2)
    await expect(page.locator(f".chat-item[data-chat-id='{GROUP_ID}']")).to_contain_text(
        "Chi bộ Văn phòng"
    )

    # /moi from the command suggestions, then through the form's buttons.
    text = page.locator("#text")
    await text.fill("/mo")
    suggestion = page.locator(".suggestion[data-command='moi']")
    await expect(suggestion).to_contain_text("Mời")
    await suggestion.click()
    await page.get_by_role("button", name="➕ Thêm người và tạo link mời riêng").click()
    await expect(last_in(page)).to_contain_text("họ và tên")
    await text.fill(NEWCOMER.full_name)
    await text.press("Enter")
    await page.get_by_role("button", name="Đảng viên", exact=True).last.click()
    await page.get_by_role("button", name="chính thức", exact=True).last.click()
    await page.get_by_role("button", name="✅ Xác nhận").last.click()
    link = page.locator("#messages a.deep-link").last
    await expect(link).to_have_text(re.compile(r"^https://t\.me/chibot_sandbox_bot\?start="))

    # The secretary passes the link on; the newcomer opens it and confirms.
    await link.click()
    await expect(page.locator("#link-person")).to_have_value(str(NEWCOMER.user_id))
    await page.locator("#link-open").click()
    await expect(page.locator("#person")).to_have_value(str(NEWCOMER.user_id))
    await expect(last_in(page)).to_contain_text("Chi bộ Văn phòng")
    await expect(last_in(page)).to_contain_text(NEWCOMER.full_name)
    await page.get_by_role("button", name="✅ Xác nhận").last.click()
    await expect(last_in(page)).to_contain_text(f"Chào mừng đồng chí {NEWCOMER.full_name}!")
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        hoa = session.exec(select(Member).where(Member.full_name == NEWCOMER.full_name)).one()
    assert hoa.person_id is not None

    # A seeded member: their welcome, then the group, where typed markup stays text.
    await page.locator("#person").select_option(str(MEMBER_ID))
    await expect(page.locator("#messages")).to_contain_text("Chào mừng đồng chí Đỗ Minh Khoa!")
    await page.locator(f".chat-item[data-chat-id='{GROUP_ID}']").click()
    await expect(page.locator("#chat-sub")).to_contain_text("10 thành viên")
    markup = '<b>x</b><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
    await text.fill(markup)
    await text.press("Enter")
    mine = page.locator("#messages .message.out").last
    await expect(mine).to_contain_text("<script>window.__pwned=1</script>")
    assert await page.evaluate("window.__pwned") is None
    assert await mine.locator("script, img, b").count() == 0
    assert await page.locator("#messages script").count() == 0

    # At most 4096 characters, with a visible counter.
    await text.fill("a" * 5000)
    await expect(page.locator("#counter")).to_have_text("4096/4096")
    assert len(await text.input_value()) == 4096
    await text.fill("")

    # The clock: a day later; the demo meeting's reminders or the registration's chores (a
    # reminder, a check-in round, a nudge) are what comes next.
    before = sandbox.clock.offset
    await page.locator("#plus-day").click()
    await expect(page.locator("#clock-offset")).to_contain_text("1 ngày")
    assert (sandbox.clock.offset - before).days == 1
    to_next = page.locator("#to-next")
    await expect(to_next).to_be_enabled()
    await expect(to_next).to_have_attribute(
        "title",
        re.compile(
            "^Đến (lời nhắc họp kế tiếp|lời nhắc đăng ký cam kết|kỳ báo cáo tiến độ mới"
            "|lời nhắc báo cáo tiến độ) lúc"
        ),
    )

    # Back to the secretary, who was told the newcomer joined and finds her on the roster.
    await page.locator("#person").select_option(str(SECRETARY.user_id))
    await page.locator(f".chat-item[data-chat-id='{SECRETARY.user_id}']").click()
    await expect(page.locator("#messages")).to_contain_text(
        f"Đồng chí {NEWCOMER.full_name} đã tham gia Chi bộ Văn phòng."
    )
    await text.fill("/dangvien")
    await text.press("Enter")
    await expect(last_in(page)).to_contain_text("12 đồng chí, 11 đã tham gia")
    await expect(last_in(page).locator(".inline-button").first).to_have_text("1. Nguyễn Văn Bình")
    await text.fill("/")
    # The secretary's own menu (the committee's and the secretary's commands too).
    menu = sandbox.api.commands("chat", chat=SECRETARY.user_id)
    assert len(menu) > 5
    await expect(page.locator(".suggestion")).to_have_count(len(menu))
    await expect(page.locator(".suggestion[data-command='dangvien']")).to_be_visible()
    await expect(page.locator(".toast")).to_have_count(0)
    assert errors == []
    assert await page.locator("body").get_attribute("data-errors") is None

    ARTIFACT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACT)


async def test_secretary_schedules_a_meeting_and_the_clock_brings_a_reminder(
    sandbox: Sandbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "1")
    text = page.locator("#text")

    async def answer(typed: str, then_expect: str) -> None:
        await text.fill(typed)
        await text.press("Enter")
        await expect(last_in(page)).to_contain_text(then_expect)

    async def tap(button: str | None, then_expect: str) -> None:
        buttons = last_in(page).locator(".inline-button")
        target = buttons.first if button is None else buttons.filter(has_text=button).first
        await target.click()
        await expect(last_in(page)).to_contain_text(then_expect)

    # /taohop through its buttons and typed answers, as a secretary would on a phone.
    await answer("/taohop", "Loại cuộc họp?")
    await tap("Sinh hoạt chuyên đề", "Chủ đề")
    await answer(TOPIC, "Ngày nào?")
    await answer("thứ 5 tuần sau 19h30", "Thời lượng?")
    await tap(None, "Ở đâu?")
    await answer("Hội trường tầng 2", "chủ trì")
    await tap("Nguyễn Văn Bình", "báo cáo viên")
    await tap("Trần Thị Hương", "Chương trình")
    await answer("Khai mạc\nBáo cáo chuyên đề\nThảo luận", "lặp lại")
    await tap("Chỉ một lần", "nhắc")
    await tap(None, TOPIC)
    await last_in(page).locator(".inline-button", has_text="✅ Xác nhận").click()
    # The confirmation, then (the secretary being a member too) his own copy of the notice.
    await expect(page.locator("#messages")).to_contain_text("Đã lên lịch và gửi thông báo")

    # A member finds the notice in their private chat and answers with a button.
    await page.locator("#person").select_option(str(MEMBER_ID))
    notice = page.locator("#messages .message.in", has_text=TOPIC).last
    await expect(notice).to_contain_text("Thông báo sinh hoạt")
    await expect(notice).to_contain_text("19:30")
    await notice.locator(".inline-button", has_text="✅ Tham dự").click()
    await expect(page.locator(".toast")).to_contain_text("Đã ghi nhận: đồng chí tham dự")

    # The clock jumps to the next scheduled item: the demo meeting's first reminder.
    to_next = page.locator("#to-next")
    await expect(to_next).to_be_enabled()
    await to_next.click()
    reminder = page.locator("#messages .message.in").last
    await expect(reminder).to_contain_text("Nhắc lịch: còn 3 ngày")
    await expect(reminder).to_contain_text(MEETING_TOPIC)
    await expect(page.locator("#clock-offset")).to_contain_text("nhanh hơn giờ thật")
    assert errors == []
    assert await page.locator("body").get_attribute("data-errors") is None


async def test_zalo_member_answers_the_notice_by_typing_its_number(
    sandbox: Sandbox, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "1")

    # Lê Thị Mai is in the switcher as a Zalo user; her one chat is the bot on Zalo.
    option = page.locator(f"#person option[value='{MAI_ID}']")
    await expect(option).to_have_text(f"{MAI.full_name} — Đảng viên · Zalo")
    await page.locator("#person").select_option(MAI_ID)
    chat = page.locator(f".chat-item[data-chat-id='{MAI_ID}']")
    await expect(page.locator(".chat-item")).to_have_count(1)
    await expect(chat.locator(".channel-badge")).to_have_text("Zalo")
    await chat.click()
    await expect(chat).to_have_class(re.compile(r"\bactive\b"))
    await expect(chat).to_have_css("background-color", ZALO_BLUE)
    await expect(page.locator("#chat-title")).to_contain_text("Zalo")
    await expect(page.locator("#chat-sub")).to_contain_text("gõ số")
    await expect(page.locator("#chat")).to_have_class(re.compile(r"\bzalo\b"))
    await expect(page.locator(".attach")).to_be_hidden()

    # The meeting notice, as plain text with numbered choices and no buttons.
    notice = page.locator("#messages .message.in", has_text="Thông báo sinh hoạt").last
    await expect(notice).to_contain_text(MEETING_TOPIC)
    await expect(notice).to_contain_text("1. ✅ Tham dự")
    await expect(notice).to_contain_text("2. 🙏 Vắng có lý do")
    await expect(page.locator("#messages .inline-button")).to_have_count(0)

    # She types "1" and sends; the bot confirms in her Zalo chat, live.
    text = page.locator("#text")
    await expect(text).to_have_attribute("maxlength", "2000")
    mine = page.locator("#messages .message.out")
    await expect(mine).to_have_count(2)  # the join code and "1" that confirmed it
    await text.fill("1")
    await page.locator("#send").click()
    await expect(mine).to_have_count(3)
    await expect(mine.last.locator(".text")).to_have_text("1")
    await expect(last_in(page)).to_contain_text(ATTENDING)
    assert sandbox.db is not None
    with sandbox.db.session() as session:
        mai = session.exec(select(Member).where(Member.full_name == MAI.full_name)).one()
        [rsvp] = session.exec(select(Rsvp).where(Rsvp.member_id == mai.id)).all()
    assert rsvp.answer == RsvpAnswer.ATTENDING

    # Back on Telegram, the page looks like Telegram again.
    await page.locator("#person").select_option(str(SECRETARY.user_id))
    await expect(page.locator(f".chat-item[data-chat-id='{GROUP_ID}']")).to_be_visible()
    await expect(page.locator("#chat")).not_to_have_class(re.compile(r"\bzalo\b"))
    await expect(page.locator(".channel-badge")).to_have_count(0)
    await expect(text).to_have_attribute("maxlength", "4096")
    await page.locator("#person").select_option(MAI_ID)
    await expect(last_in(page)).to_contain_text(ATTENDING)
    assert errors == []
    assert await page.locator("body").get_attribute("data-errors") is None

    ZALO_ARTIFACT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=ZALO_ARTIFACT)


async def docs_screenshot(data_dir: Path) -> None:
    """Opens a fresh sandbox as the secretary, shows the roster, and saves the README picture."""
    sandbox = Sandbox(data_dir, port=0)
    await sandbox.start(reset=True)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 860})
            await page.goto(sandbox.url)
            await expect(page.locator("body")).to_have_attribute("data-ready", "1")
            await page.locator(f".chat-item[data-chat-id='{GROUP_ID}']").click()
            await expect(page.locator("#messages")).to_contain_text("Thông báo sinh hoạt")
            DOCS_SCREENSHOT.parent.mkdir(exist_ok=True)
            await page.screenshot(path=DOCS_SCREENSHOT)
            await browser.close()
    finally:
        await sandbox.stop()


if __name__ == "__main__":
    import asyncio
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(docs_screenshot(Path(scratch)))
    sys.stdout.write(f"saved {DOCS_SCREENSHOT}\n")
