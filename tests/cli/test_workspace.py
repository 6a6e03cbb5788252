"""Creating and finding workspaces, and settings errors that name file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from storeops.core.settings import load_settings
from storeops.db.engine import make_engine


def test_init_creates_settings_warehouse_and_state_db(cli, tmp_path: Path) -> None:
    folder = tmp_path / "shop"
    result = cli(
        "init", folder, "--name", "Boutique Zoé", "--currency", "chf", "--timezone", "Europe/Zurich"
    )
    assert result.code == 0, result.err
    settings = load_settings(folder)
    assert settings.store.name == "Boutique Zoé"
    assert settings.store.currency == "CHF"
    assert settings.store.timezone == "Europe/Zurich"
    assert settings.duckdb_path() == folder / "warehouse.duckdb"
    assert (folder / "warehouse.duckdb").exists()
    engine = make_engine(settings.database_url())
    assert "audit_log" in inspect(engine).get_table_names()
    engine.dispose()
    # Running it again keeps the settings and succeeds.
    assert cli("init", folder, "--name", "Other").code == 0
    assert load_settings(folder).store.name == "Boutique Zoé"


def test_workspace_from_environment_and_default(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STOREOPS_HOME", str(tmp_path / "from-env"))
    assert cli("init").code == 0
    assert (tmp_path / "from-env" / "storeops.toml").exists()
    monkeypatch.delenv("STOREOPS_HOME")
    monkeypatch.chdir(tmp_path)
    assert cli("init").code == 0
    assert (tmp_path / "storeops-data" / "storeops.toml").exists()


def test_missing_workspace_says_how_to_create_one(cli, tmp_path: Path) -> None:
    result = cli("imports", "-w", tmp_path / "nowhere")
    assert result.code == 2
    assert "storeops init" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("bad_line", "field"),
    [
        ('timezone = "Mars/Olympus"', "store.timezone"),
        ('currency = "euro"', "store.currency"),
        ('colour = "blue"', "store.colour"),
    ],
)
def test_bad_setting_names_file_line_and_field(
    cli, tmp_path: Path, bad_line: str, field: str
) -> None:
    folder = tmp_path / "ws"
    assert cli("init", folder).code == 0
    settings_file = folder / "storeops.toml"
    lines = settings_file.read_text().splitlines()
    key = bad_line.split("=")[0].strip()
    index = next((i for i, line in enumerate(lines) if line.startswith(f"{key} =")), None)
    if index is None:  # an unknown key: add it to [store]
        index = lines.index("[store]") + 1
        lines.insert(index, bad_line)
    else:
        lines[index] = bad_line
    settings_file.write_text("\n".join(lines) + "\n")
    result = cli("imports", "-w", folder)
    assert result.code == 2
    assert f"storeops.toml:{index + 1}" in result.err
    assert field in result.err
    assert "Traceback" not in result.err


def test_broken_toml_is_one_clear_error(cli, tmp_path: Path) -> None:
    folder = tmp_path / "ws"
    assert cli("init", folder).code == 0
    (folder / "storeops.toml").write_text("[store\nname = 1\n")
    result = cli("imports", "-w", folder)
    assert result.code == 2
    assert "storeops.toml" in result.err and "line 1" in result.err


def test_error_messages_keep_square_brackets(cli, workspace, tmp_path: Path) -> None:
    result = cli(
        "import", "shopify-orders", tmp_path / "orders [EUR].csv", "-w", workspace.workspace
    )
    assert result.code == 2
    assert "orders [EUR].csv" in result.err
