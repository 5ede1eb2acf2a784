"""The answering slots are shared fairly between servers (bot/fair_slots.py): a server flooding the bot waits
behind its own questions, a quiet server's question takes the next free slot."""

from __future__ import annotations

import asyncio

from bot.fair_slots import FairSlots


async def test_a_quiet_servers_question_goes_before_a_flooding_servers_backlog() -> None:
    slots = FairSlots(2)
    started: list[str] = []
    release = asyncio.Event()

    async def job(server: int, name: str) -> None:
        async with slots.taken(server):
            started.append(name)
            await release.wait()

    flood = [asyncio.create_task(job(1, f"a{i}")) for i in range(6)]  # server 1 fills both slots and queues 4
    await asyncio.sleep(0)
    quiet = asyncio.create_task(job(2, "b"))  # server 2 asks once, after the flood
    await asyncio.sleep(0)
    assert started == ["a0", "a1"] and slots.busy == 2
    release.set()  # the two running answers finish: the next slot goes to server 2, then server 1 goes on
    await asyncio.gather(*flood, quiet)
    assert started[:3] == ["a0", "a1", "b"], started  # first come, first served would have started a2
    assert len(started) == 7 and slots.busy == 0


async def test_a_cancelled_waiter_gives_its_place_and_slot_back() -> None:
    slots = FairSlots(1)
    gate = asyncio.Event()

    async def hold() -> None:
        async with slots.taken("a"):
            await gate.wait()

    holder = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(hold())
    await asyncio.sleep(0)
    waiter.cancel()
    gate.set()
    await holder
    await asyncio.gather(waiter, return_exceptions=True)
    assert slots.busy == 0 and not slots.waiting
    async with slots.taken("b"):  # the slot is free again
        assert slots.busy == 1
