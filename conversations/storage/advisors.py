"""Advisor accounts (a name, a sign-in token's hash, the advisor codes they own) and the
signed-in browsers' sessions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update

from conversations.models import AdvisorPublic, new_id, utcnow
from conversations.storage.database import Database
from conversations.storage.tables import advisor_code_t, advisor_session_t, advisor_t

__all__ = ["AdvisorExists", "AdvisorSignIn", "Advisors"]


class AdvisorExists(ValueError):
    """The advisor name or one of the codes is taken already."""


@dataclass(frozen=True)
class AdvisorSignIn:
    """Who a live advisor session belongs to: an advisor, or the administrator (``advisor``
    None), who sees every shared intake."""

    advisor: AdvisorPublic | None

    @property
    def is_admin(self) -> bool:
        return self.advisor is None


class Advisors(Database):
    """Advisor accounts and their sessions."""

    async def add_advisor(
        self, name: str, token_hash: str, codes: Sequence[str], *, advisor_id: str | None = None
    ) -> AdvisorPublic:
        """A new advisor account owning ``codes``. Raises :class:`AdvisorExists` when the name
        or a code is taken (by any account, revoked ones included)."""
        now = utcnow()
        advisor_id = advisor_id or new_id()
        async with self.writing() as conn:
            taken = await conn.scalar(select(advisor_t.c.id).where(advisor_t.c.name == name))
            if taken is not None:
                raise AdvisorExists(f"an advisor named {name!r} exists already")
            used = list(
                (
                    await conn.scalars(
                        select(advisor_code_t.c.code).where(advisor_code_t.c.code.in_(codes))
                    )
                ).all()
            )
            if used:
                raise AdvisorExists(f"the code {used[0]!r} belongs to another advisor")
            await conn.execute(
                insert(advisor_t).values(
                    id=advisor_id, name=name, token_hash=token_hash, created_at=now
                )
            )
            await conn.execute(
                insert(advisor_code_t).values(
                    [{"code": c, "advisor_id": advisor_id, "created_at": now} for c in codes]
                )
            )
        return AdvisorPublic(id=advisor_id, name=name, codes=list(codes), created_at=now)

    async def list_advisors(self) -> list[AdvisorPublic]:
        """Every advisor account, revoked ones too, oldest first."""
        async with self.reading() as conn:
            rows = (
                await conn.execute(select(advisor_t).order_by(advisor_t.c.created_at))
            ).mappings()
            advisors = [dict(row) for row in rows]
            codes = (
                await conn.execute(
                    select(advisor_code_t.c.advisor_id, advisor_code_t.c.code).order_by(
                        advisor_code_t.c.created_at, advisor_code_t.c.code
                    )
                )
            ).all()
        return _with_codes(advisors, codes)

    async def advisor_by_token(self, token_hash: str) -> AdvisorPublic | None:
        """The live (not revoked) account whose sign-in token has this hash."""
        for advisor in await self._advisors(advisor_t.c.token_hash == token_hash):
            return advisor
        return None

    async def revoke_advisor(self, name: str) -> bool:
        """Revoke an account: its token stops working and its sessions end at once. False if
        there is no live account by that name."""
        async with self.writing() as conn:
            advisor_id = await conn.scalar(
                select(advisor_t.c.id).where(
                    advisor_t.c.name == name, advisor_t.c.revoked_at.is_(None)
                )
            )
            if advisor_id is None:
                return False
            await conn.execute(
                update(advisor_t).where(advisor_t.c.id == advisor_id).values(revoked_at=utcnow())
            )
            await conn.execute(
                delete(advisor_session_t).where(advisor_session_t.c.advisor_id == advisor_id)
            )
            return True

    async def start_session(
        self, token_hash: str, advisor_id: str | None, expires_at: datetime
    ) -> None:
        """Record a signed-in browser (``advisor_id`` None: the administrator). Expired sessions
        are cleared out on the way."""
        now = utcnow()
        async with self.writing() as conn:
            await conn.execute(
                delete(advisor_session_t).where(advisor_session_t.c.expires_at < now)
            )
            await conn.execute(
                insert(advisor_session_t).values(
                    token_hash=token_hash,
                    advisor_id=advisor_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    async def session(self, token_hash: str) -> AdvisorSignIn | None:
        """Who the session with this hash belongs to; None when there is no such session, it
        has expired, or its account was revoked."""
        query = select(advisor_session_t.c.advisor_id).where(
            advisor_session_t.c.token_hash == token_hash,
            advisor_session_t.c.expires_at > utcnow(),
        )
        async with self.reading() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        if row.advisor_id is None:
            return AdvisorSignIn(None)
        found = await self._advisors(advisor_t.c.id == row.advisor_id)
        return AdvisorSignIn(found[0]) if found else None

    async def end_session(self, token_hash: str) -> bool:
        """Sign out: the session is gone, so a copy of its cookie is refused from now on."""
        async with self.writing() as conn:
            result = await conn.execute(
                delete(advisor_session_t).where(advisor_session_t.c.token_hash == token_hash)
            )
            return bool(result.rowcount)

    async def _advisors(self, *where: Any) -> list[AdvisorPublic]:
        """Live accounts matching ``where``, with their codes."""
        async with self.reading() as conn:
            rows = (
                await conn.execute(
                    select(advisor_t).where(advisor_t.c.revoked_at.is_(None), *where)
                )
            ).mappings()
            found = [dict(row) for row in rows]
            codes = (
                await conn.execute(
                    select(advisor_code_t.c.advisor_id, advisor_code_t.c.code)
                    .where(advisor_code_t.c.advisor_id.in_([row["id"] for row in found]))
                    .order_by(advisor_code_t.c.created_at, advisor_code_t.c.code)
                )
            ).all()
        return _with_codes(found, codes)


def _with_codes(rows: Sequence[Mapping[str, Any]], codes: Sequence[Any]) -> list[AdvisorPublic]:
    by_advisor: dict[str, list[str]] = {}
    for advisor_id, code in codes:
        by_advisor.setdefault(advisor_id, []).append(code)
    return [
        AdvisorPublic(
            id=row["id"],
            name=row["name"],
            codes=by_advisor.get(row["id"], []),
            created_at=row["created_at"],
            revoked_at=row["revoked_at"],
        )
        for row in rows
    ]
