"""The channel-agnostic conversation: questions, flow, templates and storage.

The channels (``bot/``, ``api/``) use only the names below (``tests/test_layers.py`` checks
it). :class:`Conversations` is the door: built once where the app is assembled, it runs turns,
shows and deletes conversations, keeps reminders and serves the advisors' side; the rest are
the types its answers come in and the pure helpers that render them.

Each name is imported from its module when first used, so a name (or one module of the
package) does not load the rest: ``megaroth evaluate`` starts without the flow's questions,
the FAQ or the templates.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conversations.advisor_code import ADVISOR_CODE_MAX, ADVISOR_CODE_PATTERN, is_advisor_code
    from conversations.commands import MENU, ReplyCommand
    from conversations.db import upgrade
    from conversations.deadlines import ClosedYear
    from conversations.faq import entry_ids as faq_entry_ids
    from conversations.faq import load_entries as faq_entries
    from conversations.faq import topic as faq_topic
    from conversations.flow import (
        Ask,
        FaqReply,
        FaqTopics,
        Incoming,
        Math,
        PaycheckReply,
        Problem,
        Reply,
        ResultReply,
        State,
        Summary,
        command_of,
        faq_figures,
        result_reply,
        snapshot,
    )
    from conversations.models import AdvisorPublic, IntakeResultPublic, new_id, utcnow
    from conversations.questions import OUTLINE, answered, by_id
    from conversations.reminder_store import Claimed, StoredReminder
    from conversations.reminders import phrase as reminder_phrase
    from conversations.reminders import text as reminder_text
    from conversations.reminders import title as reminder_title
    from conversations.reminding import (
        ReminderReply,
        as_message,
        calendar,
        person_drafts,
        reminder_command,
    )
    from conversations.render import Button, Channel, OutMessage, day
    from conversations.render import render as render_replies
    from conversations.service import FLAG_CODES, Conversations, Turn, TurnObserver, UpdateRef
    from conversations.storage import (
        TRANSIENT_ERRORS,
        AdvisorExists,
        AdvisorSignIn,
        ConversationNotFound,
        ConversationRecord,
        Storage,
        database_url,
        default_database_path,
        is_transient,
    )
    from conversations.wording import WORDING, line

# Where each public name lives: (module, name there).
_WHERE: dict[str, tuple[str, str]] = {
    "ADVISOR_CODE_MAX": ("advisor_code", "ADVISOR_CODE_MAX"),
    "ADVISOR_CODE_PATTERN": ("advisor_code", "ADVISOR_CODE_PATTERN"),
    "FLAG_CODES": ("service", "FLAG_CODES"),
    "MENU": ("commands", "MENU"),
    "OUTLINE": ("questions", "OUTLINE"),
    "TRANSIENT_ERRORS": ("storage", "TRANSIENT_ERRORS"),
    "WORDING": ("wording", "WORDING"),
    "AdvisorExists": ("storage", "AdvisorExists"),
    "AdvisorPublic": ("models", "AdvisorPublic"),
    "AdvisorSignIn": ("storage", "AdvisorSignIn"),
    "Ask": ("flow", "Ask"),
    "Button": ("render", "Button"),
    "Channel": ("render", "Channel"),
    "Claimed": ("reminder_store", "Claimed"),
    "ClosedYear": ("deadlines", "ClosedYear"),
    "ConversationNotFound": ("storage", "ConversationNotFound"),
    "ConversationRecord": ("storage", "ConversationRecord"),
    "Conversations": ("service", "Conversations"),
    "FaqReply": ("flow", "FaqReply"),
    "FaqTopics": ("flow", "FaqTopics"),
    "Incoming": ("flow", "Incoming"),
    "IntakeResultPublic": ("models", "IntakeResultPublic"),
    "Math": ("flow", "Math"),
    "OutMessage": ("render", "OutMessage"),
    "PaycheckReply": ("flow", "PaycheckReply"),
    "Problem": ("flow", "Problem"),
    "ReminderReply": ("reminding", "ReminderReply"),
    "Reply": ("flow", "Reply"),
    "ReplyCommand": ("commands", "ReplyCommand"),
    "ResultReply": ("flow", "ResultReply"),
    "State": ("flow", "State"),
    "Storage": ("storage", "Storage"),
    "StoredReminder": ("reminder_store", "StoredReminder"),
    "Summary": ("flow", "Summary"),
    "Turn": ("service", "Turn"),
    "TurnObserver": ("service", "TurnObserver"),
    "UpdateRef": ("service", "UpdateRef"),
    "answered": ("questions", "answered"),
    "as_message": ("reminding", "as_message"),
    "by_id": ("questions", "by_id"),
    "calendar": ("reminding", "calendar"),
    "command_of": ("flow", "command_of"),
    "database_url": ("storage", "database_url"),
    "day": ("render", "day"),
    "default_database_path": ("storage", "default_database_path"),
    "faq_entries": ("faq", "load_entries"),
    "faq_entry_ids": ("faq", "entry_ids"),
    "faq_figures": ("flow", "faq_figures"),
    "faq_topic": ("faq", "topic"),
    "is_advisor_code": ("advisor_code", "is_advisor_code"),
    "is_transient": ("storage", "is_transient"),
    "line": ("wording", "line"),
    "new_id": ("models", "new_id"),
    "person_drafts": ("reminding", "person_drafts"),
    "reminder_command": ("reminding", "reminder_command"),
    "reminder_phrase": ("reminders", "phrase"),
    "reminder_text": ("reminders", "text"),
    "reminder_title": ("reminders", "title"),
    "render_replies": ("render", "render"),
    "result_reply": ("flow", "result_reply"),
    "snapshot": ("flow", "snapshot"),
    "upgrade": ("db", "upgrade"),
    "utcnow": ("models", "utcnow"),
}

__all__ = [
    "ADVISOR_CODE_MAX",
    "ADVISOR_CODE_PATTERN",
    "FLAG_CODES",
    "MENU",
    "OUTLINE",
    "TRANSIENT_ERRORS",
    "WORDING",
    "AdvisorExists",
    "AdvisorPublic",
    "AdvisorSignIn",
    "Ask",
    "Button",
    "Channel",
    "Claimed",
    "ClosedYear",
    "ConversationNotFound",
    "ConversationRecord",
    "Conversations",
    "FaqReply",
    "FaqTopics",
    "Incoming",
    "IntakeResultPublic",
    "Math",
    "OutMessage",
    "PaycheckReply",
    "Problem",
    "ReminderReply",
    "Reply",
    "ReplyCommand",
    "ResultReply",
    "State",
    "Storage",
    "StoredReminder",
    "Summary",
    "Turn",
    "TurnObserver",
    "UpdateRef",
    "answered",
    "as_message",
    "by_id",
    "calendar",
    "command_of",
    "database_url",
    "day",
    "default_database_path",
    "faq_entries",
    "faq_entry_ids",
    "faq_figures",
    "faq_topic",
    "is_advisor_code",
    "is_transient",
    "line",
    "new_id",
    "person_drafts",
    "reminder_command",
    "reminder_phrase",
    "reminder_text",
    "reminder_title",
    "render_replies",
    "result_reply",
    "snapshot",
    "upgrade",
    "utcnow",
]


if not TYPE_CHECKING:  # type checkers see the imports above

    def __getattr__(name: str) -> Any:
        try:
            module, attr = _WHERE[name]
        except KeyError:
            raise AttributeError(f"module 'conversations' has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"conversations.{module}"), attr)
        globals()[name] = value
        return value
