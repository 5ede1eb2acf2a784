"""The feedback cog's own decisions: /report is for admins (checked at run time), a bad period gets one line naming
it before any work, and how an empty period reads."""

from __future__ import annotations

import time

from bot.checks import REFUSAL
from bot.cogs.feedback import Feedback, percent, report_embed
from tests.bot.cogs.interactions import manager, member


async def test_a_member_without_admin_rights_is_refused(bot) -> None:
    cog = Feedback(bot)
    interaction = member()
    await cog.report.callback(cog, interaction)
    assert interaction.only_reply()["content"] == REFUSAL
    assert not interaction.response.deferred


async def test_a_bad_period_is_named_before_any_work(bot) -> None:
    cog = Feedback(bot)
    interaction = manager()
    await cog.report.callback(cog, interaction, since="a fortnight")
    text = interaction.only_reply()["content"]
    assert "since “a fortnight” is not a period" in text and "\n" not in text
    assert not interaction.response.deferred


def test_an_empty_period_reads_as_nothing_to_do() -> None:
    report = {"questions": 0, "answered": 0, "not_covered": 0, "since": time.time(), "up": 0, "down": 0,
              "not_covered_groups": [], "worst_rated": []}
    fields = {f.name: f.value for f in report_embed(report, "7d").fields}
    assert fields["Answered"] == "0 (—)" and fields["👍 / 👎"] == "0 / 0"
    assert fields["Worst rated"] == "No 👎 in this period."
    assert fields["Most asked, not covered (what to subscribe to next)"] == "None: every question was answered."
    assert (percent(1, 3), percent(0, 0)) == ("33%", "—")
