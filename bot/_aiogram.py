"""Import aiogram with its Bot API models built when first used, not all at import.

aiogram describes the Bot API as a few hundred pydantic models and, at import, completes every
one of them (``aiogram/types/__init__.py`` calls ``model_rebuild`` on each): about 2.5 s and
130 MB per process, for a bot that uses a dozen of them. Here that loop only records the
namespace each model's forward references resolve in; pydantic then builds a model's validator
the first time the model is used (``defer_build``, which aiogram sets on all its types), and
the Bot API methods resolve their references in the same namespace. Behaviour is unchanged:
:func:`warm_up` builds the models the webhook uses before the first update arrives, and
``tests/bot/test_lazy_models.py`` checks that every model still completes.

If pydantic or aiogram changes so that this no longer applies, aiogram is imported as usual.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, get_args

from pydantic import BaseModel

__all__ = ["load", "warm_up"]

log = logging.getLogger("megaroth.bot")

_model_rebuild = BaseModel.__dict__["model_rebuild"]
_recorded: dict[str, dict[str, Any]] = {}  # the namespace aiogram's import loop passes


def _record_namespace(
    cls: type[BaseModel],
    *,
    force: bool = False,
    raise_errors: bool = True,
    _parent_namespace_depth: int = 2,
    _types_namespace: dict[str, Any] | None = None,
) -> bool | None:
    if force or _types_namespace is None or cls.__pydantic_complete__:
        return _model_rebuild.__func__(  # type: ignore[no-any-return]
            cls,
            force=force,
            raise_errors=raise_errors,
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )
    # One namespace for all of them (aiogram passes the same dict each time): not a copy each.
    cls.__pydantic_parent_namespace__ = _types_namespace
    _recorded["namespace"] = _types_namespace
    return None


def load() -> None:
    """Import aiogram (once per process), its models left to be built on first use."""
    if "aiogram" in sys.modules:
        return
    if not hasattr(BaseModel, "__pydantic_parent_namespace__"):  # pragma: no cover
        log.info("pydantic has changed: aiogram's models are built at import")
        return
    BaseModel.model_rebuild = classmethod(_record_namespace)  # type: ignore[assignment, method-assign]
    try:
        import aiogram.methods
        import aiogram.methods.base
        import aiogram.types
    finally:
        BaseModel.model_rebuild = _model_rebuild  # type: ignore[method-assign]
    namespace = _recorded.pop("namespace", None)
    if namespace is None:  # pragma: no cover - aiogram completed its models itself
        return
    # The methods, and the answer each gets (``Response[<what it returns>]``, made when first
    # needed), resolve the types' names in the same namespace.
    response = aiogram.methods.base.Response
    models = [getattr(aiogram.methods, name) for name in aiogram.methods.__all__]
    for model in [*models, response]:
        is_model = isinstance(model, type) and issubclass(model, BaseModel)
        if is_model and (model is response or not model.__pydantic_complete__):
            model.__pydantic_parent_namespace__ = namespace


# A message and a tap, as Telegram sends them: validating them builds the models every update
# passes through.
_SAMPLE_UPDATES: tuple[dict[str, Any], ...] = (
    {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    },
    {
        "update_id": 2,
        "callback_query": {
            "id": "1",
            "chat_instance": "1",
            "data": "a|q|v",
            "from": {"id": 1, "is_bot": False, "first_name": "A"},
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": "?",
                "reply_markup": {"inline_keyboard": [[{"text": "v", "callback_data": "a|q|v"}]]},
            },
        },
    },
)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes an annotation names (``Message``, ``list[Update]``, ``Message | bool``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


# The ``Response[...]`` classes built by :func:`warm_up`, kept alive: each would otherwise be
# garbage-collected between two calls and built again (milliseconds) for the next one.
_ANSWERS: list[type[BaseModel]] = []


def warm_up() -> None:
    """Build the models of an incoming update and of the Bot API calls the bot makes, so the
    first person does not wait for them."""
    from aiogram import methods
    from aiogram.methods.base import Response
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

    # Message first: the update and the answers below reuse its schema instead of each
    # building their own copy of it.
    Message.model_rebuild()
    for sample in _SAMPLE_UPDATES:
        Update.model_validate(sample)
    InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="-", callback_data="-")]])
    for method in (
        methods.SendMessage,
        methods.EditMessageReplyMarkup,
        methods.AnswerCallbackQuery,
        methods.SendChatAction,
        methods.GetMe,
        methods.SetWebhook,
        methods.GetWebhookInfo,
        methods.SetMyCommands,
    ):
        method.model_rebuild()
        # The Bot API's answer to the method is read as ``Response[<what it returns>]``, a
        # class made again whenever the last one has been garbage-collected: with what it
        # returns built once here, that costs little.
        for model in _models_in(method.__returning__):
            model.model_rebuild()
        answer = Response[method.__returning__]  # type: ignore[name-defined]
        answer.model_validate({"ok": False, "error_code": 400, "description": "-"})
        _ANSWERS.append(answer)  # pydantic keeps such classes only while someone else does
