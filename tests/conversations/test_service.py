"""The turn with storage around it: the outbox of replies not yet confirmed sent, what a
redelivery sends, and the adapter's notes kept after sending."""

from __future__ import annotations

import asyncio
from datetime import date

from conversations.flow import Incoming, State, pending_replies
from conversations.render import render
from conversations.service import OUTBOX, UNSENT, Conversations, Turn, UpdateRef
from conversations.storage import Storage

BOT = "12345"


async def _turn(storage: Storage, update_id: int, incoming: Incoming) -> Turn:
    return await Conversations(storage).turn(
        "telegram",
        "ann",
        incoming,
        chat_key="chat-ann",
        update=UpdateRef(BOT, update_id),
        outbox="telegram",
    )


async def _outbox(storage: Storage, turn: Turn) -> list[int]:
    loaded = await storage.load(turn.conversation_id or "")
    assert loaded is not None
    return [entry["update"] for entry in loaded.state["channel"].get(OUTBOX, [])]


def _texts(turn: Turn) -> list[str]:
    return [m.text for m in turn.messages]


async def test_a_turns_replies_stay_in_the_outbox_until_they_are_out(storage: Storage) -> None:
    turn = await _turn(storage, 1, Incoming(command="start"))
    assert turn.replies
    assert not turn.duplicate
    assert _texts(turn) == [m.text for m in render(turn.replies, "telegram")]
    assert await _outbox(storage, turn) == [1]

    again = await _turn(storage, 1, Incoming(command="start"))
    assert (again.duplicate, again.resend) == (True, True)
    assert _texts(again) == _texts(turn), "exactly the turn's replies, in order"

    await Conversations(storage).sent(turn, {"prompt": 501})
    loaded = await storage.load(turn.conversation_id or "")
    assert loaded is not None
    assert loaded.state["channel"] == {"prompt": 501}
    assert turn.state is not None
    assert loaded.state["answers"] == turn.state["answers"]

    third = await _turn(storage, 1, Incoming(command="start"))
    assert (third.duplicate, third.resend, third.messages) == (True, False, [])


async def test_a_redelivered_summary_sends_the_summary_not_only_the_question(
    storage: Storage,
) -> None:
    await Conversations(storage).sent(await _turn(storage, 1, Incoming(command="start")), {})
    await Conversations(storage).sent(await _turn(storage, 2, Incoming(text="2026")), {})
    summary = await _turn(storage, 3, Incoming(text="summary"))
    kinds = [m.kind for m in summary.messages]
    assert kinds[0] == "summary"
    assert kinds[-1] == "ask"

    # The process died before sending: Telegram delivers the update again.
    again = await _turn(storage, 3, Incoming(text="summary"))
    assert again.resend
    assert _texts(again) == _texts(summary), "the summary, then the question it ends with"


async def test_a_turn_whose_person_moved_on_is_sent_then_the_current_question(
    storage: Storage,
) -> None:
    await Conversations(storage).sent(await _turn(storage, 1, Incoming(command="start")), {})
    lost = await _turn(storage, 2, Incoming(text="summary"))  # never sent
    moved_on = await _turn(storage, 3, Incoming(text="2026"))  # handled by another worker
    assert await _outbox(storage, moved_on) == [2, 3]

    again = await _turn(storage, 2, Incoming(text="summary"))
    loaded = await storage.load(lost.conversation_id or "")
    assert loaded is not None
    current = render(pending_replies(State.from_json(loaded.state)), "telegram")
    assert "How old" in current[-1].text
    assert _texts(again) == _texts(lost) + [m.text for m in current]


async def test_notes_of_an_older_turn_do_not_overwrite_a_newer_one(storage: Storage) -> None:
    first = await _turn(storage, 1, Incoming(command="start"))
    second = await _turn(storage, 2, Incoming(choice=("tax_year", "2026")))
    assert not second.duplicate
    await Conversations(storage).sent(second, {"prompt": 602})
    await Conversations(storage).sent(first, {"prompt": 601})  # late: the person has moved on
    loaded = await storage.load(first.conversation_id or "")
    assert loaded is not None
    assert loaded.state["channel"]["prompt"] == 602
    assert loaded.state["answers"]["tax_year"] == 2026
    assert OUTBOX not in loaded.state["channel"], "both turns' replies are out"


async def test_a_late_confirmation_takes_out_only_its_own_replies(storage: Storage) -> None:
    first = await _turn(storage, 1, Incoming(command="start"))
    second = await _turn(storage, 2, Incoming(choice=("tax_year", "2026")))
    # The version moved: only update 1 goes.
    await Conversations(storage).sent(first, {"prompt": 601})
    assert await _outbox(storage, second) == [2]
    again = await _turn(storage, 2, Incoming(choice=("tax_year", "2026")))
    assert _texts(again) == _texts(second)


async def test_a_turn_saved_before_the_outbox_gets_its_current_question(
    storage: Storage,
) -> None:
    turn = await _turn(storage, 1, Incoming(command="start"))
    assert turn.conversation_id is not None
    assert turn.state is not None
    old = State.from_json(turn.state)
    old.channel = {UNSENT: 1}
    assert await storage.save_state(turn.conversation_id, turn.version, old.to_json())
    again = await _turn(storage, 1, Incoming(command="start"))
    assert again.resend
    assert [m.kind for m in again.messages] == ["ask"]


async def test_observers_and_locks_belong_to_their_conversations_object(storage: Storage) -> None:
    """Two apps in one process (tests build many) share neither observers nor locks."""
    seen: list[tuple[str, bool]] = []

    def record(channel: str, turn: Turn) -> None:
        seen.append((channel, turn.started))

    observed = Conversations(storage, clock=lambda: date(2026, 3, 2))
    observed.observe(record)
    observed.observe(record)  # once, however often added
    other = Conversations(storage)
    await other.turn("terminal", "ann", Incoming(command="start"))
    assert seen == [], "another object's turn"
    await observed.turn("terminal", "ann", Incoming(text="2026"))
    assert seen == [("terminal", True)]

    async with observed.person_lock("telegram", "ann"):
        async with asyncio.timeout(1):
            async with other.person_lock("telegram", "ann"):
                pass  # not held up: each object has its own locks
        waiting = asyncio.create_task(_hold(observed))
        await asyncio.sleep(0.01)
        assert not waiting.done(), "the same object's lock is held"
    await waiting
    assert observed._locks == {}, "a lock lives only while someone holds or waits for it"


async def _hold(conversations: Conversations) -> None:
    async with conversations.person_lock("telegram", "ann"):
        pass
