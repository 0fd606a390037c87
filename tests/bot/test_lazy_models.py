"""aiogram's models, left by ``bot._aiogram`` to be built on first use, all still complete.

Each check runs in a fresh interpreter: importing aiogram happens once per process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.filterwarnings("error")


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_importing_bot_leaves_the_models_unbuilt_until_used() -> None:
    found = _run(
        """
        import json
        import bot
        import aiogram.types as t
        models = [getattr(t, n) for n in t.__all__ if hasattr(getattr(t, n), "model_rebuild")]
        print(json.dumps({
            "models": len(models),
            "built": sum(1 for m in models if m.__pydantic_complete__),
        }))
        """
    )
    assert int(found["models"]) > 200  # type: ignore[call-overload]
    # Only the few models completed without any forward reference are built at import.
    assert int(found["built"]) < int(found["models"]) // 2  # type: ignore[call-overload]


def test_every_type_and_every_methods_answer_completes() -> None:
    found = _run(
        """
        import json
        import bot
        import aiogram.methods as m
        import aiogram.types as t
        from aiogram.methods.base import Response
        failed = []
        for name in t.__all__:
            model = getattr(t, name)
            if hasattr(model, "model_rebuild"):
                try:
                    model.model_rebuild()
                    assert model.__pydantic_complete__
                except Exception as exc:
                    failed.append(f"{name}: {exc}")
        methods = 0
        for name in m.__all__:
            method = getattr(m, name)
            if method is m.TelegramMethod:  # the base class: it returns nothing of its own
                continue
            if isinstance(method, type) and hasattr(method, "__returning__"):
                methods += 1
                try:
                    method.model_rebuild()
                    Response[method.__returning__].model_validate(
                        {"ok": False, "error_code": 400, "description": "-"}
                    )
                except Exception as exc:
                    failed.append(f"{name}: {exc}")
        print(json.dumps({"failed": failed, "methods": methods}))
        """
    )
    assert found["failed"] == []
    assert int(found["methods"]) > 100  # type: ignore[call-overload]


def test_an_update_reads_the_same_as_with_aiogram_imported_as_usual() -> None:
    code = """
        import json
        {load}
        from aiogram.types import Update
        from aiogram.methods import SendMessage
        from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
        update = Update.model_validate({{
            "update_id": 9,
            "callback_query": {{
                "id": "7", "chat_instance": "c", "data": "a|age|45",
                "from": {{"id": 3, "is_bot": False, "first_name": "Ann"}},
                "message": {{
                    "message_id": 4, "date": 1700000000,
                    "chat": {{"id": 3, "type": "private"}}, "text": "How old?",
                    "reply_markup": {{"inline_keyboard": [[
                        {{"text": "45", "callback_data": "a|age|45"}}
                    ]]}},
                }},
            }},
        }})
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="a|q|yes")]]
        )
        sent = SendMessage(chat_id=3, text="<b>Next</b>", reply_markup=markup)
        print(json.dumps({{
            "update": update.model_dump(mode="json", exclude_unset=True),
            "sent": sent.model_dump(mode="json", exclude_unset=True),
        }}))
        """
    lazy = _run(code.format(load="import bot"))
    usual = _run(code.format(load="import aiogram"))
    assert lazy == usual
    assert lazy["update"]["callback_query"]["data"] == "a|age|45"  # type: ignore[index]
