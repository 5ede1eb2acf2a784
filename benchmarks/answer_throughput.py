"""A lone server's answers per second through ``CitebotBot.answer`` with the real model: 1 against 2 answer slots
(``bot.discord_app.ANSWERS_AT_ONCE``), alternated, on a data directory of ``benchmarks/scale.py --keep``.

    .venv/bin/python benchmarks/answer_throughput.py --work W [--questions 120] [--rounds 3]

``W`` is scale.py's ``--work`` folder (its ``config-default.toml`` and ``questions.jsonl``). All questions are
asked at once in one server (no gateway: the bot is built, not connected), so the answer slots are the only limit.
"""

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bot.discord_app as app  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.services import open_library  # noqa: E402


async def rate(config, library, questions: list[str], slots: int) -> float:
    """Answers per second for ``questions`` asked together with ``slots`` answer slots."""
    app.ANSWERS_AT_ONCE = slots
    bot = app.CitebotBot(config, library, extensions=())
    started = time.perf_counter()
    await asyncio.gather(*(bot.answer(q, 10) for q in questions))
    return len(questions) / (time.perf_counter() - started)


async def main(args) -> None:
    work = Path(args.work)
    config = load_config(work / "config-default.toml")
    library = open_library(config)
    questions = [json.loads(line)["question"] for line in (work / "questions.jsonl").open(encoding="utf-8")]
    questions = questions[: args.questions]
    library.ask(questions[0], 10)  # loaded and warm before timing
    for _ in range(args.rounds):
        for slots in (1, 2):
            per_s = await rate(config, library, questions, slots)
            print(json.dumps({"slots": slots, "answers_per_s": round(per_s, 1)}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="benchmarks/scale.py's --work folder (kept with --keep)")
    parser.add_argument("--questions", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main(parser.parse_args()))
