"""`storeops user ...` and `storeops token ...`: people and API tokens of the web app.

`user list --json` prints a list of {id, email, role, active, created_at, last_login_at};
`token list --json` a list of {id, user, name, created_at, last_used_at, revoked_at}
(times are ISO 8601 UTC, null when never). Secrets are printed once, when created.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from sqlalchemy.orm import Session

from storeops.cli.common import (
    JsonOption,
    WorkspaceOption,
    actor,
    console,
    print_json,
    settings_for,
)
from storeops.core.errors import UserError
from storeops.db import users
from storeops.db.engine import engine_for, session_factory
from storeops.db.migrate import upgrade

user_app = typer.Typer(help="People who may use the web app.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (Authorization: Bearer TOKEN).", no_args_is_help=True)


@contextmanager
def state_db(workspace) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """A state DB session on a migrated schema, committed when the block succeeds."""
    engine = engine_for(settings_for(workspace))
    try:
        upgrade(engine)  # cheap when up to date; users may come before the first `serve`
        with session_factory(engine).begin() as session:
            yield session
    finally:
        engine.dispose()


def _user(session: Session, email: str) -> users.User:
    user = users.get_user(session, email)
    if user is None:
        raise UserError(f"no user {users.normalise_email(email)} (add one with: storeops user add)")
    return user


@user_app.command("add")
def add_user(
    email: Annotated[str, typer.Argument(help="Their email address (the login).")],
    # A plain string checked by create_user: one clear line for an unknown role.
    role: Annotated[
        str, typer.Option("--role", help=f"What they may see and change: {', '.join(users.Role)}.")
    ],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Add a user. Without --password-stdin a one-time password is generated and printed."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with state_db(workspace) as session:
        user, generated = users.create_user(
            session, email=email, role=role, password=password, actor=actor()
        )
    console.print(f"Added {user.email} ({user.role}).")
    if generated:
        console.print(f"One-time password (shown once): {generated}", highlight=False)


@user_app.command("list")
def list_users(workspace: WorkspaceOption = None, as_json: JsonOption = False) -> None:
    """List the users."""
    with state_db(workspace) as session:
        rows = [user.public() for user in users.list_users(session)]
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("email", "role", "active", "last login"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["email"]),
            str(row["role"]),
            "yes" if row["active"] else "no",
            str(row["last_login_at"] or "never")[:16].replace("T", " "),
        )
    console.print(table)


@token_app.command("create")
def create_token(
    user_email: Annotated[str, typer.Option("--user", help="Whose token it is.")],
    name: Annotated[str, typer.Option("--name", help="What it is for.")] = "api",
    workspace: WorkspaceOption = None,
) -> None:
    """Create an API token for a user and print it (it cannot be shown again)."""
    with state_db(workspace) as session:
        token, raw = users.create_api_token(
            session, _user(session, user_email), name=name, actor=actor()
        )
    console.print(f"Token {token.id} ({name}) for {user_email}, shown once:", highlight=False)
    sys.stdout.write(raw + "\n")


@token_app.command("list")
def list_tokens(
    user_email: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens (never the tokens themselves)."""
    with state_db(workspace) as session:
        owner = _user(session, user_email) if user_email else None
        rows = [token.public() for token in users.list_api_tokens(session, user=owner)]
    if as_json:
        print_json(rows)
        return
    table = Table(box=box.SIMPLE_HEAD)
    for column in ("id", "user", "name", "last used", "revoked"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["user"]),
            str(row["name"]),
            str(row["last_used_at"] or "never")[:16].replace("T", " "),
            str(row["revoked_at"] or "")[:16].replace("T", " "),
        )
    console.print(table)


@token_app.command("revoke")
def revoke_token(
    token_id: Annotated[int, typer.Argument(help="The token's id (see: storeops token list).")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke an API token: it stops working at once."""
    with state_db(workspace) as session:
        users.revoke_api_token(session, token_id, actor=actor())
    console.print(f"Token {token_id} revoked.")
