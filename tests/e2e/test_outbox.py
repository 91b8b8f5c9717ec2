"""Delivery through the outbox: retries, 429s, unreachable people, and the priority lane."""

from __future__ import annotations

from sqlmodel import select

from bot.models import OutboxMessage, OutboxStatus, Priority, Reachability
from bot.services import outbox, people
from tests.e2e.conftest import Bot


def _row(bot: Bot, key: str) -> OutboxMessage:
    with bot.db.session() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)).one()


def _queue(bot: Bot, key: str, chat_id: int, person_id: int | None = None) -> None:
    with bot.db.session() as session:
        outbox.enqueue_message(
            session=session,
            dedupe_key=key,
            chat_id=str(chat_id),
            text=f"Tin {key}",
            priority=Priority.BULK,
            is_group=False,
            person_id=person_id,
            now=bot.clock.now(),
        )
    bot.runtime.wake()


async def test_server_errors_are_retried_until_delivered(bot: Bot) -> None:
    user = bot.api.add_user("Lan", started=True)
    bot.api.inject_fault("sendMessage", "server_error", count=2)

    _queue(bot, "t:5xx", user.id)
    delivered = await bot.api.next_call(
        "sendMessage", where=lambda c: c.result is not None and c.params["chat_id"] == user.id
    )

    assert delivered.result["text"] == "Tin t:5xx"
    await bot.settle()
    row = _row(bot, "t:5xx")
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 3
    assert row.provider_message_id == str(delivered.result["message_id"])


async def test_retry_after_is_honoured(bot: Bot) -> None:
    user = bot.api.add_user("Lan", started=True)
    bot.api.inject_fault("sendMessage", "retry_after", count=1, retry_after=1)

    _queue(bot, "t:429", user.id)
    refused = await bot.api.next_call("sendMessage", where=lambda c: c.error is not None)
    delivered = await bot.api.next_call("sendMessage", where=lambda c: c.result is not None)

    assert delivered.at - refused.at >= 1.0
    assert _row(bot, "t:429").attempts == 2


async def test_dropped_connections_and_timeouts_are_retried(bot: Bot) -> None:
    user = bot.api.add_user("Lan", started=True)
    bot.api.inject_fault("sendMessage", "drop", count=1)
    bot.api.inject_fault("sendMessage", "timeout", count=1, delay=4)

    _queue(bot, "t:net", user.id)
    delivered = await bot.api.next_call(
        "sendMessage", where=lambda c: c.result is not None, timeout=15
    )

    assert delivered.result["text"] == "Tin t:net"
    await bot.settle()
    assert _row(bot, "t:net").attempts == 3
    assert bot.api.sent_count(user.id) == 1


async def test_unreachable_people_are_recorded(bot: Bot) -> None:
    never = bot.api.add_user("Chưa Bấm Start")
    blocker = bot.api.add_user("Đã Chặn", started=True)
    bot.api.user_blocks(blocker)
    with bot.db.session() as session:
        ids = []
        for user in (never, blocker):
            person = people.ensure_person(
                session=session,
                channel="telegram",
                external_id=str(user.id),
                display_name=user.full_name,
                username=None,
                now=bot.clock.now(),
            )
            ids.append(person.id)

    _queue(bot, "t:never", never.id, ids[0])
    _queue(bot, "t:blocked", blocker.id, ids[1])
    await bot.settle()

    assert _row(bot, "t:never").status == OutboxStatus.BLOCKED
    assert _row(bot, "t:blocked").status == OutboxStatus.BLOCKED
    with bot.db.session() as session:
        reach = [people.accounts_of(session=session, person_id=i)[0].reachability for i in ids]
    assert reach == [Reachability.NEVER_STARTED, Reachability.BLOCKED]


async def test_a_persons_reply_overtakes_a_bulk_send(bot: Bot) -> None:
    recipients = [bot.api.add_user(f"Người {i}", started=True) for i in range(150)]
    with bot.db.session() as session:
        rows = []
        for index, user in enumerate(recipients):
            rows.extend(
                outbox.message_rows(
                    dedupe_key=f"bulk:{index}",
                    chat_id=str(user.id),
                    text="Thông báo chung",
                    priority=Priority.BULK,
                    is_group=False,
                    now=bot.clock.now(),
                )
            )
        outbox.enqueue_many(session=session, rows=rows)
    bot.runtime.wake()
    await bot.api.next_call("sendMessage", where=lambda c: c.params["text"] == "Thông báo chung")

    asker = bot.api.add_user("Người Hỏi")
    reply = await bot.say(asker, "/trogiup")

    assert "/ngonngu" in reply["text"]
    with bot.db.session() as session:
        still_pending = outbox.status_counts(session=session, key_prefix="bulk:").get(
            OutboxStatus.PENDING, 0
        )
    assert still_pending > 50
    assert bot.api.rate_limited_count == 0
