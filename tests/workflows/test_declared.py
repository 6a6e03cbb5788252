"""Reliability records declared in storeops.toml: one clear error per bad entry (file, line,
entry, field), and a sync that keeps config rows in step without touching API rows, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from storeops.core.errors import BadInput
from storeops.core.settings import load_settings, toml_line_of
from storeops.db.models import AuditEntry
from storeops.itsm.actions import upsert_service
from storeops.itsm.models import Origin, Service
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring import actions
from storeops.monitoring.models import MaintenanceWindow, Monitor, NotificationChannel, Slo
from storeops.monitoring.spec import MonitorSpec
from storeops.workflows.declared import load_declared, sync_declared
from tests.monitoring.statedb import migrated_session

ACTOR = "config"

DECLARED = """
[[services]]
name = "shop"
impact = 1.0

[[services]]
name = "search"
impact = 0.3
public = false

[[monitors]]
name = "home"
kind = "http"
service = "shop"
url = "https://shop.example/"
conditions = ["[STATUS] == 200", "[RESPONSE_TIME] < 800"]

[[monitors]]
name = "checkout"
kind = "journey"
service = "shop"

[[monitors.steps]]
name = "cart"
url = "https://shop.example/cart"
conditions = ["[BODY].items[0].sku == \\"A1\\""]

[[monitors]]
name = "find"
kind = "keyword"
service = "search"
url = "https://shop.example/search?q=shoe"
keyword = "Shoe"

[[slos]]
name = "shop-availability"
service = "shop"
objective = 0.999

[[maintenance]]
name = "nightly"
cron = "0 2 * * *"
duration_minutes = 30
timezone = "Europe/Paris"

[[channels]]
name = "ops"
url = "json://127.0.0.1:9/hook?token=SECRET"
"""


def settings_with(workspace, text: str):  # type: ignore[no-untyped-def]
    file = workspace.settings_file
    file.write_text(file.read_text(encoding="utf-8") + text, encoding="utf-8")
    return load_settings(workspace.workspace)


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [n for n, line in enumerate(text.splitlines(), start=1) if line.strip() == needle]
    return lines[nth]


def test_toml_line_of_finds_keys_in_the_nth_table_of_an_array() -> None:
    text = "[store]\nname = 'x'\n[[monitors]]\nname = 'a'\n[[monitors]]\nname = 'b'\nurl = 'u'\n"
    assert toml_line_of(text, "store", "name") == 2  # unchanged for plain tables
    assert toml_line_of(text, "monitors", "name") == 4  # the first table without occurrence
    assert toml_line_of(text, "monitors", "name", 1) == 6
    assert toml_line_of(text, "monitors", None, 1) == 5
    assert toml_line_of(text, "monitors", "url", 0) is None
    assert toml_line_of(text, "monitors", None, 2) is None


def test_valid_declarations_load(workspace) -> None:  # type: ignore[no-untyped-def]
    declared = load_declared(settings_with(workspace, DECLARED))
    assert [s.name for s in declared.services] == ["shop", "search"]
    assert [m.name for m in declared.monitors] == ["home", "checkout", "find"]
    assert declared.monitors[1].steps[0].conditions == ['[BODY].items[0].sku == "A1"']
    assert [s.name for s in declared.slos] == ["shop-availability"]
    assert [w.name for w in declared.maintenance] == ["nightly"]
    assert [c.name for c in declared.channels] == ["ops"]


@pytest.mark.parametrize(
    ("replace", "by", "line", "field", "message"),
    [
        # A field the kind needs is missing: the line of the entry's header.
        ('url = "https://shop.example/search?q=shoe"\n', "", ("[[monitors]]", 2),
         "monitors[2].url", "monitor 'find': a keyword monitor needs url"),
        # A bad value: the line of its key inside the right [[monitors]] table.
        ('url = "https://shop.example/"', 'url = "ftp://shop.example/"', ('url = "ftp://shop.example/"', 0),
         "monitors[0].url", "monitor 'home': url must start with http:// or https://"),
        ('kind = "journey"', 'kind = "journy"', ('kind = "journy"', 0),
         "monitors[1].kind", "monitor 'checkout': Input should be"),
        ('keyword = "Shoe"', 'keyword = "Shoe"\ninterval_seconds = 0', ("interval_seconds = 0", 0),
         "monitors[2].interval_seconds", "monitor 'find': Input should be greater than or equal to 1"),
        ('keyword = "Shoe"', 'keyword = "Shoe"\nfrequency = 5', ("frequency = 5", 0),
         "monitors[2].frequency", "monitor 'find': Extra inputs are not permitted"),
        # A condition that does not parse, in the monitor and in a journey step.
        ('"[RESPONSE_TIME] < 800"', '"[RESPONSE_TIME] <> 800"', ('conditions = ["[STATUS] == 200", "[RESPONSE_TIME] <> 800"]', 0),
         "monitors[0].conditions[1]", "monitor 'home': condition '[RESPONSE_TIME] <> 800':"),
        ('[BODY].items[0].sku == \\"A1\\"', "[WAT] == 1", ("[[monitors]]", 1),
         "monitors[1].steps[0].conditions[0]", "monitor 'checkout': condition '[WAT] == 1':"),
        # A condition the kind never observes.
        ('"[RESPONSE_TIME] < 800"', '"[CONNECTED] == true"', ('conditions = ["[STATUS] == 200", "[CONNECTED] == true"]', 0),
         "monitors[0].conditions", "monitor 'home': condition '[CONNECTED] == true': http checks have no [CONNECTED]"),
        # Duplicate names: the second one's name.
        ('name = "find"', 'name = "home"', ('name = "home"', 1),
         "monitors[2].name", "monitor 'home': the name is taken by monitors[0]"),
        # Other kinds of entries.
        ("objective = 0.999", "objective = 99.9", ("objective = 99.9", 0),
         "slos[0].objective", "SLO 'shop-availability': Input should be less than 1"),
        ('cron = "0 2 * * *"', 'cron = "0 25 * * *"', ('cron = "0 25 * * *"', 0),
         "maintenance[0].cron", "maintenance window 'nightly': invalid cron expression"),
        ("impact = 0.3", "impact = 3", ("impact = 3", 0),
         "services[1].impact", "service 'search': Input should be less than or equal to 1"),
        ('url = "json://127.0.0.1:9/hook?token=SECRET"', 'url = "j"', ('url = "j"', 0),
         "channels[0].url", "channel 'ops': String should have at least 3 characters"),
    ],
)  # fmt: skip
def test_a_bad_entry_is_one_error_naming_file_line_entry_and_field(
    workspace, replace, by, line, field, message
) -> None:  # type: ignore[no-untyped-def]
    assert replace in DECLARED
    text = DECLARED.replace(replace, by, 1)
    settings = settings_with(workspace, text)
    with pytest.raises(BadInput) as caught:
        load_declared(settings)
    error = caught.value
    full = settings.settings_file.read_text(encoding="utf-8")
    assert error.file == str(settings.settings_file)
    assert error.line == line_of(full, line[0], line[1])
    assert error.field == field
    assert error.reason.startswith(message), error.reason
    assert "\n" not in str(error)


def sync(database_url: str, settings, session=None):  # type: ignore[no-untyped-def]
    declared = load_declared(settings)
    return sync_declared(session, declared, actor=ACTOR)


def names(session, model) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {row.name: row.origin for row in session.scalars(select(model))}


def test_sync_creates_updates_and_removes_config_rows_only(workspace, database_url) -> None:  # type: ignore[no-untyped-def]
    settings = settings_with(workspace, DECLARED)
    with migrated_session(database_url) as session:
        # Rows made through the API beside the file's.
        api = upsert_service(
            session, ServiceSpec(name="blog", impact=0.1), origin=Origin.api, actor="web:a"
        )
        actions.create_monitor(
            session,
            MonitorSpec(name="blog-home", kind="http", service="blog", url="https://blog.example/"),
            service_id=api.id, origin="api", actor="web:a",
        )  # fmt: skip
        session.commit()

        summary = sync_declared(session, load_declared(settings), actor=ACTOR)
        session.commit()
        assert (summary.created, summary.updated, summary.deleted) == (8, 0, 0)
        assert names(session, Service) == {"shop": "config", "search": "config", "blog": "api"}
        assert names(session, Monitor) == {
            "home": "config", "checkout": "config", "find": "config", "blog-home": "api",
        }  # fmt: skip
        assert names(session, Slo) == {"shop-availability": "config"}
        assert names(session, MaintenanceWindow) == {"nightly": "config"}
        [channel] = session.scalars(select(NotificationChannel)).all()
        assert channel.url.endswith("token=SECRET")
        home = session.scalars(select(Monitor).where(Monitor.name == "home")).one()
        assert home.spec["conditions"] == ["[STATUS] == 200", "[RESPONSE_TIME] < 800"]
        stamp = home.updated_at
        audited = session.scalars(select(AuditEntry)).all()
        assert "SECRET" not in json.dumps([[e.before, e.after] for e in audited])

        # Again with the same file: nothing changes, nothing is audited.
        again = sync_declared(session, load_declared(settings), actor=ACTOR)
        session.commit()
        assert (again.created, again.updated, again.deleted) == (0, 0, 0)
        assert len(session.scalars(select(AuditEntry)).all()) == len(audited)
        session.refresh(home)
        assert home.updated_at == stamp  # the engine does not reload an unchanged monitor

        # A changed interval, a monitor and the search service gone from the file.
        smaller = DECLARED.replace('keyword = "Shoe"\n', "").replace(
            'kind = "keyword"\nservice = "search"\nurl = "https://shop.example/search?q=shoe"\n',
            'kind = "http"\nservice = "shop"\nurl = "https://shop.example/find"\n',
        )
        smaller = smaller.replace(
            'url = "https://shop.example/"\n',
            'url = "https://shop.example/"\ninterval_seconds = 15\n',
        )
        smaller = smaller.replace(
            '[[services]]\nname = "search"\nimpact = 0.3\npublic = false\n', ""
        )
        smaller = smaller.replace(
            '[[monitors]]\nname = "checkout"\nkind = "journey"\nservice = "shop"\n\n[[monitors.steps]]\nname = "cart"\nurl = "https://shop.example/cart"\nconditions = ["[BODY].items[0].sku == \\"A1\\""]\n',
            "",
        )
        workspace.settings_file.write_text(
            workspace.settings_file.read_text().replace(DECLARED, smaller)
        )
        changed = sync_declared(
            session, load_declared(load_settings(workspace.workspace)), actor=ACTOR
        )
        session.commit()
        assert (changed.created, changed.updated, changed.deleted) == (0, 2, 2)
        assert names(session, Monitor) == {"home": "config", "find": "config", "blog-home": "api"}
        assert names(session, Service) == {"shop": "config", "blog": "api"}
        session.refresh(home)
        assert home.interval_seconds == 15 and home.updated_at > stamp


def test_a_declared_name_clashing_with_an_api_row_is_an_error(workspace, database_url) -> None:  # type: ignore[no-untyped-def]
    settings = settings_with(workspace, DECLARED)
    with migrated_session(database_url) as session:
        shop = upsert_service(
            session, ServiceSpec(name="shop", impact=1), origin=Origin.api, actor="web:a"
        )
        with pytest.raises(BadInput) as caught:
            sync_declared(session, load_declared(settings), actor=ACTOR)
        full = settings.settings_file.read_text(encoding="utf-8")
        assert caught.value.line == line_of(full, 'name = "shop"')
        assert caught.value.field == "services[0].name"
        assert "service 'shop': a service of that name was created through the API" in str(
            caught.value
        )
        session.rollback()

        session.add(Service(name="shop", title="Shop", impact=1, origin="config"))
        session.flush()
        actions.create_monitor(
            session,
            MonitorSpec(name="find", kind="http", service="shop", url="https://x.example/"),
            service_id=session.scalars(select(Service.id)).one(), origin="api", actor="web:a",
        )  # fmt: skip
        with pytest.raises(BadInput, match="monitor 'find': a monitor of that name was created"):
            sync_declared(session, load_declared(settings), actor=ACTOR)
        assert shop is not None


def test_a_monitor_of_an_unknown_service_is_an_error(workspace, database_url) -> None:  # type: ignore[no-untyped-def]
    settings = settings_with(workspace, DECLARED.replace('service = "search"', 'service = "serch"'))
    with migrated_session(database_url) as session:
        with pytest.raises(BadInput) as caught:
            sync_declared(session, load_declared(settings), actor=ACTOR)
    full = settings.settings_file.read_text(encoding="utf-8")
    assert caught.value.line == line_of(full, 'service = "serch"')
    assert caught.value.field == "monitors[2].service"
    assert "monitor 'find': unknown service 'serch'" in str(caught.value)


def test_a_monitor_may_use_a_service_created_through_the_api(workspace, database_url) -> None:  # type: ignore[no-untyped-def]
    text = DECLARED.replace('[[services]]\nname = "search"\nimpact = 0.3\npublic = false\n', "")
    settings = settings_with(workspace, text)
    with migrated_session(database_url) as session:
        upsert_service(
            session, ServiceSpec(name="search", impact=0.3), origin=Origin.api, actor="web:a"
        )
        sync_declared(session, load_declared(settings), actor=ACTOR)
        session.commit()
        find = session.scalars(select(Monitor).where(Monitor.name == "find")).one()
        assert (
            find.service_id
            == session.scalars(select(Service.id).where(Service.name == "search")).one()
        )


def test_an_undeclared_service_still_used_by_an_api_monitor_is_an_error(
    workspace, database_url
) -> None:  # type: ignore[no-untyped-def]
    settings = settings_with(workspace, DECLARED)
    with migrated_session(database_url) as session:
        sync_declared(session, load_declared(settings), actor=ACTOR)
        search_id = session.scalars(select(Service.id).where(Service.name == "search")).one()
        actions.create_monitor(
            session,
            MonitorSpec(name="api-search", kind="http", service="search", url="https://x.example/"),
            service_id=search_id, origin="api", actor="web:a",
        )  # fmt: skip
        session.commit()
        text = DECLARED.replace('[[services]]\nname = "search"\nimpact = 0.3\npublic = false\n', "")
        text = text.replace('service = "search"', 'service = "shop"')
        workspace.settings_file.write_text(
            workspace.settings_file.read_text().replace(DECLARED, text)
        )
        with pytest.raises(
            BadInput, match="service 'search' is no longer declared, but monitor 'api-search'"
        ):
            sync_declared(session, load_declared(load_settings(workspace.workspace)), actor=ACTOR)
