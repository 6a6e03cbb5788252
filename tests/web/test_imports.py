"""The Imports page: uploads run the real importers (in a child process), the log and quarantine
page on the server, bad uploads and a busy workspace give one clear line, imports are audited,
and the Overview's cached numbers follow every import."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from storeops.db.engine import engine_for, session_factory
from storeops.web.cache import ReadCache
from storeops.web.queries import recent_changes
from tests.web.conftest import email_of

FIXTURES = Path(__file__).parents[1] / "fixtures"
MARCH = FIXTURES / "web_imports" / "march_orders.csv"
MISSING_PRICE = FIXTURES / "web_imports" / "missing_price.csv"
ERP_BAD = FIXTURES / "mapped" / "erp_orders_bad.csv"
ERP_MAPPING = Path(__file__).parents[2] / "docs" / "examples" / "mappings" / "erp-orders-fr.toml"
HOLD_WAREHOUSE = """
import sys
from pathlib import Path
from storeops.core.settings import load_settings
from storeops.warehouse.connection import write_session
with write_session(load_settings(Path(sys.argv[1]))):
    print("holding", flush=True)
    sys.stdin.read()
"""
WEEK_API = "/api/v1/kpis?from=2025-03-01&to=2025-03-07&compare=none"


def upload(session, kind: str, *paths: Path, record_kind: str = "", mapping: Path | None = None):  # type: ignore[no-untyped-def]
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in paths]
    if mapping is not None:
        files.append(("mapping", (mapping.name, mapping.read_bytes(), "application/toml")))
    data = {"csrf_token": session.csrf, "kind": kind, "record_kind": record_kind}
    return session.client.post("/imports", data=data, files=files)


def api(session, url: str) -> dict:  # type: ignore[no-untyped-def]
    """The API with the browser session (which must send its CSRF token there)."""
    answer = session.client.get(url, headers={"X-CSRF-Token": session.csrf})
    assert answer.status_code == 200, answer.text
    return answer.json()


def audit_entries(settings) -> list:  # type: ignore[no-untyped-def]
    engine = engine_for(settings)
    try:
        with session_factory(engine)() as db:
            return recent_changes(db, limit=50, action="warehouse.import")
    finally:
        engine.dispose()


def settle(settings) -> None:  # type: ignore[no-untyped-def]
    """Makes the warehouse's files look older than the cache's racy window."""
    old = time.time() - 60
    path = settings.duckdb_path()
    for file in (path, path.with_name(path.name + ".wal")):
        if file.exists():
            os.utime(file, (old, old))


def test_upload_shows_counts_quarantines_the_bad_order_and_is_audited(
    client_for, shop_workspace
) -> None:  # type: ignore[no-untyped-def]
    commerce = client_for("commerce")
    answer = upload(commerce, "shopify-orders", MARCH)
    assert answer.status_code == 200, answer.text
    result = answer.text.split('id="result-title"', 1)[1].split("</section>", 1)[0]
    assert "march_orders.csv" in result
    cells = [
        re.sub(r"<[^>]+>", "", c) for c in re.findall(r'<td class="num[^"]*">(.*?)</td>', result)
    ]
    # rows read 3, loaded 2, quarantined 1; orders new 2, changed 0, unchanged 0
    assert cells == ["3", "2", "1", "2", "0", "0"]
    assert "Quarantined orders: #W3" in result
    # The quarantine table shows where and why.
    quarantine = answer.text.split('id="quarantine-table"', 1)[1]
    assert "Lineitem quantity" in quarantine and "not a quantity: &#39;two&#39;" in quarantine
    assert "#W3,cy@example.com" in quarantine
    # Audited with the web user as actor; the upload's temporary folder is gone.
    [entry] = audit_entries(shop_workspace)
    assert entry.actor == f"web:{email_of('commerce')}"
    assert entry.target.startswith("shopify-orders:") and entry.target.endswith("march_orders.csv")
    assert entry.after["rows_quarantined"] == 1 and "quarantined_orders" not in entry.after
    assert list((shop_workspace.workspace / "uploads").iterdir()) == []


def test_mapped_csv_upload_uses_the_record_kind_and_mapping(client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    answer = upload(admin, "csv", ERP_BAD, record_kind="orders", mapping=ERP_MAPPING)
    assert answer.status_code == 200, answer.text
    assert "Quarantined orders: CMD-2002, CMD-2003, CMD-2004" in answer.text
    data = api(admin, "/api/v1/quarantine?import=1")
    assert data["total"] == 4
    by_line = {row["line"]: row for row in data["rows"]}
    assert by_line[6]["field"] == "Qté" and by_line[6]["reason"] == "not a whole number: 'un'"
    assert by_line[6]["raw"] == "CMD-2002;;;;;;MUG-01;Mug céramique;un;12,50;;;"
    assert by_line[6]["file"].endswith("erp_orders_bad.csv")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"kind": "shopify-orders", "files": [MISSING_PRICE]},
         "missing_price.csv:1: field &#39;Lineitem price&#39;: missing required column"),
        ({"kind": "csv", "files": [ERP_BAD]}, "A csv import needs the kind of records"),
        ({"kind": "csv", "files": [ERP_BAD], "record_kind": "orders"},
         "A csv import needs its mapping file"),
        ({"kind": "nonsense", "files": [MARCH]}, "Choose what the files are"),
        ({"kind": "shopify-orders", "files": []}, "Choose at least one file"),
    ],
)  # fmt: skip
def test_bad_uploads_say_what_is_wrong_in_one_line(client_for, form, message) -> None:  # type: ignore[no-untyped-def]
    commerce = client_for("commerce")
    answer = upload(commerce, form["kind"], *form["files"], record_kind=form.get("record_kind", ""))
    assert answer.status_code == 400
    error = answer.text.split('class="alert alert-error" role="alert">', 1)[1].split("</p>", 1)[0]
    assert message in error
    assert "/uploads/" not in error  # the file as the person named it, not its temporary copy
    assert api(commerce, "/api/v1/imports")["total"] == 0


def test_a_bad_second_file_stops_before_anything_is_loaded(client_for, tmp_path) -> None:  # type: ignore[no-untyped-def]
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    commerce = client_for("commerce")
    answer = upload(commerce, "shopify-orders", MARCH, empty)
    assert answer.status_code == 400 and "empty.csv:1: the file is empty" in answer.text
    assert api(commerce, "/api/v1/imports")["total"] == 0


def test_a_busy_workspace_says_try_again(client_for, shop_workspace, app) -> None:  # type: ignore[no-untyped-def]
    app.state.settings = shop_workspace.model_copy(
        update={
            "warehouse": shop_workspace.warehouse.model_copy(update={"busy_timeout_seconds": 0.3})
        }
    )
    commerce = client_for("commerce")
    holder = subprocess.Popen(  # another process (an import, the demo) writes to the warehouse
        [sys.executable, "-c", HOLD_WAREHOUSE, str(shop_workspace.workspace)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "holding"  # type: ignore[union-attr]
        answer = upload(commerce, "shopify-orders", MARCH)
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert "Workspace busy, try again in a moment" in answer.text
    finally:
        holder.communicate("", timeout=30)
    assert api(commerce, "/api/v1/imports")["total"] == 0


def test_viewers_see_the_log_but_no_upload_form(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for("viewer").client.get("/imports")
    assert page.status_code == 200 and 'enctype="multipart/form-data"' not in page.text
    assert 'enctype="multipart/form-data"' in client_for("commerce").client.get("/imports").text


def test_log_and_quarantine_page_on_the_server_and_match_the_cli(
    client_for, tokens, shop_workspace, cli
) -> None:  # type: ignore[no-untyped-def]
    ws = shop_workspace.workspace
    for _ in range(3):  # the same file three times: three imports, the quarantine replaced
        assert cli("import", "shopify-orders", MARCH, "-w", ws).code == 0
    assert (
        cli("import", "csv", ERP_BAD, "--kind", "orders", "--mapping", ERP_MAPPING, "-w", ws).code
        == 0
    )
    api = client_for("viewer").client
    bearer = {"Authorization": f"Bearer {tokens['viewer']}"}
    everything = api.get("/api/v1/imports", headers=bearer).json()
    assert everything["imports"] == cli("imports", "-w", ws, "--json").json()["imports"]
    assert [row["import_id"] for row in everything["imports"]] == [4, 3, 2, 1]

    second = api.get("/api/v1/imports?page=2&per_page=3", headers=bearer).json()
    assert (second["total"], [r["import_id"] for r in second["imports"]]) == (4, [1])
    by_rows = api.get("/api/v1/imports?sort=rows&dir=asc", headers=bearer).json()
    assert [r["rows_read"] for r in by_rows["imports"]] == [3, 3, 3, 5]

    quarantine = api.get("/api/v1/quarantine", headers=bearer).json()
    assert quarantine == cli("quarantine", "-w", ws, "--json").json() | {"page": 1, "per_page": 100}
    assert quarantine["total"] == 5  # 4 rows of the ERP file, the last Shopify import's one
    page2 = api.get("/api/v1/quarantine?import=4&page=2&per_page=3", headers=bearer).json()
    assert (page2["total"], [r["line"] for r in page2["rows"]]) == (4, [8])

    html = api.get("/imports?per_page=3&page=2&import=3&qper_page=1").text
    log = html.split('id="imports-table"', 1)[1].split("</section>", 1)[0]
    assert "Page 2 of 2 · 4 imports" in log
    assert "Page 1 of 1 · 1 rows" in html.split('id="quarantine-table"', 1)[1]
    # Sorting links flip the direction of the active column and go back to page 1.
    assert 'href="/imports?page=1&amp;per_page=3&amp;sort=id&amp;dir=asc' in log

    assert api.get("/api/v1/imports?sort=nope", headers=bearer).status_code == 422
    assert api.get("/api/v1/quarantine?page=0", headers=bearer).status_code == 422
    assert api.get("/imports?dir=sideways").status_code == 422


def test_csv_downloads(client_for, shop_workspace, cli) -> None:  # type: ignore[no-untyped-def]
    ws = shop_workspace.workspace
    assert cli("import", "shopify-orders", MARCH, "-w", ws).code == 0
    client = client_for("viewer").client
    log = list(csv.DictReader(io.StringIO(client.get("/imports.csv").text)))
    assert [(r["import_id"], r["rows_read"], r["rows_quarantined"]) for r in log] == [
        ("1", "3", "1")
    ]
    answer = client.get("/quarantine.csv?import=1")
    assert answer.headers["content-disposition"] == 'attachment; filename="quarantine_1.csv"'
    [row] = list(csv.DictReader(io.StringIO(answer.text)))
    assert (row["line"], row["field"], row["record_ref"]) == ("4", "Lineitem quantity", "#W3")
    assert row["raw"].startswith("#W3,cy@example.com,paid")


def test_the_overview_cache_follows_every_import(
    client_for, tokens, shop_workspace, app, cli
) -> None:  # type: ignore[no-untyped-def]
    settle(shop_workspace)
    commerce = client_for("commerce")
    bearer = {"Authorization": f"Bearer {tokens['commerce']}"}
    before = commerce.client.get(WEEK_API, headers=bearer).json()["kpis"]
    assert (before["net_sales"], before["orders"]) == ("75.00", 2)
    cache = app.state.read_cache
    hits = cache.hits
    assert commerce.client.get(WEEK_API, headers=bearer).json()["kpis"] == before
    assert cache.hits > hits  # served from the cache

    # An upload: the very next request shows the new orders (40 + 2 × 15 on 5 and 6 March).
    assert upload(commerce, "shopify-orders", MARCH).status_code == 200
    after = commerce.client.get(WEEK_API, headers=bearer).json()["kpis"]
    assert (after["net_sales"], after["orders"]) == ("145.00", 4)
    page = commerce.client.get("/?from=2025-03-01&to=2025-03-07").text
    assert "€145.00" in page.split("<h2>Net sales</h2>", 1)[1].split("</article>", 1)[0]

    # An import by another command (the CLI) is seen as well: a second file cancels #W1.
    settle(shop_workspace)
    assert commerce.client.get(WEEK_API, headers=bearer).json()["kpis"] == after
    voided = MARCH.read_text().replace("#W1,ana@example.com,paid", "#W1,ana@example.com,voided")
    changed = shop_workspace.workspace / "march_orders_voided.csv"
    changed.write_text(voided)
    assert cli("import", "shopify-orders", changed, "-w", shop_workspace.workspace).code == 0
    final = commerce.client.get(WEEK_API, headers=bearer).json()["kpis"]
    assert (final["net_sales"], final["orders"]) == ("105.00", 3)


def test_results_of_a_just_written_warehouse_are_not_kept(
    client_for, tokens, app, shop_workspace
) -> None:  # type: ignore[no-untyped-def]
    bearer = {"Authorization": f"Bearer {tokens['viewer']}"}
    client = client_for("viewer").client
    os.utime(shop_workspace.duckdb_path())  # written just now: every request reads again
    for _ in range(2):
        assert client.get(WEEK_API, headers=bearer).status_code == 200
    assert app.state.read_cache.hits == 0
    assert json.loads(client.get(WEEK_API, headers=bearer).text)["kpis"]["net_sales"] == "75.00"


def test_concurrent_requests_for_a_cold_key_read_the_warehouse_once() -> None:
    cache = ReadCache()
    version = ((1, 100, 0), None)  # files last written in 1970: settled
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: cache.get(version, "kpis", compute), range(8)))
    assert answers == [42] * 8 and len(calls) == 1
    # Another version: nothing kept from the old one is served.
    assert cache.get(((1, 200, 0), None), "kpis", lambda: 7) == 7
    assert (
        cache.get(version, "other", lambda: 1) == 1 and cache.get(version, "kpis", lambda: 9) == 9
    )
