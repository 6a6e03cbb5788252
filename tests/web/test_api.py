"""The JSON API: the same KPIs as the CLI, 422 on bad parameters, {"detail"} errors, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from storeops.core.settings import Settings
from storeops.web.app import create_app
from tests.web.conftest import add_users, email_of


def get(client: TestClient, token: str, url: str):  # type: ignore[no-untyped-def]
    return client.get(url, headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("compare", ["previous", "yoy", "none"])
def test_kpis_are_the_json_of_storeops_kpis(client, tokens, shop_workspace, cli, compare) -> None:  # type: ignore[no-untyped-def]
    answer = get(
        client, tokens["viewer"], f"/api/v1/kpis?from=2025-03-01&to=2025-03-07&compare={compare}"
    )
    assert answer.status_code == 200
    command = cli(
        "kpis", "--from", "2025-03-01", "--to", "2025-03-07", "--compare", compare,
        "-w", shop_workspace.workspace, "--json",
    )  # fmt: skip
    assert command.code == 0
    assert answer.json() == command.json()


def test_kpis_worked_out_on_paper(client, tokens) -> None:  # type: ignore[no-untyped-def]
    data = get(client, tokens["commerce"], "/api/v1/kpis?from=2025-03-01&to=2025-03-07").json()
    assert (data["from"], data["to"], data["currency"]) == ("2025-03-01", "2025-03-07", "EUR")
    assert data["kpis"]["net_sales"] == "75.00"  # 150 gross − 5 discounts − 70 returns
    assert data["kpis"]["orders"] == 2
    assert data["previous"] == {
        "from": "2025-02-22", "to": "2025-02-28", "kpis": data["previous"]["kpis"]
    }  # fmt: skip
    assert data["previous"]["kpis"]["net_sales"] == "50.00"  # O4: 60 − 10
    assert data["change"]["net_sales"] == {"absolute": "25.00", "relative": 0.5}


def test_kpis_default_to_all_data_like_the_cli(client, tokens) -> None:  # type: ignore[no-untyped-def]
    data = get(client, tokens["viewer"], "/api/v1/kpis?compare=none").json()
    assert (data["from"], data["to"]) == ("2025-01-10", "2025-03-08")
    assert "previous" not in data and "change" not in data


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("to=2025-02-30", "to"),
        ("compare=weekly", "compare"),
    ],
)
def test_bad_parameters_are_422_naming_the_field(client, tokens, query, field) -> None:  # type: ignore[no-untyped-def]
    answer = get(client, tokens["viewer"], f"/api/v1/kpis?{query}")
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == ["query", field]


def test_a_period_backwards_is_422_with_a_message(client, tokens) -> None:  # type: ignore[no-untyped-def]
    answer = get(client, tokens["viewer"], "/api/v1/kpis?from=2025-03-07&to=2025-03-01")
    assert answer.status_code == 422
    assert answer.json() == {"detail": "from 2025-03-07 is after to 2025-03-01"}


def test_audit_limits_are_validated(client, tokens) -> None:  # type: ignore[no-untyped-def]
    assert get(client, tokens["admin"], "/api/v1/audit?limit=0").status_code == 422
    assert get(client, tokens["admin"], "/api/v1/audit?limit=5000").status_code == 422


def test_error_shape_is_detail_with_a_message(client, tokens) -> None:  # type: ignore[no-untyped-def]
    for answer, status in (
        (client.get("/api/v1/kpis"), 401),
        (get(client, tokens["it"], "/api/v1/users"), 403),
        (get(client, tokens["it"], "/api/v1/nothing-here"), 404),
        (client.post("/api/v1/kpis", headers={"Authorization": f"Bearer {tokens['it']}"}), 405),
    ):
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/json"
        assert list(answer.json()) == ["detail"] and isinstance(answer.json()["detail"], str)


def test_a_user_error_is_400_with_its_message(workspace: Settings) -> None:
    tokens = add_users(workspace)  # an empty warehouse: no orders yet
    with TestClient(create_app(workspace)) as client:
        answer = get(client, tokens["viewer"], "/api/v1/kpis")
    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "the warehouse has no orders yet (import some, or run storeops demo)"
    }


def test_an_unexpected_error_is_500_without_internals(shop_workspace, tokens) -> None:  # type: ignore[no-untyped-def]
    app = create_app(shop_workspace)

    @app.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/api/v1/boom")
        page = client.get("/nowhere")
    assert answer.status_code == 500
    assert answer.json() == {"detail": "an unexpected error occurred; it has been logged"}
    assert page.status_code == 404 and "Page not found" in page.text


def test_audit_api_lists_changes_newest_first_without_secrets(client, tokens) -> None:  # type: ignore[no-untyped-def]
    entries = get(client, tokens["admin"], "/api/v1/audit?action=token.*").json()
    assert [e["action"] for e in entries] == ["token.create"] * 4
    assert [e["target"] for e in entries] == [
        f"user:{email_of(r)}" for r in ("viewer", "commerce", "it", "admin")
    ]
    users = get(client, tokens["admin"], "/api/v1/audit?action=user.create&limit=2").json()
    assert [e["after"]["email"] for e in users] == [email_of("viewer"), email_of("commerce")]
    older = get(
        client, tokens["admin"], f"/api/v1/audit?action=user.create&before_id={users[-1]['id']}"
    )
    assert [e["after"]["email"] for e in older.json()] == [email_of("it"), email_of("admin")]
    text = get(client, tokens["admin"], "/api/v1/audit").text
    assert all(token not in text for token in tokens.values()) and "argon2" not in text


def test_openapi_documents_the_api_with_bearer_auth(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/kpis", "/api/v1/audit", "/api/v1/me", "/api/v1/users"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    params = {p["name"] for p in spec["paths"]["/api/v1/kpis"]["get"]["parameters"]}
    assert params == {"from", "to", "compare"}
