"""Answers the tests type, shared by the channels' tests so that one person is written down once:
the same answers go into the terminal chat, Telegram, the REST API and the web chat."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from engine.paycheck import PaycheckJob

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

#: Two W-2 jobs in one year, a job change: the first with a 401(k) that takes no after-tax money,
#: the second with the whole feature.
TWO_JOBS: Final = (
    "2026", "45", "5",  # two W-2 jobs
    "60000", "1", "no", "15000", "1800",  # the first: 401(k) without after-tax money
    "78000", "1", "yes", "yes", "no", "9500", "2000",  # the second: the full feature
    "no", "1", "130000",  # not related; single; MAGI
)  # fmt: skip

#: TWO_JOBS's paycheck answers up to the second job's match (``(question asked, answer)``): the
#: first job ended on 12 June with $15,000 deferred; the second started, paying $3,000 every two
#: weeks from 26 June, with nothing paid in so far and no bonus to come.
JOB_CHANGE: Final = (
    ("pay.job0.status", "ended"),
    ("pay.job0.last_date", "June 12"),
    ("pay.job0.ytd_deferrals", "15k"),
    ("pay.job1.status", "started"),
    ("pay.job1.frequency", "biweekly"),
    ("pay.job1.next_date", "2026-06-26"),
    ("pay.job1.pay", "3000"),
    ("pay.job1.ytd_pay", "0"),
    ("pay.job1.ytd_deferrals", "0"),
    ("pay.job1.ytd_employer", "0"),
    ("pay.job1.ytd_after_tax", "0"),
    ("pay.job1.bonuses", "none"),
)

#: JOB_CHANGE's first job as the paycheck planner takes it: no paycheck left, its deferrals so far.
ENDED_JOB: Final = PaycheckJob(
    name="your first job",
    pay_per_paycheck=Decimal(0),
    next_pay_date=None,
    last_pay_date="2026-06-12",
    ytd_deferrals=Decimal(15000),
    after_tax_allowed=False,
)
