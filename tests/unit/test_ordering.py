"""KeyedOrder: different keys at once (within the limit), one key's works in arrival order."""

from __future__ import annotations

import asyncio

import pytest

from handlers.ordering import KeyedOrder


class Recorder:
    """Works that note when they start and end, and wait for a gate when told to."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.started: dict[str, asyncio.Event] = {}

    def gate(self, name: str) -> asyncio.Event:
        self.gates[name] = asyncio.Event()
        return self.gates[name]

    def has_started(self, name: str) -> asyncio.Event:
        return self.started.setdefault(name, asyncio.Event())

    async def work(self, name: str) -> str:
        self.log.append(f"start {name}")
        self.has_started(name).set()
        gate = self.gates.get(name)
        if gate is not None:
            await gate.wait()
        self.log.append(f"end {name}")
        return name


async def test_another_key_runs_while_one_is_held_and_one_key_keeps_its_order() -> None:
    order = KeyedOrder(limit=4)
    rec = Recorder()
    held = rec.gate("a1")
    a1 = asyncio.create_task(order.run(["a"], rec.work("a1")))
    a2 = asyncio.create_task(order.run(["a"], rec.work("a2")))
    b1 = asyncio.create_task(order.run(["b"], rec.work("b1")))

    # b1 finishes although a1, which came first, is still held.
    assert await b1 == "b1"
    await rec.has_started("a1").wait()
    assert not a1.done()
    assert not a2.done()
    assert "start a2" not in rec.log  # waits for a1, not merely for a slot
    assert order.running == 1

    held.set()
    assert await asyncio.gather(a1, a2) == ["a1", "a2"]
    assert rec.log == ["start a1", "start b1", "end b1", "end a1", "start a2", "end a2"]
    assert order.keys_in_flight == 0  # nothing kept once idle


async def test_an_update_waits_for_every_key_it_shares() -> None:
    # A person writing in a group: ordered after that person's private update and after the
    # group's earlier update from someone else; an unrelated one is not held.
    order = KeyedOrder(limit=8)
    rec = Recorder()
    private = rec.gate("alice-private")
    group = rec.gate("bob-group")
    tasks = [
        asyncio.create_task(order.run([("user", "alice")], rec.work("alice-private"))),
        asyncio.create_task(order.run([("user", "bob"), ("chat", "g")], rec.work("bob-group"))),
        asyncio.create_task(
            order.run([("user", "alice"), ("chat", "g")], rec.work("alice-group"))
        ),
        asyncio.create_task(order.run([("user", "carol")], rec.work("carol"))),
    ]
    await tasks[3]
    await rec.has_started("bob-group").wait()
    private.set()
    await tasks[0]
    assert "start alice-group" not in rec.log  # still behind bob's update in the group
    group.set()
    await asyncio.gather(*tasks)
    assert rec.log.index("start alice-group") > rec.log.index("end bob-group")
    assert rec.log.index("start alice-group") > rec.log.index("end alice-private")
    assert order.keys_in_flight == 0


async def test_at_most_limit_run_at_once_and_the_rest_queue() -> None:
    order = KeyedOrder(limit=2)
    rec = Recorder()
    gates = [rec.gate(f"p{i}") for i in range(5)]
    tasks = [asyncio.create_task(order.run([f"p{i}"], rec.work(f"p{i}"))) for i in range(5)]
    # Every task took its first step (in creation order) before the test resumes.
    await rec.has_started("p1").wait()
    assert order.running == 2
    assert [line for line in rec.log if line.startswith("start")] == ["start p0", "start p1"]
    for gate in gates:
        gate.set()
    await asyncio.gather(*tasks)
    assert sorted(rec.log) == sorted(
        [f"start p{i}" for i in range(5)] + [f"end p{i}" for i in range(5)]
    )
    assert order.running == 0
    assert order.keys_in_flight == 0


async def test_a_failing_or_cancelled_work_releases_the_next_one() -> None:
    order = KeyedOrder(limit=2)
    rec = Recorder()

    async def fails() -> str:
        raise RuntimeError("the handler broke")

    first = asyncio.create_task(order.run(["a"], fails()))
    held = rec.gate("a2")
    second = asyncio.create_task(order.run(["a"], rec.work("a2")))
    third = asyncio.create_task(order.run(["a"], rec.work("a3")))
    with pytest.raises(RuntimeError):
        await first
    await rec.has_started("a2").wait()
    second.cancel()
    with pytest.raises(asyncio.CancelledError):
        await second
    assert await third == "a3"
    assert not held.is_set()
    assert order.keys_in_flight == 0


def test_the_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        KeyedOrder(limit=0)
