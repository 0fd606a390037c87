"""Answers the tests type, shared by the channels' tests so that one person is written down once:
the same answers go into the terminal chat, Telegram, the REST API and the web chat."""

from __future__ import annotations

from typing import Final

#: One W-2 job with a 401(k) that takes after-tax money and converts it in the plan, typed the way
#: people type (a dollar sign and commas, "7.5k"). Its result: a Mega Backdoor Roth of $40,000.
ONE_JOB: Final = (
    "2026",  # tax year
    "45",  # age
    "1",  # a W-2 job
    "$150,000",  # pay
    "1",  # 401(k)
    "yes",  # after-tax contributions
    "yes",  # in-plan conversion
    "no",  # no plan cap
    "max",  # deferrals
    "7.5k",  # employer money
    "1",  # single
    "140000",  # MAGI
)
