"""The answering slots are shared fairly between servers (bot/fair_slots.py): a server flooding the bot waits
behind its own questions, a quiet server's question takes the next free slot."""

from __future__ import annotations

import asyncio
import threading
import time

from bot.fair_slots import FairSlots, Job


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


async def until(condition, what: str) -> None:
    """Wait (on the event loop) until ``condition()`` holds: worker threads move at their own pace."""
    for _ in range(1000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def test_a_flooders_running_answer_pauses_at_its_checkpoint_while_a_quieter_server_answers() -> None:
    slots = FairSlots(2)
    log: list[str] = []
    checkpoint = threading.Event()
    let_a1_end, let_b_end = asyncio.Event(), asyncio.Event()

    async def a0() -> None:
        async with slots.taken("A") as pause:
            def work() -> None:  # in a worker thread, like an answer: a stage, the checkpoint, the next stage
                log.append("a0 stage 1")
                checkpoint.wait()
                pause()
                log.append("a0 stage 2")
            await asyncio.to_thread(work)

    async def other(server: str, name: str, end: asyncio.Event | None) -> None:
        async with slots.taken(server):
            log.append(name)
            if end is not None:
                await end.wait()

    flood = [asyncio.create_task(a0()), asyncio.create_task(other("A", "a1", let_a1_end)),
             asyncio.create_task(other("A", "a2", None))]  # A: two answers running, a third waiting
    await until(lambda: "a0 stage 1" in log and "a1" in log, "A's two answers running")
    quiet = asyncio.create_task(other("B", "b", let_b_end))
    await asyncio.sleep(0)
    assert "b" not in log and slots.waiting == {"A": 1, "B": 1}  # both slots taken: B waits
    checkpoint.set()  # a0 reaches its checkpoint: B (one question) outranks A (three), so a0 gives B its slot
    await until(lambda: "b" in log, "B's answer started")
    assert "a0 stage 2" not in log and slots.waiting == {"A": 2}  # a0 paused, a2 still waiting
    let_a1_end.set()  # a slot frees while B answers: A starts nothing new
    await until(lambda: flood[1].done(), "a1 finished")
    assert slots.busy == 1 and slots.waiting == {"A": 2} and "a2" not in log
    let_b_end.set()  # B is done: a0 goes on first (it began before a2), then a2
    await asyncio.gather(*flood, quiet)
    assert log.index("b") < log.index("a0 stage 2") and log.index("b") < log.index("a2"), log
    assert slots.busy == 0 and not slots.jobs


async def test_a_checkpoint_never_waits_for_the_servers_own_questions_or_a_busier_server() -> None:
    slots = FairSlots(1)
    holding = asyncio.Event()

    async def queued(server: str) -> None:
        async with slots.taken(server):
            await holding.wait()

    async def answer() -> str:
        async with slots.taken("A") as pause:
            return await asyncio.to_thread(lambda: (pause(), pause(), "answered")[-1])

    first = asyncio.create_task(answer())  # takes the only slot
    await asyncio.sleep(0)
    backlog = [asyncio.create_task(queued(server)) for server in ("A", "B", "B", "B")]  # A: 2 in all, B: 3
    # its checkpoints passed: nobody has a smaller backlog than A's
    assert await asyncio.wait_for(first, 60) == "answered"
    holding.set()
    await asyncio.gather(*backlog)


async def test_with_one_slot_a_flooders_answer_gives_way_at_each_reading_checkpoint() -> None:
    """The shipped setup (one answer at a time): a flooder's answer passes its checkpoints at once while nobody
    waits, and stops at the first one after a quieter server's question comes, until that question is answered."""
    slots = FairSlots(1)
    log: list[str] = []
    b_came = threading.Event()

    async def flooder(name: str) -> None:
        async with slots.taken("A") as pause:
            def work() -> None:
                for step in range(4):
                    pause("read")  # the answerer's checkpoints inside its reading
                    log.append(f"{name} step {step}")
                    if name == "a0" and step == 1:  # B's question comes while a0 runs
                        b_came.set()
                        deadline = time.monotonic() + 60
                        while "B" not in slots.waiting and time.monotonic() < deadline:
                            time.sleep(0.001)
            await asyncio.to_thread(work)

    async def quiet() -> None:
        await asyncio.to_thread(b_came.wait, 60)
        async with slots.taken("B") as pause:
            await asyncio.to_thread(pause, "read")
            log.append("b")

    flood = [asyncio.create_task(flooder(f"a{i}")) for i in range(3)]
    await asyncio.wait_for(asyncio.gather(*flood, quiet()), 60)
    assert log[:3] == ["a0 step 0", "a0 step 1", "b"], log  # B went in at a0's next checkpoint, not a0's end
    assert log[3:7] == ["a0 step 2", "a0 step 3", "a1 step 0", "a1 step 1"] and slots.busy == 0 and not slots.jobs


def test_a_server_is_outranked_only_by_a_server_with_a_smaller_backlog() -> None:
    slots = FairSlots(4)
    loop = asyncio.new_event_loop()
    try:
        for server, count in (("A", 40), ("B", 1), ("C", 1), ("D", 3)):
            slots.jobs[server] = [Job(server, i, loop.create_future()) for i in range(count)]
        assert slots.outranked("A") and slots.outranked("D")
        assert not slots.outranked("B") and not slots.outranked("C")  # equals share
        assert not slots.outranked("E")  # a server with nothing in the slots
    finally:
        loop.close()


async def test_the_reading_turn_goes_to_a_quieter_servers_question_before_a_flooders_queued_readers() -> None:
    slots = FairSlots(3)
    log: list[str] = []
    finish = {name: threading.Event() for name in ("a0", "a1", "a2", "b")}

    async def answer(server: str, name: str) -> None:
        async with slots.taken(server) as pause:
            def work() -> None:  # in a worker thread: the reading stage in turns, then the answer
                pause("read")
                log.append(f"{name} reads")
                finish[name].wait()
                pause("answer")
                log.append(f"{name} answered")
            await asyncio.to_thread(work)

    try:
        flood = [asyncio.create_task(answer("A", f"a{i}")) for i in range(3)]
        await until(lambda: "a0 reads" in log and slots.turn is not None and len(slots.turn_queue()) == 2,
                    "a0 reading, a1 and a2 queued for the turn")
        quiet = asyncio.create_task(answer("B", "b"))
        await until(lambda: "B" in [job.server for job in slots.turn_queue()], "B waiting for the turn")
        assert log == ["a0 reads"] and slots.waiting == {"A": 2}  # a1 and a2 gave their slots up to B
        finish["a0"].set()  # a0's reading ends: the turn goes to B, not to a1 (queued before it)
        await until(lambda: "b reads" in log, "B reading")
        for name in ("a1", "a2", "b"):
            finish[name].set()
        await asyncio.gather(*flood, quiet)
        assert log.index("b reads") < log.index("a1 reads") < log.index("a2 reads"), log
        assert slots.busy == 0 and slots.turn is None
    finally:  # a failed assertion leaves no worker thread waiting
        for event in finish.values():
            event.set()
