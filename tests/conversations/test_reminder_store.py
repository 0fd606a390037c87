"""Stored reminders on SQLite and PostgreSQL: opting in, stopping, forgetting, and the
scheduler's claims (each due reminder to one worker, once)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from sqlalchemy import select

from conversations import reminder_store
from conversations.models import utcnow
from conversations.reminder_store import MAX_ATTEMPTS, claim_due, finish, reminder_t
from conversations.reminders import Draft
from conversations.storage import Storage

LEASE = timedelta(minutes=5)
DRAFTS = [
    Draft("convert", date(2026, 4, 1), {"plan": "401(k)", "job": "your job", "route": "r"}, "0"),
    Draft("year_end_check", date(2026, 12, 1), {"year": "2026", "target": "$30,000"}),
    Draft("ira_check", date(2026, 12, 15), {"year": "2026"}),
]


async def statuses(storage: Storage, channel: str = "telegram") -> dict[str, str]:
    query = select(reminder_t.c.kind, reminder_t.c.status).where(reminder_t.c.channel == channel)
    async with storage.engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return {row.kind: row.status for row in rows}


async def test_saving_is_idempotent_and_lists_soonest_first(storage: Storage) -> None:
    assert await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42") == 3
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")  # again
    listed = await reminder_store.listed(storage, "telegram", "alice")
    assert [(r.kind, r.due) for r in listed] == [(d.kind, d.due) for d in DRAFTS]
    assert listed[0].figures == DRAFTS[0].figures
    assert await reminder_store.listed(storage, "telegram", "bob") == []
    assert await reminder_store.listed(storage, "web", "alice") == []


async def test_stopping_one_or_all_and_setting_them_again(storage: Storage) -> None:
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")
    await reminder_store.save(storage, "telegram", "bob", DRAFTS, address="43")
    first = (await reminder_store.listed(storage, "telegram", "alice"))[0]
    assert await reminder_store.cancel(storage, "telegram", "bob", first.id) == 0, "not bob's"
    assert await reminder_store.cancel(storage, "telegram", "alice", first.id) == 1
    assert len(await reminder_store.listed(storage, "telegram", "alice")) == 2
    assert await reminder_store.cancel(storage, "telegram", "alice") == 2
    assert await reminder_store.listed(storage, "telegram", "alice") == []
    assert len(await reminder_store.listed(storage, "telegram", "bob")) == 3
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")
    assert len(await reminder_store.listed(storage, "telegram", "alice")) == 3, "set again"


async def test_forgetting_the_person_deletes_their_reminders(storage: Storage) -> None:
    await storage.get_or_create("telegram", "alice")
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")
    await reminder_store.save(storage, "telegram", "bob", DRAFTS, address="43")
    await storage.forget_user("telegram", "alice")
    assert await reminder_store.listed(storage, "telegram", "alice", statuses=["pending"]) == []
    assert len(await reminder_store.listed(storage, "telegram", "bob")) == 3
    # With no conversation left, a /forget still deletes the reminders.
    await storage.forget_user("telegram", "bob")
    assert await reminder_store.listed(storage, "telegram", "bob") == []
    web = await storage.get_or_create("web", "carol")
    await reminder_store.save(storage, "web", "carol", DRAFTS)
    assert await storage.delete_conversation(web.id, channel="web")
    assert await reminder_store.listed(storage, "web", "carol") == []


async def test_only_what_is_due_is_claimed_and_only_once(storage: Storage) -> None:
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")
    await reminder_store.save(storage, "web", "alice", DRAFTS)  # the web chat sends nothing
    assert await claim_due(storage, date(2026, 3, 31), lease=LEASE) == []
    claimed = await claim_due(storage, date(2026, 12, 1), lease=LEASE)
    assert [c.kind for c in claimed] == ["convert", "year_end_check"]
    assert {c.address for c in claimed} == {"42"}
    assert all(c.attempts == 1 for c in claimed)
    assert await claim_due(storage, date(2026, 12, 1), lease=LEASE) == [], "claimed already"
    for c in claimed:
        await finish(storage, c, "sent")
    assert await statuses(storage) == {
        "convert": "sent",
        "year_end_check": "sent",
        "ira_check": "pending",
    }
    assert await claim_due(storage, date(2027, 1, 1), lease=LEASE, limit=5) != []


async def test_a_bot_api_failure_is_retried_after_a_backoff_then_given_up(
    storage: Storage,
) -> None:
    await reminder_store.save(storage, "telegram", "alice", DRAFTS[:1], address="42")
    day = date(2026, 4, 1)
    now = utcnow()
    for attempt in range(1, MAX_ATTEMPTS + 1):
        (claimed,) = await claim_due(storage, day, lease=LEASE, now=now)
        assert claimed.attempts == attempt
        await finish(storage, claimed, "retry", now=now)
        assert await claim_due(storage, day, lease=LEASE, now=now) == [], "waits its backoff"
        now += timedelta(minutes=2**attempt)
    assert await statuses(storage) == {"convert": "failed"}


async def test_a_blocked_bot_stops_every_reminder_of_that_person(storage: Storage) -> None:
    await reminder_store.save(storage, "telegram", "alice", DRAFTS, address="42")
    await reminder_store.save(storage, "telegram", "bob", DRAFTS, address="43")
    claimed = await claim_due(storage, date(2026, 4, 1), lease=LEASE)
    alice = next(c for c in claimed if c.user_key == "alice")
    await finish(storage, alice, "blocked")
    assert await reminder_store.listed(storage, "telegram", "alice") == []
    assert len(await reminder_store.listed(storage, "telegram", "bob")) == 2, "bob's convert is out"


async def test_a_worker_that_died_mid_send_leaves_its_claim_counted_as_sent(
    storage: Storage,
) -> None:
    """At most once: after the lease, the next claim marks it sent, never sends it again."""
    await reminder_store.save(storage, "telegram", "alice", DRAFTS[:1], address="42")
    now = utcnow()
    assert len(await claim_due(storage, date(2026, 4, 1), lease=LEASE, now=now)) == 1
    # The worker dies here. Within the lease nothing happens; after it, nothing is resent.
    assert await claim_due(storage, date(2026, 4, 1), lease=LEASE, now=now + LEASE / 2) == []
    later = now + LEASE + timedelta(seconds=1)
    assert await claim_due(storage, date(2026, 4, 1), lease=LEASE, now=later) == []
    assert await statuses(storage) == {"convert": "sent"}


async def test_two_workers_claiming_at_once_never_share_a_reminder(storage: Storage) -> None:
    """Each of 40 due reminders goes to exactly one of two workers (their own connections);
    on PostgreSQL ``SKIP LOCKED`` lets them take different rows at the same time."""
    for n in range(40):
        await reminder_store.save(storage, "telegram", f"p{n}", DRAFTS[:1], address=str(n))
    other = Storage(storage.url)
    try:
        taken: list[list[str]] = [[], []]

        async def work(store: Storage, into: list[str]) -> None:
            while claimed := await claim_due(store, date(2026, 4, 1), lease=LEASE, limit=3):
                into.extend(c.id for c in claimed)
                await asyncio.sleep(0)

        await asyncio.gather(work(storage, taken[0]), work(other, taken[1]))
    finally:
        await other.close()
    everything = taken[0] + taken[1]
    assert len(everything) == 40
    assert len(set(everything)) == 40, "none claimed twice"
