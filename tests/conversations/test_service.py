"""The turn with storage around it: redeliveries, and the adapter's notes kept after sending."""

from __future__ import annotations

from conversations.flow import Ask, Incoming
from conversations.service import UNSENT, Turn, UpdateRef, handle, sent
from conversations.storage import Storage

BOT = "12345"


async def _turn(storage: Storage, update_id: int, incoming: Incoming) -> Turn:
    return await handle(
        storage, "telegram", "ann", incoming, chat_key="chat-ann", update=UpdateRef(BOT, update_id)
    )


async def test_an_update_stays_marked_unsent_until_its_replies_are_out(storage: Storage) -> None:
    turn = await _turn(storage, 1, Incoming(command="start"))
    assert turn.replies
    assert not turn.duplicate
    assert turn.state is not None
    assert turn.state["channel"][UNSENT] == 1

    again = await _turn(storage, 1, Incoming(command="start"))
    assert (again.duplicate, again.resend) == (True, True)
    # The person should see the question they are on: sent again.
    asked = [r for r in turn.replies if isinstance(r, Ask)]
    assert [r for r in again.replies if isinstance(r, Ask)] == asked[-1:]

    await sent(storage, turn, {"prompt": 501})
    loaded = await storage.load(turn.conversation_id or "")
    assert loaded is not None
    assert loaded.state["channel"] == {"prompt": 501, UNSENT: None}
    assert loaded.state["answers"] == turn.state["answers"]

    third = await _turn(storage, 1, Incoming(command="start"))
    assert (third.duplicate, third.resend, third.replies) == (True, False, [])


async def test_notes_of_an_older_turn_do_not_overwrite_a_newer_one(storage: Storage) -> None:
    first = await _turn(storage, 1, Incoming(command="start"))
    second = await _turn(storage, 2, Incoming(choice=("tax_year", "2026")))
    assert not second.duplicate
    await sent(storage, second, {"prompt": 602})
    await sent(storage, first, {"prompt": 601})  # late: the person has moved on
    loaded = await storage.load(first.conversation_id or "")
    assert loaded is not None
    assert loaded.state["channel"]["prompt"] == 602
    assert loaded.state["answers"]["tax_year"] == 2026
