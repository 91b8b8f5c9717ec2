"""The sandbox page in Debian's headless Chromium: a secretary invites, a newcomer joins."""

from __future__ import annotations

import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from sqlmodel import select

from bot.models import Member
from sandbox.runtime import Sandbox
from sandbox.seed import GROUP_ID, NEWCOMER, SECRETARY

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTIFACT = REPO / "test-artifacts" / "sandbox.png"
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

pytestmark = [
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's Chromium is missing: run scripts/install-browser.sh (make test does)",
    ),
    pytest.mark.timeout(90),
]


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    running = Sandbox(tmp_path / "data", port=0)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


def last_in(page: Page) -> object:
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
    await expect(last_in(page)).to_contain_text("Chào mừng đồng chí Đỗ Minh Khoa!")
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

    # The clock: a day later; nothing is scheduled yet, so "next" is disabled and says why.
    before = sandbox.clock.offset
    await page.locator("#plus-day").click()
    await expect(page.locator("#clock-offset")).to_contain_text("1 ngày")
    assert (sandbox.clock.offset - before).days == 1
    to_next = page.locator("#to-next")
    await expect(to_next).to_be_disabled()
    await expect(to_next).to_have_attribute("title", re.compile("Chưa có mục nào"))

    # Back to the secretary, who was told the newcomer joined and finds her on the roster.
    await page.locator("#person").select_option(str(SECRETARY.user_id))
    await page.locator(f".chat-item[data-chat-id='{SECRETARY.user_id}']").click()
    await expect(page.locator("#messages")).to_contain_text(
        f"Đồng chí {NEWCOMER.full_name} đã tham gia Chi bộ Văn phòng."
    )
    await text.fill("/dangvien")
    await text.press("Enter")
    await expect(last_in(page)).to_contain_text("11 đồng chí, 10 đã tham gia")
    await expect(last_in(page).locator(".inline-button").first).to_have_text("1. Nguyễn Văn Bình")
    await text.fill("/")
    await expect(page.locator(".suggestion")).to_have_count(6)
    await expect(page.locator(".toast")).to_have_count(0)
    assert errors == []

    ARTIFACT.parent.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACT)


async def docs_screenshot(data_dir: Path) -> None:
    """Opens a fresh sandbox as the secretary, shows the roster, and saves the README picture."""
    sandbox = Sandbox(data_dir, port=0)
    await sandbox.start(reset=True)
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
            )
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(sandbox.url)
            await expect(page.locator("body")).to_have_attribute("data-ready", "1")
            await page.locator("#text").fill("/dangvien")
            await page.locator("#text").press("Enter")
            await expect(last_in(page)).to_contain_text("10 đồng chí, 9 đã tham gia")
            await page.locator("#text").fill("")
            await page.locator("#text").blur()
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
