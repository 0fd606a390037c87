"""The Telegram router: messages and button taps in, the conversation's replies out.

Each handler parses what arrived into an :class:`~conversations.Incoming`, runs one turn of
the conversation, renders the replies for Telegram and sends them. The handlers are plain
functions; what they need beyond the update (``conversations``, the app's
:class:`~conversations.Conversations`) reaches them through aiogram's injection by argument
name, from the Dispatcher's data (see :func:`bot.app.build_dispatcher`). Routers are built by
:func:`build_router`, so each Dispatcher gets its own.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction, ChatType
from aiogram.exceptions import (
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.methods import TelegramMethod
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    ChatMemberUpdated,
    ErrorEvent,
    Message,
    Update,
)

from bot.sender import remove_keyboard, remove_keyboard_call, send_all
from conversations import (
    MENU,
    Conversations,
    Incoming,
    State,
    UpdateRef,
    as_message,
    is_advisor_code,
    is_transient,
    line,
    reminder_command,
)

__all__ = ["COMMANDS", "RetryLater", "build_router"]

log = logging.getLogger("megaroth.bot")

CHANNEL = "telegram"
# Commands shown in Telegram's menu (setMyCommands), and the conversation command each runs.
COMMANDS: dict[str, str] = MENU


class RetryLater(Exception):
    """The update could not be handled now (the database is unavailable): deliver it again."""


def bot_commands() -> list[BotCommand]:
    return [BotCommand(command=name, description=text) for name, text in COMMANDS.items()]


def _advisor_code(payload: str | None) -> str | None:
    if not payload:
        return None
    code = payload.strip()
    return code if is_advisor_code(code) else None


def build_router() -> Router:
    """A router with the handlers below (a new one each time: a router joins one Dispatcher)."""
    router = Router(name="megaroth")
    private = F.chat.type == ChatType.PRIVATE
    router.my_chat_member.register(on_member)
    router.message.register(on_start, private, CommandStart())
    router.message.register(on_command, private, Command(*[c for c in COMMANDS if c != "start"]))
    router.message.register(on_text, private, F.text)
    router.message.register(on_other, private)
    router.message.register(on_group)
    router.edited_message.register(on_edited)
    router.callback_query.register(on_tap, F.data)
    router.callback_query.register(on_empty_tap)
    router.errors.register(on_error)
    return router


# --- one turn --------------------------------------------------------------------------------


async def turn(
    conversations: Conversations,
    bot: Bot,
    chat_id: int,
    person: int,
    incoming: Incoming,
    update: Update,
    advisor_code: str | None = None,
    before_send: Callable[[], Awaitable[int | None]] | None = None,
    answer_with: TelegramMethod[Any] | None = None,
) -> TelegramMethod[Any] | None:
    """Run the turn and send its replies; the call for Telegram to make itself, in the
    webhook's answer (``answer_with``, else taking the buttons off the last question)."""
    key = conversations.person_key(CHANNEL, person)
    # Replies go out in the order updates came in.
    async with conversations.person_lock(CHANNEL, key):
        return await _turn_locked(
            conversations,
            bot,
            chat_id,
            key,
            incoming,
            update,
            advisor_code,
            before_send,
            answer_with,
        )


async def _turn_locked(
    conversations: Conversations,
    bot: Bot,
    chat_id: int,
    key: str,
    incoming: Incoming,
    update: Update,
    advisor_code: str | None,
    before_send: Callable[[], Awaitable[int | None]] | None,
    answer_with: TelegramMethod[Any] | None,
) -> TelegramMethod[Any] | None:
    chat_key = conversations.person_key("telegram-chat", chat_id)
    asked = reminder_command(incoming)
    if asked is not None:  # idempotent: a redelivered update only says it again
        record = await conversations.open(CHANNEL, key, chat_key=chat_key)
        reply = await conversations.reminder(
            CHANNEL,
            key,
            asked,
            state=State.from_json(record.state),
            today=conversations.today() or date.today(),
            address=conversations.seal(str(chat_id)),
            escape=True,
        )
        if before_send is not None:
            await before_send()
        try:
            await send_all(bot, chat_id, [as_message(reply)])
        except TelegramForbiddenError:
            await _blocked(conversations, key)
        return answer_with
    ref = UpdateRef(str(bot.id), update.update_id)
    result = await conversations.turn(
        CHANNEL,
        key,
        incoming,
        chat_key=chat_key,
        update=ref,
        advisor_code=advisor_code,
        outbox="telegram",
    )
    if result.duplicate and not result.resend:
        return answer_with
    if result.resend:
        log.info(
            "update %s: %d replies not confirmed sent, sent again",
            update.update_id,
            len(result.messages),
        )
    # ``before_send`` may already have taken the buttons off a message (the one tapped).
    cleared = await before_send() if before_send is not None else None
    if result.completed:
        await bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING)
    messages = result.messages
    previous = result.channel.get("prompt")
    answer = answer_with
    if previous not in (None, cleared) and any(m.kind == "ask" for m in messages):
        if answer is None:  # Telegram takes the buttons off once it has our answer
            answer = remove_keyboard_call(chat_id, previous)
        else:
            await remove_keyboard(bot, chat_id, previous)
    try:
        prompt = await send_all(bot, chat_id, messages)
    except TelegramForbiddenError:
        await _blocked(conversations, key)
        return None
    if not result.forgot:
        # Out of the outbox: a redelivery of this update now sends nothing.
        await conversations.sent(result, {"prompt": prompt})
    return answer


async def _blocked(conversations: Conversations, key: str) -> None:
    await conversations.set_status(CHANNEL, key, "inactive")
    await conversations.stop_reminders(CHANNEL, key)
    log.info("the person blocked the bot; conversation inactive, reminders stopped")


# --- the handlers ----------------------------------------------------------------------------


async def on_member(event: ChatMemberUpdated, conversations: Conversations) -> None:
    """The person blocked the bot (``kicked``) in their private chat: stop their reminders."""
    if event.chat.type == ChatType.PRIVATE and event.new_chat_member.status == "kicked":
        await _blocked(conversations, conversations.person_key(CHANNEL, event.from_user.id))


async def on_start(
    message: Message,
    command: CommandObject,
    bot: Bot,
    event_update: Update,
    conversations: Conversations,
) -> TelegramMethod[Any] | None:
    if message.from_user is None:
        return None
    return await turn(
        conversations,
        bot,
        message.chat.id,
        message.from_user.id,
        Incoming(command="start"),
        event_update,
        advisor_code=_advisor_code(command.args),
    )


async def on_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    event_update: Update,
    conversations: Conversations,
) -> TelegramMethod[Any] | None:
    if message.from_user is None:
        return None
    name = command.command
    if name == "faq" and command.args:  # "/faq pro rata": the words as a question
        name = f"faq:{command.args.strip()[:500]}"
    return await turn(
        conversations,
        bot,
        message.chat.id,
        message.from_user.id,
        Incoming(command=name),
        event_update,
    )


async def on_text(
    message: Message, bot: Bot, event_update: Update, conversations: Conversations
) -> TelegramMethod[Any] | None:
    assert message.from_user is not None
    assert message.text is not None
    return await turn(
        conversations,
        bot,
        message.chat.id,
        message.from_user.id,
        Incoming(text=message.text),
        event_update,
    )


async def on_other(
    message: Message, bot: Bot, event_update: Update, conversations: Conversations
) -> TelegramMethod[Any] | None:
    if message.from_user is None:
        return None
    kind = str(message.content_type)
    return await turn(
        conversations,
        bot,
        message.chat.id,
        message.from_user.id,
        Incoming(unsupported=kind),
        event_update,
    )


async def on_group(message: Message) -> TelegramMethod[Any]:
    return message.answer(line("group_chat"))


async def on_edited(message: Message) -> TelegramMethod[Any]:
    return message.answer(line("edited_message"))


async def on_tap(
    query: CallbackQuery, bot: Bot, event_update: Update, conversations: Conversations
) -> TelegramMethod[Any] | None:
    data = query.data or ""
    message = query.message
    # Every tap is acknowledged (the button's spinner stops), in the webhook's answer.
    acknowledge = query.answer()
    if (
        not isinstance(message, Message)
        or message.chat.type != ChatType.PRIVATE
        or message.chat.id != query.from_user.id  # only the chat's own person may answer
    ):
        return acknowledge
    kind, _, rest = data.partition("|")
    if kind == "a" and "|" in rest:
        question_id, _, value = rest.partition("|")
        incoming = Incoming(choice=(question_id, value))
    elif kind == "c" and rest:
        incoming = Incoming(command=rest)
    else:
        return acknowledge

    async def take_buttons_off() -> int:
        await remove_keyboard(bot, message.chat.id, message.message_id)
        return message.message_id

    return await turn(
        conversations,
        bot,
        message.chat.id,
        query.from_user.id,
        incoming,
        event_update,
        before_send=take_buttons_off,
        answer_with=acknowledge,
    )


async def on_empty_tap(query: CallbackQuery) -> TelegramMethod[Any]:
    return query.answer()


async def on_error(event: ErrorEvent, bot: Bot) -> None:
    if is_transient(event.exception):
        # Nothing was saved; the webhook answers 503 so Telegram delivers it again.
        raise RetryLater from event.exception
    if isinstance(event.exception, _BOT_API_DOWN):
        # The answer is saved but the replies did not go out: the webhook answers 503, and
        # when Telegram delivers the update again the person gets the turn's replies (kept
        # in the outbox), then their current question.
        log.warning("update %s: the Bot API failed", event.update.update_id)
        raise RetryLater from event.exception
    log.error("update %s failed: %s", event.update.update_id, type(event.exception).__name__)
    chat = _chat_of(event.update)
    if chat is None:
        return
    try:
        await bot.send_message(chat_id=chat, text=line("error"))
    except Exception as exc:
        log.warning("could not tell the person about the error: %s", type(exc).__name__)


# Bot API failures worth another delivery: server errors, timeouts, flood control too long to
# wait out.
_BOT_API_DOWN = (TelegramServerError, TelegramNetworkError, TelegramRetryAfter)


def _chat_of(update: Update) -> int | None:
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None and isinstance(update.callback_query.message, Message):
        return update.callback_query.message.chat.id
    return None
