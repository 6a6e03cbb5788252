"""docs/monitoring.md stays true: its TOML examples load (and the ones marked `# invalid:` fail
with the message they announce), all of them sync together into a real state DB, its channel URLs
are ones Apprise accepts, the conditions it shows parse (and the refused ones are refused), and
its tables of placeholders, default conditions, burn-rate rules, fields, metrics and commands
match the code."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import apprise
import pytest
import typer.main
from pydantic import BaseModel
from sqlalchemy import func, select

from storeops.cli.main import app
from storeops.core.errors import BadInput
from storeops.core.settings import (
    MonitoringSettings,
    Settings,
    load_settings,
    write_default_settings,
)
from storeops.db.engine import engine_for, session_factory
from storeops.db.migrate import upgrade
from storeops.itsm.models import Origin
from storeops.itsm.schemas import ServiceSpec
from storeops.monitoring import burn, conditions
from storeops.monitoring.models import Monitor
from storeops.monitoring.probes.check import OBSERVES
from storeops.monitoring.spec import (
    ChannelSpec,
    Kind,
    MaintenanceSpec,
    MonitorSpec,
    SloSpec,
    Step,
)
from storeops.web.metrics import ReliabilityCollector
from storeops.workflows.declared import load_declared, sync_declared
from tests.monitoring.statedb import migrated_session

DOC = Path(__file__).resolve().parents[2] / "docs" / "monitoring.md"
TEXT = DOC.read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
INVALID = re.compile(r"^# invalid: (.+)$", re.M)
CONDITION_LIKE = re.compile(r"\[[A-Z_]+\].*(==|!=|<|>)")


def fenced(language: str) -> list[tuple[int, str]]:
    """(line, body) of every fenced block of that language."""
    return [
        (TEXT.count("\n", 0, match.start()) + 1, match[2])
        for match in FENCE.finditer(TEXT)
        if match[1] == language
    ]


def prose(text: str) -> str:
    """The text without its fenced blocks."""
    return FENCE.sub("", text)


def section(heading: str, text: str = TEXT) -> str:
    """From `heading` (a whole line) to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n")
    ends = [
        m.start()
        for m in re.finditer(r"^(#+) ", text[start + 1 :], re.M)
        if len(m[1]) <= len(level)
    ][1:]
    return text[start : start + 1 + ends[0]] if ends else text[start:]


def spans(text: str) -> list[str]:
    """Inline code spans outside fenced blocks."""
    return re.findall(r"`([^`\n]+)`", prose(text))


def table_rows(text: str, first_cell: str) -> list[list[str]]:
    """Cells of the table rows whose first cell matches the regular expression `first_cell`."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if re.fullmatch(first_cell, cells[0]):
                rows.append(cells)
    return rows


CONDITIONS = section("## 3. The condition language", prose(TEXT))
REFUSED = section("### Refused at load", CONDITIONS)
TOML = fenced("toml")
VALID = [(line, body) for line, body in TOML if not INVALID.search(body)]
BROKEN = [(line, body, INVALID.search(body)[1]) for line, body in TOML if INVALID.search(body)]


def fresh_workspace(folder: Path, extra: str) -> Settings:
    """The default settings of a new workspace with `extra` appended, loaded."""
    settings = write_default_settings(
        folder, name="Doc Shop", currency="EUR", timezone="Europe/Paris"
    )
    file = settings.settings_file
    file.write_text(file.read_text(encoding="utf-8") + "\n" + extra, encoding="utf-8")
    return load_settings(settings.workspace)


# -- the TOML examples ----------------------------------------------------------------------------


def test_the_guide_has_examples_of_every_kind_and_a_broken_one() -> None:
    kinds = {m for _, body in VALID for m in re.findall(r'^kind = "(\w+)"', body, re.M)}
    assert {str(kind) for kind in Kind} <= kinds
    assert BROKEN


@pytest.mark.parametrize(("line", "body"), VALID, ids=[f"line{line}" for line, _ in VALID])
def test_each_toml_example_loads(tmp_path: Path, line: int, body: str) -> None:
    declared = load_declared(fresh_workspace(tmp_path / "ws", body))
    entries = sum(
        len(getattr(declared, part))
        for part in ("services", "monitors", "slos", "maintenance", "channels")
    )
    assert entries or "[monitoring]" in body


@pytest.mark.parametrize(
    ("line", "body", "message"), BROKEN, ids=[f"line{line}" for line, _, _ in BROKEN]
)
def test_each_invalid_example_fails_with_its_message(
    tmp_path: Path, line: int, body: str, message: str
) -> None:
    with pytest.raises(BadInput) as failure:
        load_declared(fresh_workspace(tmp_path / "ws", body))
    assert message in str(failure.value)


def test_the_examples_together_sync_into_the_state_db(workspace: Settings) -> None:
    """Every reference between them holds (monitors, SLOs and windows name declared services)."""
    settings = workspace
    file = settings.settings_file
    together = "\n".join(body for _, body in VALID)
    file.write_text(file.read_text(encoding="utf-8") + "\n" + together, encoding="utf-8")
    declared = load_declared(load_settings(settings.workspace))
    engine = engine_for(settings)
    try:
        upgrade(engine)
        with session_factory(engine).begin() as session:
            summary = sync_declared(session, declared, actor="doc")
            stored = session.scalar(
                select(func.count()).select_from(Monitor).where(Monitor.origin == Origin.config)
            )
    finally:
        engine.dispose()
    assert stored == len(declared.monitors) >= len(Kind)
    assert summary.created == sum(
        len(getattr(declared, part))
        for part in ("services", "monitors", "slos", "maintenance", "channels")
    )


def test_channel_urls_are_accepted_by_apprise(tmp_path: Path) -> None:
    together = "\n".join(body for _, body in VALID)
    channels = load_declared(fresh_workspace(tmp_path / "ws", together)).channels
    assert len(channels) >= 4  # e-mail, Slack, Teams, webhook
    for channel in channels:
        assert apprise.Apprise().add(channel.url), channel.url


# -- the condition language -----------------------------------------------------------------------


def test_every_condition_shown_parses() -> None:
    shown = [span for span in spans(CONDITIONS.replace(REFUSED, "")) if CONDITION_LIKE.search(span)]
    assert len(shown) >= 25
    for text in shown:
        conditions.parse(text)  # raises ValueError naming what is wrong


def test_every_refused_condition_is_refused() -> None:
    refused = [spans(line)[0] for line in REFUSED.splitlines() if line.startswith("- `")]
    assert len(refused) >= 8
    for text in refused:
        with pytest.raises(ValueError):
            conditions.parse(text)


def test_every_placeholder_operator_and_function_is_documented() -> None:
    shown = set(spans(CONDITIONS))
    for name in conditions.PLACEHOLDERS:
        assert f"[{name}]" in shown, name
    for operator in conditions.OPERATORS:
        assert operator in shown, operator
    functions = {cells[0] for cells in table_rows(CONDITIONS, r"`\w+\(.*\)`")}
    assert functions == {
        "`len(placeholder)`",
        "`has(placeholder)`",
        "`pat(glob)`",
        "`any(a, b, ...)`",
    }


def test_the_placeholder_table_names_the_kinds_that_observe_each() -> None:
    rows = table_rows(CONDITIONS, r"`\[[A-Z_]+\]`")
    documented = {cells[0].strip("`[]"): set(cells[2].split(", ")) for cells in rows}
    assert set(documented) == set(conditions.PLACEHOLDERS)
    for name, kinds in documented.items():
        assert kinds == {str(k) for k in Kind if name in OBSERVES[k]}, name


MINIMAL = {
    Kind.http: {"url": "https://shop.example/"},
    Kind.keyword: {"url": "https://shop.example/", "keyword": "x"},
    Kind.json: {"url": "https://shop.example/"},
    Kind.tls: {"url": "https://shop.example/"},
    Kind.tcp: {"host": "shop.example", "port": 443},
    Kind.dns: {"host": "shop.example"},
    Kind.journey: {"steps": [{"name": "home", "url": "https://shop.example/"}]},
}


def test_the_default_conditions_table_matches_the_code() -> None:
    rows = {cells[0]: cells[1] for cells in table_rows(CONDITIONS, r"[a-z]+")}
    for kind, fields in MINIMAL.items():
        spec = MonitorSpec(name="m", kind=kind, service="s", **fields)
        expected = spec.effective_conditions()
        if kind == Kind.journey:  # none of its own; each step's default
            assert expected == []
            expected = Step.model_fields["conditions"].default
        assert re.findall(r"`([^`]+)`", rows[str(kind)]) == expected, kind


# -- SLOs, fields, metrics, commands --------------------------------------------------------------


def test_the_burn_rate_table_is_the_policy() -> None:
    rows = table_rows(TEXT, r"page|ticket")
    documented = {(cells[0], cells[1], cells[2], float(cells[3])) for cells in rows}
    assert documented == {
        (rule.severity, rule.long_window, rule.short_window, rule.threshold) for rule in burn.POLICY
    }


@pytest.mark.parametrize(
    "shape",
    [ServiceSpec, MonitorSpec, Step, SloSpec, MaintenanceSpec, ChannelSpec, MonitoringSettings],
)
def test_every_field_is_documented(shape: type[BaseModel]) -> None:
    shown = set(spans(TEXT))
    missing = [name for name in shape.model_fields if name not in shown]
    assert not missing, f"{shape.__name__}: {missing}"


def test_every_metric_is_documented(tmp_path: Path) -> None:
    with migrated_session(f"sqlite:///{tmp_path / 'state.db'}") as session:
        collector = ReliabilityCollector(session, currency="EUR", now=datetime.now(UTC))
        served = {family.name for family in collector.collect()}
    documented = {span for span in spans(TEXT) if span.startswith("storeops_")}
    assert served and documented == served


def _walk(command: Any, words: list[str], line: str) -> Any:
    """Follows `words` through the command tree (Typer's own click: duck-typed), checking each
    option exists where it is used; returns the command reached."""
    position = 0
    while position < len(words):
        word = words[position]
        position += 1
        subcommands = getattr(command, "commands", {})
        if word in subcommands:
            command = subcommands[word]
            continue
        if not word.startswith("--"):
            continue  # an argument
        name = word.split("=", 1)[0]
        option = next((p for p in command.params if name in (*p.opts, *p.secondary_opts)), None)
        assert option is not None, f"{line!r}: {command.name} has no {name}"
        if not getattr(option, "is_flag", False) and "=" not in word:
            position += 1  # its value
    return command


def test_every_command_shown_exists_with_its_options() -> None:
    root = typer.main.get_command(app)
    lines = [
        line.split("  #", 1)[0].strip()
        for _, body in fenced("sh")
        for line in body.splitlines()
        if line.startswith("storeops ")
    ]
    assert len(lines) >= 15
    for line in lines:
        reached = _walk(root, shlex.split(line)[1:], line)
        assert reached is not root, line
        if getattr(reached, "commands", None):  # a group runs alone only with a callback
            assert reached.invoke_without_command, line
