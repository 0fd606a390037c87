"""The ``megaroth`` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import secrets
import sys
from decimal import Decimal
from typing import Any

import click

from api.settings import get_settings
from conversations import is_advisor_code
from engine import Result, ScenarioError, evaluate, parse_scenario


class _InputError(click.ClickException):
    """Bad input: exit code 2 with ``error: <field>: <what is wrong>``."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="megaroth")
def main() -> None:
    """megaroth: does a Mega Backdoor Roth work for you, and how much can go in?

    Education, not tax advice.
    """


def _read_scenario(source: str) -> Any:
    try:
        if source == "-":
            text = sys.stdin.read()
        else:
            with open(source, encoding="utf-8") as fh:
                text = fh.read()
    except OSError as exc:
        raise _InputError(f"{source}: cannot read the file ({exc.strerror})") from exc
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise _InputError(
            f"scenario: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc


def format_trace(result: Result) -> str:
    """The trace as readable text: each figure, its rule, the arithmetic and the source."""
    lines = [f"Tax year {result.tax_year} (rules {result.rules_version}): {result.verdict}", ""]
    for n, entry in enumerate(result.trace, 1):
        amount = "" if entry.amount is None else f"  = {entry.amount:,.2f}"
        lines.append(f"{n:2}. [{entry.rule}]{amount}")
        lines.append(f"    {entry.text}")
        lines.append(f"    Source: {entry.source}")
    if result.warnings:
        lines += ["", "Warnings:"]
        lines += [f"  - {w.code}: {w.message}" for w in result.warnings]
    lines += ["", "Next steps:"]
    lines += [f"  {n}. {step}" for n, step in enumerate(result.next_steps, 1)]
    return "\n".join(lines)


@main.command("evaluate")
@click.argument("source", metavar="FILE|-")
@click.option("--explain", is_flag=True, help="Print the trace as readable text instead of JSON.")
def evaluate_command(source: str, explain: bool) -> None:
    """Read a scenario (JSON, see docs/CONTRACT.md) and print the result as JSON."""
    data = _read_scenario(source)
    try:
        scenario = parse_scenario(data)
    except ScenarioError as exc:
        raise _InputError(f"{exc.field}: {exc.message}") from exc
    result = evaluate(scenario)
    click.echo(format_trace(result) if explain else result.to_json())


@main.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply schema migrations (safe to run again, and from several workers at once)."""
    from conversations import database_url, upgrade

    upgrade(database_url(get_settings().database_url))
    click.echo("database is up to date")


@main.command("purge")
@click.option("--days", type=int, default=None, help="Override RETENTION_DAYS.")
def purge_command(days: int | None) -> None:
    """Delete abandoned conversations older than the retention period (RETENTION_DAYS)."""
    asyncio.run(_purge(days))


async def _purge(days: int | None) -> None:
    from datetime import UTC, datetime, timedelta

    from conversations import Conversations, Storage, database_url, upgrade

    settings = get_settings()
    keep = days if days is not None else settings.retention_days
    url = database_url(settings.database_url)
    upgrade(url)
    conversations = Conversations(Storage(url))
    try:
        removed = await conversations.purge(datetime.now(UTC) - timedelta(days=keep))
    finally:
        await conversations.close()
    click.echo(f"deleted {removed} abandoned conversation(s) older than {keep} days")


@main.group("advisor")
def advisor_group() -> None:
    """Advisor accounts: each sees only the intakes shared with its own codes.

    ADVISOR_TOKEN, when set, signs in the administrator, who sees every shared intake.
    """


def _storage_call(work: Any) -> Any:
    """Run ``work(conversations)`` on the migrated database and return what it returns."""

    async def run() -> Any:
        from conversations import Conversations, Storage, database_url, upgrade

        url = database_url(get_settings().database_url)
        upgrade(url)
        conversations = Conversations(Storage(url))
        try:
            return await work(conversations)
        finally:
            await conversations.close()

    return asyncio.run(run())


def _default_code(name: str) -> str:
    stem = "".join(ch for ch in name.upper() if ch.isascii() and ch.isalnum())[:12] or "ADVISOR"
    return f"{stem}-{secrets.token_hex(2).upper()}"


@advisor_group.command("add")
@click.argument("name")
@click.option(
    "--code",
    "codes",
    multiple=True,
    help="A code for the advisor's link (/?advisor=CODE); repeat for more. One is made up "
    "from the name when none is given.",
)
def advisor_add(name: str, codes: tuple[str, ...]) -> None:
    """Create the account NAME and print its sign-in token (shown this once)."""
    from api.advisor import new_token, token_hash
    from conversations import AdvisorExists, new_id

    name = name.strip()
    if not name or len(name) > 128:
        raise _InputError("NAME: give a name of 1 to 128 characters")
    for code in codes:
        if not is_advisor_code(code):
            raise _InputError(
                f"--code {code!r}: use letters, digits, - and _ only (at most 64), e.g. SMITH-CPA"
            )
    chosen = list(dict.fromkeys(codes)) or [_default_code(name)]
    advisor_id = new_id()
    token = new_token(advisor_id)
    try:
        advisor = _storage_call(
            lambda conversations: conversations.add_advisor(
                name, token_hash(token), chosen, advisor_id=advisor_id
            )
        )
    except AdvisorExists as exc:
        raise _InputError(str(exc)) from exc
    base = (get_settings().public_base_url or "").rstrip("/")
    click.echo(f"advisor: {advisor.name}")
    for code in advisor.codes:
        click.echo(f"code: {code}    link: {base}/?advisor={code}")
    click.echo(f"sign-in token (shown only now; hand it over privately): {token}")


@advisor_group.command("list")
def advisor_list() -> None:
    """Every advisor account with its codes, and whether it was revoked."""
    advisors = _storage_call(lambda conversations: conversations.advisors())
    if not advisors:
        click.echo("no advisor accounts (megaroth advisor add NAME creates one)")
        return
    for advisor in advisors:
        status = (
            f"revoked {advisor.revoked_at:%Y-%m-%d}" if advisor.revoked_at is not None else "active"
        )
        codes = ", ".join(advisor.codes)
        click.echo(f"{advisor.name}\t{codes}\t{status}\tcreated {advisor.created_at:%Y-%m-%d}")


@advisor_group.command("revoke")
@click.argument("name")
def advisor_revoke(name: str) -> None:
    """Revoke the account NAME: its token stops working and its sessions end now."""
    if not _storage_call(lambda conversations: conversations.revoke_advisor(name)):
        raise _InputError(f"NAME: no active advisor named {name!r} (see megaroth advisor list)")
    click.echo(f"revoked {name}: its token and sessions no longer work")


@main.command("chat")
@click.option("--new", is_flag=True, help="Start over instead of resuming your last conversation.")
def chat_command(new: bool) -> None:
    """The conversation in a terminal: numbered choices, plain typed answers.

    Reads plain lines from standard input, so a script can drive it:
    printf '2026\n45\n...' | megaroth chat
    """
    asyncio.run(_chat(new))


async def _chat(new: bool) -> None:
    from conversations import (
        Conversations,
        Incoming,
        Storage,
        database_url,
        render_replies,
        upgrade,
    )

    settings = get_settings()
    url = database_url(settings.database_url)
    upgrade(url)
    conversations = Conversations(
        Storage(url), key_secret=settings.key_secret(), clock=settings.clock()
    )
    person = conversations.person_key("terminal", getpass.getuser())
    interactive = sys.stdin.isatty()
    try:
        incoming = Incoming(command="restart" if new else "start")
        while True:
            turn = await conversations.turn("terminal", person, incoming)
            for message in render_replies(turn.replies, "text"):
                click.echo(message.text)
                click.echo()
            if turn.forgot:
                return
            if interactive:
                click.echo("> ", nl=False)
            line = sys.stdin.readline()
            if not line:
                return
            text = line.rstrip("\n")
            if text.strip().lower() in ("quit", "exit", "/quit", "/exit"):
                return
            incoming = Incoming(text=text)
    finally:
        await conversations.close()


@main.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
def serve_command(host: str, port: int, workers: int) -> None:
    """Run the app: Telegram webhook, REST API, web chat and health check.

    Applies database migrations first. Without TELEGRAM_BOT_TOKEN the Telegram channel is off
    and everything else runs; with it and PUBLIC_BASE_URL the webhook is registered once.
    """
    from api.http import run

    settings = get_settings()
    if settings.telegram_bot_token is None:
        click.echo("TELEGRAM_BOT_TOKEN is not set: the Telegram channel is off.", err=True)
    run("api.app:create_app", host, port, workers)


def _bot_settings() -> tuple[str, str]:
    settings = get_settings()
    if settings.telegram_bot_token is None:
        raise _InputError("TELEGRAM_BOT_TOKEN is not set (create a bot with @BotFather)")
    return settings.telegram_bot_token.get_secret_value(), settings.telegram_api_base


@main.command("bot")
def bot_command() -> None:
    """Run the Telegram bot with long polling (local use: no public URL needed)."""
    asyncio.run(_poll())


async def _poll() -> None:
    from api.app import start_reminders
    from bot import bot_commands, build_dispatcher, make_bot
    from bot.reminders import Scheduler
    from conversations import Conversations, Storage, database_url, upgrade

    token, base = _bot_settings()
    settings = get_settings()
    url = database_url(settings.database_url)
    upgrade(url)
    conversations = Conversations(
        Storage(url), key_secret=settings.key_secret(), clock=settings.clock()
    )
    bot = make_bot(token, base)
    reminders: Scheduler | None = None
    try:
        await bot.delete_webhook(drop_pending_updates=False)
        await bot.set_my_commands(bot_commands())
        dispatcher = build_dispatcher(conversations)
        if settings.reminders:  # the opted-in reminders go out as with ``megaroth serve``
            reminders = start_reminders(bot, conversations, settings)
        click.echo("polling Telegram for updates; press Ctrl+C to stop")
        await dispatcher.start_polling(bot, handle_signals=True)
    finally:
        if reminders is not None:
            await reminders.stop()
        await bot.session.close()
        await conversations.close()


@main.group("telegram")
def telegram_group() -> None:
    """Telegram set-up commands."""


@telegram_group.command("set-webhook")
def set_webhook_command() -> None:
    """Register PUBLIC_BASE_URL/telegram/webhook with Telegram, with the secret token."""
    asyncio.run(_set_webhook())


async def _set_webhook() -> None:
    from api.app import register_webhook, webhook_url
    from api.deps import AppState
    from bot import make_bot
    from conversations import Conversations, Storage, database_url

    token, base = _bot_settings()
    settings = get_settings()
    if webhook_url(settings) is None or settings.telegram_webhook_secret is None:
        raise _InputError("set PUBLIC_BASE_URL and TELEGRAM_WEBHOOK_SECRET first")
    conversations = Conversations(Storage(database_url(settings.database_url)))
    state = AppState(settings=settings, conversations=conversations, bot=make_bot(token, base))
    try:
        await register_webhook(state)
        click.echo(f"webhook: {webhook_url(settings)}")
    finally:
        assert state.bot is not None
        await state.bot.session.close()
        await conversations.close()


if __name__ == "__main__":
    main()
