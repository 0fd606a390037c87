"""One home for each word list: advisor codes, verdicts and commands mean the same on every
channel (web, Telegram, REST, the command line)."""

from __future__ import annotations

import typing

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from api import advisor, cli, rest, web
from bot import handlers
from conversations.advisor_code import is_advisor_code
from conversations.commands import (
    COMMAND_WORDS,
    COMMANDS,
    MENU,
    REMINDER_COMMANDS,
    REMINDER_WORDS,
    ReplyCommand,
)
from conversations.flow import Incoming, command_of
from conversations.wording import WORDING
from engine import VERDICTS, Verdict

CODES = [
    "SMITH-CPA",
    "a_b-9",
    "x",
    "x" * 64,
    "x" * 65,
    "é",
    "café",
    "①",
    "²",
    "٣",  # an Arabic-Indic digit: str.isalnum() says yes
    "ＡＢ",  # full-width letters
    "ab c",
    "ab/c",
    "abc\n",
    "ab.c",
]


def _web(code: str) -> bool:
    accepted, _ = web._advisor_code(code)
    return accepted == code


def _telegram(code: str) -> bool:
    return handlers._advisor_code(code) == code


def _rest(code: str) -> bool:
    try:
        rest.StartIn.model_validate({"advisor_code": code})
    except ValidationError:
        return False
    return True


def _command_line_refuses(code: str) -> bool:
    # A refused code stops before the database is opened (exit 2).
    result = CliRunner().invoke(cli.main, ["advisor", "add", "Jo", "--code", code])
    return result.exit_code == 2 and "use letters, digits, - and _ only" in result.output


@pytest.mark.parametrize("code", CODES)
def test_every_channel_takes_the_same_advisor_codes(code: str) -> None:
    expected = is_advisor_code(code)
    assert {"web": _web(code), "telegram": _telegram(code), "rest": _rest(code)} == {
        "web": expected,
        "telegram": expected,
        "rest": expected,
    }


@pytest.mark.parametrize("code", ["é", "①", "٣", "x" * 65, "abc\n"])
def test_the_command_line_refuses_what_the_channels_refuse(code: str) -> None:
    assert not is_advisor_code(code)
    assert _command_line_refuses(code)


def test_the_rule_is_ascii_letters_digits_dash_and_underscore() -> None:
    assert [c for c in CODES if is_advisor_code(c)] == ["SMITH-CPA", "a_b-9", "x", "x" * 64]


def test_verdicts_are_the_engines_words_everywhere() -> None:
    assert typing.get_args(Verdict) == VERDICTS
    assert set(advisor.VERDICTS) == set(VERDICTS)
    assert set(VERDICTS) <= set(WORDING["verdicts"])
    assert set(VERDICTS) == set(WORDING["verdicts_past"])


def test_commands_are_one_list() -> None:
    assert set(MENU) <= set(COMMANDS) | REMINDER_COMMANDS
    assert not set(COMMANDS) & REMINDER_COMMANDS
    assert set(REMINDER_WORDS.values()) <= REMINDER_COMMANDS
    assert not set(REMINDER_WORDS) & set(COMMAND_WORDS)
    # Typed "faq ..." goes to the FAQ with its words, not through the command words.
    assert set(COMMAND_WORDS.values()) == set(COMMANDS) - {"faq"}
    assert handlers.COMMANDS is MENU
    # The REST API takes every command but start (a conversation starts with its POST).
    assert set(typing.get_args(rest.Command)) == set(COMMANDS) - {"start"}
    assert typing.get_args(ReplyCommand) == tuple(c for c in COMMANDS if c != "start")


@pytest.mark.parametrize("word", sorted(COMMAND_WORDS))
def test_each_typed_command_word_runs_its_command(word: str) -> None:
    assert command_of(Incoming(text=word)) == (COMMAND_WORDS[word], "")
    assert command_of(Incoming(text=f"/{word.upper()}!")) == (COMMAND_WORDS[word], "")
