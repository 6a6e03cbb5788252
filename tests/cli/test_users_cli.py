"""storeops user add/list and token create/list/revoke, on SQLite and PostgreSQL."""

from __future__ import annotations

import io

from storeops.cli.workspace import prepare_stores
from storeops.core.settings import load_settings
from storeops.db.engine import engine_for, session_factory
from storeops.db.users import authenticate, user_for_token


def test_users_and_tokens(cli, workspace, database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("STOREOPS_DATABASE_URL", database_url)
    settings = load_settings(workspace.workspace)
    prepare_stores(settings)
    ws = ("-w", workspace.workspace)

    added = cli("user", "add", "Ana@Shop.example", "--role", "it", *ws)
    assert added.code == 0, added.err
    [password] = [
        line.split(": ", 1)[1] for line in added.out.splitlines() if "One-time password" in line
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    chosen = cli("user", "add", "bo@shop.example", "--role", "viewer", "--password-stdin", *ws)
    assert chosen.code == 0 and "One-time password" not in chosen.out

    assert cli("user", "add", "ana@shop.example", "--role", "admin", *ws).code == 2
    bad_role = cli("user", "add", "cy@shop.example", "--role", "root", *ws)
    assert bad_role.code == 2 and "unknown role 'root'" in bad_role.err

    listed = cli("user", "list", "--json", *ws).json()
    assert [(u["email"], u["role"], u["active"]) for u in listed] == [
        ("ana@shop.example", "it", True), ("bo@shop.example", "viewer", True),
    ]  # fmt: skip

    created = cli("token", "create", "--user", "ana@shop.example", "--name", "ci", *ws)
    assert created.code == 0
    raw = created.out.strip().splitlines()[-1]
    assert raw.startswith("sto_")
    assert cli("token", "create", "--user", "nobody@shop.example", *ws).code == 2
    [token] = cli("token", "list", "--json", *ws).json()
    assert (token["user"], token["name"], token["revoked_at"]) == ("ana@shop.example", "ci", None)
    assert raw not in cli("token", "list", "--json", *ws).out

    engine = engine_for(settings)
    try:
        with session_factory(engine).begin() as session:
            assert authenticate(session, "ana@shop.example", password) is not None
            assert authenticate(session, "bo@shop.example", "a long enough password") is not None
            assert user_for_token(session, raw).email == "ana@shop.example"
        assert cli("token", "revoke", str(token["id"]), *ws).code == 0
        with session_factory(engine)() as session:
            assert user_for_token(session, raw) is None
    finally:
        engine.dispose()
