"""Storage on both backends: migrations, per-person locking, update claims, intakes, deletion."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from conversations import storage as storage_module
from conversations.db import alembic_config, async_url, downgrade, upgrade
from conversations.storage import (
    ConversationNotFound,
    LockedConversation,
    Storage,
    database_url,
    user_key,
)
from conversations.storage import database as database_module
from conversations.storage.tables import answer_log_t, conversation_t, intake_t, update_t
from tests.support.stored import answer_log, claim_update

TABLES = set(SQLModel.metadata.tables)
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


class Boom(Exception):
    pass


# --- helpers ---------------------------------------------------------------------------------


async def _inspect(url: str, fn: Any) -> Any:
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _schema(conn: Connection) -> dict[str, Any]:
    names = set(inspect(conn).get_table_names())
    version = None
    if "alembic_version" in names:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()
    return {"tables": names, "version": version}


def _model_diff(conn: Connection) -> list[Any]:
    return list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))


async def _count(store: Storage, table: Any, *where: Any) -> int:
    async with store.engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(table).where(*where)) or 0)


async def _set_updated_at(store: Storage, conversation_id: str, when: datetime) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            update(conversation_t)
            .where(conversation_t.c.id == conversation_id)
            .values(updated_at=when)
        )


async def _intake(record: LockedConversation, verdict: str = "available", **kw: Any) -> str:
    return await record.record_intake(
        scenario=kw.get("scenario", {"tax_year": 2026, "age": 45}),
        result=kw.get("result", {"verdict": verdict, "mega_backdoor_total": 46000}),
        rules_version=kw.get("rules_version", "2026.1"),
        verdict=verdict,
        total=kw.get("total", Decimal("46000.00")),
        flags=kw.get("flags", []),
        answers=kw.get("answers"),
    )


# --- migrations ------------------------------------------------------------------------------


async def test_migrations_apply_on_an_empty_database_and_again_are_a_no_op(db_url: str) -> None:
    assert (await _inspect(db_url, _schema))["tables"] == set()
    await asyncio.to_thread(upgrade, db_url)
    first = await _inspect(db_url, _schema)
    assert first["tables"] == {*TABLES, "alembic_version"}
    assert first["version"] == HEAD
    await asyncio.to_thread(upgrade, db_url)
    assert await _inspect(db_url, _schema) == first


async def test_migrations_match_the_models(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    assert await _inspect(db_url, _model_diff) == []


async def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(
    db_url: str,
) -> None:
    await asyncio.to_thread(upgrade, db_url)
    await asyncio.to_thread(downgrade, db_url, "base")
    assert (await _inspect(db_url, _schema))["tables"] == {"alembic_version"}
    await asyncio.to_thread(upgrade, db_url)
    assert (await _inspect(db_url, _schema))["tables"] == {*TABLES, "alembic_version"}


async def test_concurrent_upgrades_all_succeed(db_url: str) -> None:
    def upgrade_all() -> None:
        with ThreadPoolExecutor(max_workers=3) as pool:
            for future in [pool.submit(upgrade, db_url) for _ in range(3)]:
                future.result()

    await asyncio.to_thread(upgrade_all)
    schema = await _inspect(db_url, _schema)
    assert schema == {"tables": {*TABLES, "alembic_version"}, "version": HEAD}


async def test_upgrade_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    upgrade(url)  # a blocking call from a coroutine: runs on its own thread and loop
    assert (await _inspect(async_url(url), _schema))["version"] == HEAD


# --- URLs and keys ---------------------------------------------------------------------------


def test_database_url_maps_drivers() -> None:
    assert database_url("postgresql://u:p@h:5432/d") == "postgresql+asyncpg://u:p@h:5432/d"
    assert database_url("postgres://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert database_url("postgresql+asyncpg://u@h/d") == "postgresql+asyncpg://u@h/d"
    assert (
        database_url("postgres://u@h/d?sslmode=require") == "postgresql+asyncpg://u@h/d?ssl=require"
    )
    assert database_url("sqlite:///var/x.db") == "sqlite+aiosqlite:///var/x.db"
    assert database_url("sqlite:////abs/x.db") == "sqlite+aiosqlite:////abs/x.db"
    assert database_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


def test_database_url_defaults_to_a_sqlite_file_and_creates_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "project" / "var" / "megaroth.db"
    monkeypatch.setattr(database_module, "default_database_path", lambda: target)
    assert database_url(None) == f"sqlite+aiosqlite:///{target}"
    assert database_url("  ") == f"sqlite+aiosqlite:///{target}"
    assert target.parent.is_dir()


def test_default_database_path_is_var_megaroth_db() -> None:
    path = database_module.default_database_path()
    assert path.parts[-2:] == ("var", "megaroth.db")


def test_user_key_is_a_keyed_hash() -> None:
    key = user_key("telegram", 123456789, "s3cret")
    assert len(key) == 64
    assert int(key, 16) >= 0
    assert "123456789" not in key
    assert key == user_key("telegram", "123456789", "s3cret")
    assert key != user_key("telegram", 123456789, "other")
    assert key != user_key("web", 123456789, "s3cret")
    with pytest.raises(ValueError, match="secret"):
        user_key("telegram", 1, "")


def test_in_memory_sqlite_and_other_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="in-memory"):
        Storage("sqlite+aiosqlite://")
    with pytest.raises(ValueError, match="unsupported"):
        Storage("mysql+aiomysql://u@h/d")


# --- conversations ---------------------------------------------------------------------------


async def test_get_or_create_returns_the_same_open_conversation(storage: Storage) -> None:
    first = await storage.get_or_create("telegram", "alice", chat_key="chat-a")
    assert first.state == {}
    assert first.status == "active"
    assert first.version == 0
    assert first.created_at.tzinfo is not None
    assert first.created_at.utcoffset() == timedelta(0)
    again = await storage.get_or_create("telegram", "alice")
    assert again.id == first.id
    assert again.chat_key == "chat-a"
    assert (await storage.get_or_create("web", "alice")).id != first.id
    assert (await storage.get_or_create("telegram", "bob")).id != first.id
    assert await _count(storage, conversation_t) == 3


async def test_completed_conversation_stays_open_inactive_one_is_replaced(
    storage: Storage,
) -> None:
    async with storage.locked("telegram", "alice") as record:
        record.status = "completed"
    assert (await storage.get_or_create("telegram", "alice")).id == record.id
    async with storage.locked("telegram", "alice") as again:
        assert again.id == record.id
        again.status = "inactive"
    fresh = await storage.get_or_create("telegram", "alice")
    assert fresh.id != record.id
    assert fresh.state == {}


async def test_unknown_channel_status_and_action_are_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="channel"):
        await storage.get_or_create("fax", "alice")
    created = await storage.get_or_create("telegram", "alice")
    with pytest.raises(ValueError, match="action"):
        async with storage.locked("telegram", "alice") as record:
            record.log("shout", None, None)
    with pytest.raises(ValueError, match="status"):
        async with storage.locked("telegram", "alice") as record:
            record.status = "done"
    loaded = await storage.load(created.id)
    assert loaded is not None
    assert (loaded.status, loaded.version) == ("active", 0)


async def test_locked_saves_state_and_log_atomically(storage: Storage) -> None:
    async with storage.locked("telegram", "alice", chat_key="chat-a") as record:
        record.state = {"answers": {"tax_year": 2026}, "step": "age"}
        record.log("answer", "tax_year", 2026)
        record.log("command", None, None)
    assert record.version == 1
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert loaded.state == {"answers": {"tax_year": 2026}, "step": "age"}
    assert loaded.version == 1
    assert loaded.updated_at >= loaded.created_at
    async with storage.locked("telegram", "alice") as record:
        record.state["answers"]["age"] = 45  # in-place changes count too
        record.log("answer", "age", {"amount": "1234.50"})
    entries = await answer_log(storage, record.id)
    assert [(e.seq, e.action, e.question_id, e.value) for e in entries] == [
        (1, "answer", "tax_year", 2026),
        (2, "command", None, None),
        (3, "answer", "age", {"amount": "1234.50"}),
    ]
    assert await _count(storage, answer_log_t, answer_log_t.c.value.is_(None)) == 1
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert loaded.state["answers"] == {"tax_year": 2026, "age": 45}
    assert loaded.version == 2


async def test_locked_saves_nothing_on_an_exception(storage: Storage) -> None:
    async with storage.locked("telegram", "alice", chat_key="chat-a") as record:
        record.state = {"step": 1}
        record.log("answer", "tax_year", 2026)

    async def failing_turn() -> LockedConversation:
        async with storage.locked("telegram", "alice", chat_key="chat-b") as record:
            assert await record.claim_update("bot", 100)
            await _intake(record)
            record.state = {"step": 2}
            record.status = "completed"
            record.log("answer", "age", 45)
            leaked.append(record)
            raise Boom

    leaked: list[LockedConversation] = []
    with pytest.raises(Boom):
        await failing_turn()
    record = leaked[0]
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert (loaded.state, loaded.version, loaded.status) == ({"step": 1}, 1, "active")
    assert loaded.chat_key == "chat-a"
    assert await _count(storage, answer_log_t) == 1
    assert await _count(storage, intake_t) == 0
    assert await _count(storage, update_t) == 0
    with pytest.raises(RuntimeError, match="outside"):
        record.log("answer", "age", 45)


async def test_a_new_conversation_is_not_kept_when_its_first_turn_fails(
    storage: Storage,
) -> None:
    with pytest.raises(Boom):
        async with storage.locked("telegram", "alice"):
            raise Boom
    assert await _count(storage, conversation_t) == 0


async def test_version_increments_on_every_save_and_only_then(storage: Storage) -> None:
    versions = []
    for n in range(3):
        async with storage.locked("api", "dave") as record:
            record.state = {"n": n}
        versions.append(record.version)
    assert versions == [1, 2, 3]
    async with storage.locked("api", "dave") as record:
        pass  # nothing changed: nothing written
    assert record.version == 3
    async with storage.locked("api", "dave") as record:
        record.consent_share = True
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert (loaded.version, loaded.consent_share) == (4, True)


async def test_locked_by_id(storage: Storage) -> None:
    created = await storage.get_or_create("web", "erin")
    async with storage.locked_by_id(created.id) as record:
        record.state = {"via": "web"}
        record.log("restart")
    loaded = await storage.load(created.id)
    assert loaded is not None
    assert (loaded.state, loaded.version) == ({"via": "web"}, 1)
    with pytest.raises(ConversationNotFound):
        async with storage.locked_by_id("no-such-id"):
            pass
    assert await storage.load("no-such-id") is None


async def test_state_survives_a_restart(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url)
    first = Storage(db_url)
    try:
        async with first.locked("telegram", "alice") as record:
            record.state = {"answers": {"age": 45}}
            record.log("answer", "age", 45)
    finally:
        await first.close()
    second = Storage(db_url)
    try:
        async with second.locked("telegram", "alice") as again:
            assert again.id == record.id
            assert again.state == {"answers": {"age": 45}}
            assert again.version == 1
        assert len(await answer_log(second, record.id)) == 1
    finally:
        await second.close()


# --- concurrency -----------------------------------------------------------------------------


async def test_two_turns_for_one_person_serialize(storage: Storage) -> None:
    inside = 0
    overlap = False

    async def turn(name: str) -> None:
        nonlocal inside, overlap
        async with storage.locked("telegram", "alice") as record:
            inside += 1
            overlap = overlap or inside > 1
            seen = list(record.state.get("seen", []))
            await asyncio.sleep(0.2)
            record.state = {"seen": [*seen, name]}
            record.log("answer", "q", name)
            inside -= 1

    await asyncio.gather(turn("first"), turn("second"))
    assert not overlap
    current = await storage.get_or_create("telegram", "alice")
    assert sorted(current.state["seen"]) == ["first", "second"]  # the second saw the first
    assert current.version == 2
    assert [e.seq for e in await answer_log(storage, current.id)] == [1, 2]
    assert await _count(storage, conversation_t) == 1


async def test_locked_and_locked_by_id_serialize(storage: Storage) -> None:
    created = await storage.get_or_create("web", "frank")

    async def by_person() -> None:
        async with storage.locked("web", "frank") as record:
            n = record.state.get("n", 0)
            await asyncio.sleep(0.15)
            record.state = {"n": n + 1}

    async def by_id() -> None:
        async with storage.locked_by_id(created.id) as record:
            n = record.state.get("n", 0)
            await asyncio.sleep(0.15)
            record.state = {"n": n + 1}

    await asyncio.gather(by_person(), by_id(), by_person())
    loaded = await storage.load(created.id)
    assert loaded is not None
    assert (loaded.state, loaded.version) == ({"n": 3}, 3)


async def test_save_state_saves_only_over_the_version_it_was_given(storage: Storage) -> None:
    async with storage.locked("telegram", "gina") as record:
        record.state = {"step": "age"}
    assert record.version == 1
    assert await storage.save_state(record.id, 1, {"step": "age", "prompt": 7}) is True
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert (loaded.state, loaded.version) == ({"step": "age", "prompt": 7}, 2)
    # Another turn saved in between: the older notes do not overwrite it.
    assert await storage.save_state(record.id, 1, {"step": "stale"}) is False
    assert await storage.save_state("no-such-conversation", 0, {}) is False
    loaded = await storage.load(record.id)
    assert loaded is not None
    assert (loaded.state, loaded.version) == ({"step": "age", "prompt": 7}, 2)


async def test_a_redelivered_update_is_handled_once_under_concurrency(storage: Storage) -> None:
    async def deliver() -> bool:
        async with storage.locked("telegram", "alice", chat_key="chat-a") as record:
            if not await record.claim_update("bot", 42):
                return False
            await asyncio.sleep(0.1)
            record.state = {"count": record.state.get("count", 0) + 1}
            return True

    results = await asyncio.gather(deliver(), deliver(), deliver())
    assert sorted(results) == [False, False, True]
    current = await storage.get_or_create("telegram", "alice")
    assert current.state == {"count": 1}


# PostgreSQL only: on SQLite every writer takes turns by design (BEGIN IMMEDIATE).
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_different_people_do_not_wait_for_each_other(storage: Storage) -> None:
    alice_inside = asyncio.Event()
    bob_done = asyncio.Event()

    async def alice() -> None:
        async with storage.locked("telegram", "alice") as record:
            alice_inside.set()
            await asyncio.wait_for(bob_done.wait(), timeout=5)  # held open while bob runs
            record.state = {"who": "alice"}

    async def bob() -> None:
        await alice_inside.wait()
        async with storage.locked("telegram", "bob") as record:
            record.state = {"who": "bob"}
        bob_done.set()

    await asyncio.wait_for(asyncio.gather(alice(), bob()), timeout=10)


# --- update claims ---------------------------------------------------------------------------


async def test_claim_update_dedupes(storage: Storage) -> None:
    assert await claim_update(storage, "bot", 1, "chat-a") is True
    assert await claim_update(storage, "bot", 1, "chat-a") is False
    assert await claim_update(storage, "other-bot", 1, "chat-a") is True
    assert await claim_update(storage, "bot", 2**40, None) is True  # update ids are 64-bit


async def test_claim_inside_locked_commits_and_rolls_back_with_the_turn(
    storage: Storage,
) -> None:

    async def failing_turn() -> None:
        async with storage.locked("telegram", "alice", chat_key="chat-a") as record:
            assert await record.claim_update("bot", 7) is True
            assert await record.claim_update("bot", 7) is False
            raise Boom

    with pytest.raises(Boom):
        await failing_turn()
    assert await _count(storage, update_t) == 0
    async with storage.locked("telegram", "alice", chat_key="chat-a") as record:
        assert await record.claim_update("bot", 7) is True  # the redelivery is processed
        record.state = {"done": True}
    assert await _count(storage, update_t, update_t.c.chat_key == "chat-a") == 1
    async with storage.locked("telegram", "alice") as record:
        assert await record.claim_update("bot", 7) is False
    assert await claim_update(storage, "bot", 7, "chat-a") is False


async def test_prune_updates(storage: Storage) -> None:
    await claim_update(storage, "bot", 1, None)
    assert await storage.prune_updates(datetime.now(UTC) - timedelta(days=1)) == 0
    assert await storage.prune_updates(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert await claim_update(storage, "bot", 1, None) is True


# --- intakes ---------------------------------------------------------------------------------


async def test_record_and_list_intakes_with_filters(storage: Storage) -> None:
    async with storage.locked("telegram", "alice") as alice:
        alice.advisor_code = "ADV1"
        first = await _intake(alice, "available", total=Decimal("46000.50"), flags=["acp_testing"])
    async with storage.locked("telegram", "bob") as bob:
        bob.advisor_code = "ADV1"
        second = await _intake(
            bob,
            "partial",
            scenario={"tax_year": 2026},
            result={"verdict": "partial"},
            total=Decimal("1234.5"),
        )
    async with storage.locked("web", "carol") as carol:
        carol.advisor_code = "ADV2"
        await _intake(carol, scenario={}, result={}, total=Decimal("0"), flags=["ira_pro_rata"])

    listed = await storage.list_intakes("ADV1")
    assert {i.id for i in listed} == {first, second}
    assert listed[0].created_at >= listed[1].created_at  # newest first
    by_id = {i.id: i for i in listed}
    assert by_id[first].mega_backdoor_total == Decimal("46000.50")
    assert by_id[second].mega_backdoor_total == Decimal("1234.50")
    assert by_id[first].flags == ["acp_testing"]
    assert by_id[first].scenario == {"tax_year": 2026, "age": 45}
    assert by_id[first].advisor_code == "ADV1"
    assert by_id[first].conversation_id == alice.id

    assert [i.id for i in await storage.list_intakes("ADV1", verdict="partial")] == [second]
    assert len(await storage.list_intakes("ADV2")) == 1
    assert len(await storage.list_intakes(None)) == 3
    assert await storage.list_intakes("NOBODY") == []
    now = datetime.now(UTC)
    assert len(await storage.list_intakes("ADV1", since=now - timedelta(minutes=1))) == 2
    assert await storage.list_intakes("ADV1", since=now + timedelta(minutes=1)) == []
    assert await storage.list_intakes("ADV1", until=now - timedelta(minutes=1)) == []
    assert len(await storage.list_intakes("ADV1", until=now + timedelta(minutes=1))) == 2
    naive_future = (now + timedelta(minutes=1)).replace(tzinfo=None)  # taken as UTC
    assert len(await storage.list_intakes("ADV1", until=naive_future)) == 2

    got = await storage.get_intake(first)
    assert got is not None
    assert got.verdict == "available"
    assert got.rules_version == "2026.1"
    assert got.created_at.tzinfo is not None
    assert await storage.get_intake("nope") is None


async def test_intake_total_must_fit_the_column(storage: Storage) -> None:
    async with storage.locked("telegram", "alice") as record:
        with pytest.raises(ValueError, match="NUMERIC"):
            await _intake(record, total=Decimal("10000000000"))


# --- deleting --------------------------------------------------------------------------------


async def _person(store: Storage, who: str, chat: str, update_base: int) -> list[str]:
    """Two conversations (one closed), logs, an intake and claimed updates for one person."""
    async with store.locked("telegram", who, chat_key=chat) as record:
        record.advisor_code = "ADV"
        assert await record.claim_update("bot", update_base)
        record.state = {"answers": {"age": 45}}
        record.log("answer", "age", 45)
        record.log("answer", "tax_year", 2026)
        await _intake(record)
        record.status = "inactive"
    async with store.locked("telegram", who, chat_key=chat) as second:
        assert await second.claim_update("bot", update_base + 1)
        second.log("restart")
    await claim_update(store, "bot", update_base + 2, chat)
    return [record.id, second.id]


async def _rows_about(store: Storage, ids: list[str], chat: str) -> dict[str, int]:
    return {
        "conversation": await _count(store, conversation_t, conversation_t.c.id.in_(ids)),
        "answer_log": await _count(store, answer_log_t, answer_log_t.c.conversation_id.in_(ids)),
        "intake_result": await _count(store, intake_t, intake_t.c.conversation_id.in_(ids)),
        "processed_update": await _count(store, update_t, update_t.c.chat_key == chat),
    }


async def test_forget_user_deletes_every_row_about_that_person_only(storage: Storage) -> None:
    alice = await _person(storage, "alice", "chat-alice", 100)
    bob = await _person(storage, "bob", "chat-bob", 200)
    await storage.get_or_create("web", "alice")  # the same key on another channel
    before = await _rows_about(storage, alice, "chat-alice")
    assert before == {
        "conversation": 2,
        "answer_log": 3,
        "intake_result": 1,
        "processed_update": 3,
    }
    bob_before = await _rows_about(storage, bob, "chat-bob")

    assert await storage.forget_user("telegram", "alice") == sum(before.values())

    assert await _rows_about(storage, alice, "chat-alice") == dict.fromkeys(before, 0)
    assert await _rows_about(storage, bob, "chat-bob") == bob_before
    assert await _count(storage, conversation_t, conversation_t.c.user_key == "alice") == 1
    assert await storage.forget_user("telegram", "alice") == 0
    # A later message starts afresh.
    assert (await storage.get_or_create("telegram", "alice")).state == {}


async def test_forget_user_keeps_the_claims_of_a_chat_shared_with_others(
    storage: Storage,
) -> None:
    async with storage.locked("telegram", "alice", chat_key="group") as record:
        await record.claim_update("bot", 1)
        record.log("answer", "age", 45)
    async with storage.locked("telegram", "bob", chat_key="group") as record:
        await record.claim_update("bot", 2)
    assert await storage.forget_user("telegram", "alice") == 2  # conversation and log
    assert await _count(storage, update_t) == 2


async def test_delete_conversation(storage: Storage) -> None:
    async with storage.locked("web", "alice") as record:
        record.log("answer", "age", 45)
        await _intake(record)
    other = await storage.get_or_create("web", "bob")
    assert await storage.delete_conversation(record.id) is True
    assert await storage.delete_conversation(record.id) is False
    assert await storage.load(record.id) is None
    assert await _count(storage, answer_log_t) == 0
    assert await _count(storage, intake_t) == 0
    assert await storage.load(other.id) is not None


async def test_purge_deletes_abandoned_conversations_only(storage: Storage) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=200)
    cutoff = datetime.now(UTC) - timedelta(days=180)

    async with storage.locked("telegram", "abandoned") as abandoned:
        abandoned.log("answer", "age", 45)
    async with storage.locked("telegram", "closed") as closed:
        closed.status = "inactive"
    async with storage.locked("telegram", "finished") as finished:
        finished.status = "completed"
        await _intake(finished)
    async with storage.locked("telegram", "reopened") as reopened:
        await _intake(reopened)  # completed once, then edited: keep the intake
    recent = await storage.get_or_create("telegram", "recent")
    for record in (abandoned, closed, finished, reopened):
        await _set_updated_at(storage, record.id, long_ago)

    assert await storage.purge(cutoff) == 2
    assert await storage.load(abandoned.id) is None
    assert await storage.load(closed.id) is None
    assert await _count(storage, answer_log_t) == 0
    for kept in (finished, reopened, recent):
        assert await storage.load(kept.id) is not None
    assert await storage.purge(cutoff) == 0


# --- health ----------------------------------------------------------------------------------


async def test_ready(storage: Storage) -> None:
    assert await storage.ready() is True


async def test_ready_is_false_for_an_unreachable_database() -> None:
    store = Storage("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        assert await store.ready() is False
    finally:
        await store.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_postgresql_sessions_have_a_lock_timeout(storage: Storage) -> None:
    async with storage.engine.connect() as conn:
        assert await conn.scalar(text("SHOW lock_timeout")) == "30s"


# --- advisor accounts and sessions -----------------------------------------------------------


async def _shared_intake(storage: Storage, person: str, code: str | None) -> str:
    async with storage.locked("web", person) as record:
        if code is not None:
            record.advisor_code = code
        record.consent_share = True
        return await _intake(record)


async def test_each_advisor_sees_only_intakes_made_with_their_codes(storage: Storage) -> None:
    ann = await storage.add_advisor("Ann", "a" * 64, ["ANN1", "ANN2"])
    ben = await storage.add_advisor("Ben", "b" * 64, ["BEN1"])
    first = await _shared_intake(storage, "p1", "ANN1")
    second = await _shared_intake(storage, "p2", "ANN2")
    third = await _shared_intake(storage, "p3", "BEN1")
    stray = await _shared_intake(storage, "p4", "NOBODY")

    mine = {i.id for i in await storage.list_intakes(None, advisor_id=ann.id, shared_only=True)}
    assert mine == {first, second}
    theirs = {i.id for i in await storage.list_intakes(None, advisor_id=ben.id)}
    assert theirs == {third}
    everyone = {i.id for i in await storage.list_intakes(None, shared_only=True)}
    assert everyone == {first, second, third, stray}
    assert await storage.get_intake(third, advisor_id=ann.id) is None
    found = await storage.get_intake(first, advisor_id=ann.id)
    assert found is not None
    assert found.advisor_code == "ANN1"


async def test_advisor_names_and_codes_are_taken_once(storage: Storage) -> None:
    await storage.add_advisor("Ann", "a" * 64, ["ANN1"])
    with pytest.raises(storage_module.AdvisorExists, match="named"):
        await storage.add_advisor("Ann", "c" * 64, ["OTHER"])
    with pytest.raises(storage_module.AdvisorExists, match="ANN1"):
        await storage.add_advisor("Ben", "b" * 64, ["ANN1"])
    assert [a.name for a in await storage.list_advisors()] == ["Ann"], "nothing half-made"


async def test_sessions_end_on_sign_out_on_expiry_and_on_revocation(storage: Storage) -> None:
    ann = await storage.add_advisor("Ann", "a" * 64, ["ANN1"])
    later = datetime.now(UTC) + timedelta(hours=1)
    await storage.start_session("s1", ann.id, later)
    await storage.start_session("s2", ann.id, later)
    await storage.start_session("admin", None, later)
    await storage.start_session("old", ann.id, datetime.now(UTC) - timedelta(seconds=1))

    signed = await storage.session("s1")
    assert signed is not None
    assert signed.advisor is not None
    assert signed.advisor.codes == ["ANN1"]
    admin = await storage.session("admin")
    assert admin is not None
    assert admin.is_admin
    assert await storage.session("old") is None, "expired"
    assert await storage.session("nope") is None

    assert await storage.end_session("s1") is True
    assert await storage.session("s1") is None, "signed out on the server"
    assert await storage.advisor_by_token("a" * 64) is not None
    assert await storage.revoke_advisor("Ann") is True
    assert await storage.session("s2") is None, "revoked: every session ends"
    assert await storage.advisor_by_token("a" * 64) is None
    assert await storage.revoke_advisor("Ann") is False
    listed = await storage.list_advisors()
    assert listed[0].revoked_at is not None


async def test_an_edit_after_the_result_replaces_the_intake(storage: Storage) -> None:
    async with storage.locked("web", "p1") as record:
        first = await _intake(record, "available", answers={"age": 45})
    async with storage.locked("web", "p1") as record:
        second = await record.record_intake(
            scenario={"tax_year": 2026},
            result={},
            rules_version="2026.1",
            verdict="partial",
            total=Decimal(5),
            flags=[],
            answers={"age": 61},
        )
    assert first == second
    (only,) = await storage.list_intakes(None)
    assert only.verdict == "partial"
    assert only.answers == {"age": 61}
    assert only.updated_at > only.created_at


async def test_the_migration_keeps_the_newest_intake_of_each_conversation(db_url: str) -> None:
    await asyncio.to_thread(upgrade, db_url, "0001")
    engine = create_async_engine(db_url, poolclass=NullPool)
    now = datetime.now(UTC)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                conversation_t.insert().values(
                    id="c1",
                    channel="web",
                    user_key="u",
                    state={},
                    version=0,
                    status="completed",
                    consent_share=True,
                    created_at=now,
                    updated_at=now,
                )
            )
            for n in range(3):
                await conn.execute(
                    text(
                        "INSERT INTO intake_result (id, conversation_id, scenario, result,"
                        " rules_version, verdict, mega_backdoor_total, flags, created_at)"
                        " VALUES (:id, 'c1', '{}', '{}', 'r', :verdict, 0, '[]', :at)"
                    ),
                    {"id": f"i{n}", "verdict": f"v{n}", "at": now + timedelta(minutes=n)},
                )
    finally:
        await engine.dispose()
    await asyncio.to_thread(upgrade, db_url)
    store = Storage(db_url)
    try:
        (kept,) = await store.list_intakes(None)
    finally:
        await store.close()
    assert kept.id == "i2"
    assert kept.updated_at == kept.created_at
