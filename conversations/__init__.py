"""The channel-agnostic conversation: questions, flow, templates and storage.

The channels (``bot/``, ``api/``) use only the names below (``tests/test_layers.py`` checks
it). :class:`Conversations` is the door: built once where the app is assembled, it runs turns,
shows and deletes conversations, keeps reminders and serves the advisors' side; the rest are
the types its answers come in and the pure helpers that render them.
"""

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
from conversations.render import Button, Channel, OutMessage, day, render
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
    "render",
    "result_reply",
    "snapshot",
    "upgrade",
    "utcnow",
]
