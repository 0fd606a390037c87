"""The chat commands, in one place: their names, the words a person may type for them, and the
descriptions a channel's command menu shows (Telegram's ``setMyCommands``).

Every channel sends a command as ``Incoming(command=name)``; ``edit:<n>`` (change answer *n* of
the summary) and ``faq:<words>`` carry an argument after the colon.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

__all__ = [
    "COMMANDS",
    "COMMAND_WORDS",
    "MENU",
    "REMINDER_COMMANDS",
    "REMINDER_WORDS",
    "Command",
    "ReplyCommand",
]

#: Commands a person may send once a conversation has started (the REST answer body's
#: ``command``).
ReplyCommand = Literal[
    "back",
    "restart",
    "summary",
    "help",
    "math",
    "privacy",
    "forget",
    "stop_sharing",
    "faq",
    "paycheck",
]
#: Every command, ``start`` (open or resume a conversation) included.
Command = Literal["start", ReplyCommand]

#: Every command, in order: the words of ``Command``, so the names are written once.
COMMANDS: Final[tuple[Command, ...]] = get_args(Command)

#: Words typed as a message (lower case, spaces collapsed, a leading "/" and a trailing "." or
#: "!" ignored) that run a command.
COMMAND_WORDS: Final[dict[str, Command]] = {
    "start": "start",
    "back": "back",
    "go back": "back",
    "previous": "back",
    "undo": "back",
    "restart": "restart",
    "start over": "restart",
    "reset": "restart",
    "summary": "summary",
    "review": "summary",
    "my answers": "summary",
    "help": "help",
    "math": "math",
    "show the math": "math",
    "show math": "math",
    "show me the math": "math",
    "forget": "forget",
    "forget me": "forget",
    "delete my data": "forget",
    "delete my answers": "forget",
    "delete my information": "forget",
    "delete everything": "forget",
    "privacy": "privacy",
    "privacy policy": "privacy",
    "my privacy": "privacy",
    "what do you keep": "privacy",
    "stop sharing": "stop_sharing",
    "stop sharing with my advisor": "stop_sharing",
    "stop sharing with the advisor": "stop_sharing",
    "stop sharing my answers": "stop_sharing",
    "don't share": "stop_sharing",
    "do not share": "stop_sharing",
    "unshare": "stop_sharing",
    "paycheck": "paycheck",
    "paychecks": "paycheck",
    "paycheck plan": "paycheck",
    "plan my paychecks": "paycheck",
    "plan my paycheck": "paycheck",
    "plan paychecks": "paycheck",
}

#: The reminders' commands, answered beside the conversation (conversations/reminding.py): the
#: offer, its confirmation, the list, and stopping one or all.
REMINDER_COMMANDS: Final = frozenset(
    {"remind", "remind_yes", "remind_no", "reminders", "reminders_stop", "reminder_stop"}
)
#: Words typed as a message that run a reminders command (read as COMMAND_WORDS are).
REMINDER_WORDS: Final[dict[str, str]] = {
    "remind me": "remind",
    "remind": "remind",
    "reminders": "reminders",
    "my reminders": "reminders",
    "stop reminders": "reminders_stop",
    "stop all reminders": "reminders_stop",
    "stop my reminders": "reminders_stop",
}

#: The commands a menu offers (each one of COMMANDS or REMINDER_COMMANDS), in order, with
#: what each does.
MENU: Final[dict[str, str]] = {
    "start": "Start or resume",
    "help": "How to answer, and the commands",
    "back": "Go back one question",
    "restart": "Start over",
    "summary": "Review and change your answers",
    "math": "Show how each figure was worked out",
    "forget": "Delete everything stored about you",
    "privacy": "What is stored, and for how long",
    "faq": "Questions I can answer (or /faq your question)",
    "paycheck": "Plan my paychecks (once you have your result)",
    "remind": "Reminders of the dates that matter for your result",
    "reminders": "Your reminders: list them, stop one or all",
}
