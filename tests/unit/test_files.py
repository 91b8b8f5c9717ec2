from datetime import datetime, timedelta

from sqlmodel import select

from bot.db import Database
from bot.models import FileCopy, OutboxMessage, StoredFile
from bot.services import delivery, files, outbox
from bot.ui import FileOut

ICS = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"


def _queue(db: Database, now: datetime, key: str, chat: str) -> None:
    with db.session() as session:
        outbox.enqueue_document(
            session=session,
            dedupe_key=key,
            chat_id=chat,
            document=FileOut(filename="hop.ics", content=ICS, caption="Lịch họp"),
            is_group=False,
            now=now,
        )


def test_bytes_are_stored_once_and_rows_refer_to_them(db: Database, now: datetime) -> None:
    _queue(db, now, "a", "1")
    _queue(db, now, "b", "2")
    with db.session() as session:
        stored = session.exec(select(StoredFile)).all()
        rows = session.exec(select(OutboxMessage)).all()
    assert len(stored) == 1
    assert stored[0].content == ICS
    assert stored[0].size == len(ICS)
    assert {r.payload["stored_file_id"] for r in rows} == {stored[0].id}
    assert all("content" not in r.payload and "content_b64" not in r.payload for r in rows)


def test_the_sender_gets_bytes_until_the_channel_has_an_id(db: Database, now: datetime) -> None:
    _queue(db, now, "a", "1")
    with db.session() as session:
        row = session.exec(select(OutboxMessage)).one()
        first = delivery.with_attachment(session=session, row=row)
        assert first.payload["content"] == ICS
        assert "file_id" not in first.payload
        delivery.claim(session=session, ids=[row.id or 0], now=now)
    with db.session() as session:
        delivery.record_delivery(
            session=session,
            row_id=row.id or 0,
            delivery=delivery.Delivery(kind="sent", provider_message_id="9", file_id="TG-FILE-1"),
            now=now,
            retry_base=timedelta(seconds=1),
        )
    with db.session() as session:
        assert session.exec(select(FileCopy.provider_file_id)).all() == ["TG-FILE-1"]
        again = delivery.with_attachment(session=session, row=row)
        other = files.for_sending(
            session=session, file_id=row.payload["stored_file_id"], channel="zalo"
        )
    assert again.payload["file_id"] == "TG-FILE-1"
    assert "content" not in again.payload
    assert other == (ICS, None)
