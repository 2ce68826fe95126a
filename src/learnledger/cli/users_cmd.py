"""`learnledger users`: users of the web app and its API (add, list, disable, set-role)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from learnledger.cli.common import console, engine_for, fail, settings_from
from learnledger.governance.actors import cli_actor
from learnledger.governance.audit import AuditLog
from learnledger.governance.keys import load_key_ring
from learnledger.governance.users import Scope, User, UserDirectory, parse_role
from learnledger.storage import Migrator

app = typer.Typer(
    help="Users of the web app and API: add, list, disable, enable, set-role, set-password.",
    no_args_is_help=True,
)

RoleOption = Annotated[
    str,
    typer.Option(
        "--role",
        help="admin, analyst, executive, programme_owner, manager, learner or auditor.",
    ),
]
OrgUnit = Annotated[
    str | None, typer.Option("--org-unit", help="Manager scope: the org unit they manage.")
]
Person = Annotated[
    str | None, typer.Option("--person", help="The person the user is (learner scope).")
]
Programmes = Annotated[
    list[str] | None,
    typer.Option("--programme", help="Programme owner scope (repeat for several)."),
]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input (scripts)."),
]


@app.command("add")
def add(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: RoleOption,
    org_unit: OrgUnit = None,
    person: Person = None,
    programme: Programmes = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user; the password is asked for (twice) unless --password-stdin."""
    password = _password(password_stdin)
    scope = Scope(org_unit_id=org_unit, person_id=person, programme_ids=tuple(programme or ()))
    with _directory(ctx) as directory:
        user = directory.add(
            username, password, parse_role(role), scope, actor=cli_actor().audit_name
        )
    console.print(f"Added {user.username} ({user.role.value}), id {user.user_id}.")


@app.command("list")
def list_users(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List users with their role, scope and status."""
    with _directory(ctx) as directory:
        users = directory.list()
    if as_json:
        typer.echo(json.dumps([_as_dict(u) for u in users], indent=2, default=str))
        return
    if not users:
        console.print("No users yet: add one with `learnledger users add NAME --role admin`.")
        return
    table = Table("username", "id", "role", "scope", "status", "last sign-in")
    for user in users:
        table.add_row(
            user.username,
            user.user_id,
            user.role.value,
            _scope_text(user.scope),
            "disabled" if user.disabled else "active",
            f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "never",
        )
    console.print(table)


@app.command("disable")
def disable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="Sign-in name.")]
) -> None:
    """Disable a user: they cannot sign in and their sessions end."""
    with _directory(ctx) as directory:
        directory.set_disabled(username, True, actor=cli_actor().audit_name)
    console.print(f"Disabled {username.strip().lower()}; their sessions have ended.")


@app.command("enable")
def enable(
    ctx: typer.Context, username: Annotated[str, typer.Argument(help="Sign-in name.")]
) -> None:
    """Enable a disabled user again."""
    with _directory(ctx) as directory:
        directory.set_disabled(username, False, actor=cli_actor().audit_name)
    console.print(f"Enabled {username.strip().lower()}.")


@app.command("set-role")
def set_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: RoleOption,
    org_unit: OrgUnit = None,
    person: Person = None,
    programme: Programmes = None,
) -> None:
    """Change a user's role and scope; their sessions end so the change applies at once."""
    scope = Scope(org_unit_id=org_unit, person_id=person, programme_ids=tuple(programme or ()))
    with _directory(ctx) as directory:
        user = directory.set_role(username, parse_role(role), scope, actor=cli_actor().audit_name)
    console.print(f"{user.username} is now {user.role.value} ({_scope_text(user.scope)}).")


@app.command("set-password")
def set_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Set a user's password; their sessions end."""
    password = _password(password_stdin)
    with _directory(ctx) as directory:
        directory.set_password(username, password, actor=cli_actor().audit_name)
    console.print(f"Password of {username.strip().lower()} changed; their sessions have ended.")


@contextmanager
def _directory(ctx: typer.Context) -> Iterator[UserDirectory]:
    settings = settings_from(ctx)
    with engine_for(settings) as engine:
        Migrator(engine).migrate()
        yield UserDirectory(engine, AuditLog(engine, load_key_ring(settings)))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise fail("no password on standard input")
        return value
    value = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(value)


def _scope_text(scope: Scope) -> str:
    parts = []
    if scope.org_unit_id:
        parts.append(f"org unit {scope.org_unit_id}")
    if scope.programme_ids:
        parts.append("programmes " + ", ".join(scope.programme_ids))
    if scope.person_id:
        parts.append(f"person {scope.person_id}")
    return "; ".join(parts) or "organisation-wide"


def _as_dict(user: User) -> dict[str, object]:
    return {
        "user_id": user.user_id,
        "username": user.username,
        "role": user.role.value,
        "org_unit_id": user.scope.org_unit_id,
        "person_id": user.scope.person_id,
        "programme_ids": list(user.scope.programme_ids),
        "disabled": user.disabled,
        "created_at": user.created_at,
        "last_login_at": user.last_login_at,
    }
