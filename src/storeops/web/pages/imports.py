"""Imports: upload shop files into the warehouse, the import log and the quarantine.

An upload is saved to a temporary folder of the workspace, then imported by the importers of
`storeops import` in a child process: DuckDB refuses, inside one process, a read-write attach of
a file that other requests of this process hold open read-only, while between processes the
warehouse's lock protocol (readers retry, writers wait then report "workspace busy") applies.
Each imported file is audited with the signed-in user as actor.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import re
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from storeops.connectors.base import StageContext, check_file
from storeops.connectors.mapping import RECORD_KINDS
from storeops.connectors.registry import KINDS, context_for, import_files, record_imports
from storeops.core.errors import UserError, WorkspaceBusy
from storeops.core.settings import Settings
from storeops.db.users import User
from storeops.warehouse.connection import read_connection
from storeops.warehouse.loading import ImportResult
from storeops.warehouse.schema import IMPORTS, QUARANTINE
from storeops.web.api.imports import (
    DirQuery,
    ImportQuery,
    ImportSort,
    PageQuery,
    PerPageQuery,
    SortDir,
    SortQuery,
    import_page,
    quarantine_page,
)
from storeops.web.deps import DbSession, SettingsDep, require
from storeops.web.permissions import can
from storeops.web.rendering import render

router = APIRouter()
Reader = Annotated[User, Depends(require("imports"))]
Writer = Annotated[User, Depends(require("imports", write=True))]
MAPPED = ("csv", "parquet")
UPLOADS = "uploads"  # the workspace folder uploads wait in while they are imported
SHOWN_ORDERS = 20


COLUMNS = (  # the import log's sortable columns: query value, heading, numeric
    (ImportSort.id.value, "Import", True),
    (ImportSort.finished.value, "Finished", False),
    (ImportSort.kind.value, "Kind", False),
    (ImportSort.file.value, "File", False),
    (ImportSort.rows.value, "Rows", True),
    (ImportSort.quarantined.value, "Quarantined", True),
)


@dataclass(frozen=True)
class View:
    """What the page shows: both tables' paging, the log's order, the quarantine's filter."""

    page: int = 1
    per_page: int = 25
    sort: ImportSort = ImportSort.id
    dir: SortDir = SortDir.desc
    import_id: int | None = None
    qpage: int = 1
    qper_page: int = 25

    def url(self, **changes: Any) -> str:
        """This page's address with some values changed (None drops one)."""
        values = {**self.__dict__, **changes}
        query = {"import" if k == "import_id" else k: v for k, v in values.items()}
        return "/imports?" + urlencode(
            {k: getattr(v, "value", v) for k, v in query.items() if v is not None}
        )


def _page(
    request: Request,
    user: User,
    settings: Settings,
    view: View = View(),
    *,
    status_code: int = 200,
    read_log: bool = True,
    **context: Any,
) -> Response:
    """The page; without `read_log` (the warehouse is being written) the tables wait."""
    total, imports, qtotal, quarantine = 0, [], 0, []
    try:
        if read_log:
            with read_connection(settings) as con:
                total, imports = import_page(
                    con, page=view.page, per_page=view.per_page, sort=view.sort, direction=view.dir
                )
                qtotal, quarantine = quarantine_page(
                    con, import_id=view.import_id, page=view.qpage, per_page=view.qper_page
                )
    except WorkspaceBusy:
        read_log = False
    return render(
        request,
        "imports.html",
        {
            "kinds": KINDS,
            "record_kinds": list(RECORD_KINDS),
            "can_write": can(user.role, "imports", write=True),
            "columns": COLUMNS,
            "url": view.url,
            "sort": view.sort,
            "dir": view.dir,
            "import_id": view.import_id,
            "imports": imports,
            "total": total,
            "page": view.page,
            "pages": max(1, -(-total // view.per_page)),
            "quarantine": quarantine,
            "qtotal": qtotal,
            "qpage": view.qpage,
            "qpages": max(1, -(-qtotal // view.qper_page)),
            "shown_orders": SHOWN_ORDERS,
            "filename": lambda path: Path(path).name,
            "log_read": read_log,
            **context,
        },
        status_code=status_code,
    )


@router.get("/imports")
def imports_page(
    request: Request,
    user: Reader,
    settings: SettingsDep,
    page: PageQuery = 1,
    per_page: PerPageQuery = 25,
    sort: SortQuery = ImportSort.id,
    dir: DirQuery = SortDir.desc,
    import_id: ImportQuery = None,
    qpage: PageQuery = 1,
    qper_page: PerPageQuery = 25,
) -> Response:
    view = View(page, per_page, sort, dir, import_id, qpage, qper_page)
    return _page(request, user, settings, view)


def _import_job(
    settings: Settings, kind: str, files: list[Path], ctx: StageContext
) -> tuple[list[ImportResult], str | None, bool]:
    """Runs in the child process: the files' results, then the error that stopped it (if any)
    and whether that error was a busy workspace. Every file is checked before any is loaded."""
    results: list[ImportResult] = []
    try:
        for file in files:
            check_file(file)
        for file in files:
            results += import_files(settings, kind, [file], ctx)
    except UserError as exc:  # BadInput does not survive pickling: its message does
        return results, str(exc), isinstance(exc, WorkspaceBusy)
    return results, None, False


def _run_import(
    settings: Settings, kind: str, files: list[Path], ctx: StageContext
) -> tuple[list[ImportResult], str | None, bool]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_import_job, settings, kind, files, ctx).result()


def _safe_name(name: str | None, fallback: str) -> str:
    """The uploaded file's own name, without any folder part or awkward characters."""
    base = Path((name or "").replace("\\", "/")).name
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .")
    return base or fallback


def _save(upload: UploadFile, folder: Path, fallback: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name = _safe_name(upload.filename, fallback)
    target, n = folder / name, 1
    while target.exists():  # two uploads of the same name keep both
        n += 1
        target = folder / f"{Path(name).stem} ({n}){Path(name).suffix}"
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, 1 << 20)
    return target


def _problem(
    kind: str, record_kind: str, files: list[UploadFile], mapping: UploadFile | None
) -> str | None:
    if kind not in KINDS:
        return f"Choose what the files are (one of: {', '.join(KINDS)})."
    if not files:
        return "Choose at least one file to import."
    if kind in MAPPED:
        if record_kind not in RECORD_KINDS:
            return f"A {kind} import needs the kind of records (one of: {', '.join(RECORD_KINDS)})."
        if mapping is None:
            return f"A {kind} import needs its mapping file (TOML, see docs/mapping.md)."
    return None


@router.post("/imports")
def upload(
    request: Request,
    user: Writer,
    settings: SettingsDep,
    db: DbSession,
    kind: Annotated[str, Form(max_length=50)] = "",
    record_kind: Annotated[str, Form(max_length=50)] = "",
    files: Annotated[list[UploadFile] | None, File()] = None,
    mapping: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Imports the uploaded files; shows each file's counts, or the one line that stopped it."""
    chosen = [f for f in files or [] if f.filename]
    mapping = mapping if mapping is not None and mapping.filename else None
    form = {"chosen_kind": kind, "chosen_record_kind": record_kind}
    problem = _problem(kind, record_kind, chosen, mapping)
    if problem:
        return _page(request, user, settings, status_code=400, error=problem, **form)
    uploads = settings.workspace / UPLOADS
    uploads.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=uploads))
    try:
        paths = [_save(f, folder / "files", "upload") for f in chosen]
        ctx = context_for(
            settings,
            record_kind=record_kind if kind in MAPPED else None,
            mapping=_save(mapping, folder / "mapping", "mapping.toml") if mapping else None,
        )
        results, error, busy = _run_import(settings, kind, paths, ctx)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if results:
        record_imports(db, actor=f"web:{user.email}", kind=kind, results=results)
        db.commit()
    if error is None:
        return _page(request, user, settings, results=results, **form)
    # The message names the upload as the person knows it, not its temporary copy.
    error = error.replace(f"{folder / 'files'}/", "").replace(f"{folder / 'mapping'}/", "")
    if busy:
        error = f"Workspace busy, try again in a moment: {error}"
    page = _page(
        request,
        user,
        settings,
        status_code=503 if busy else 400,
        read_log=not busy,
        results=results,
        error=error,
        **form,
    )
    if busy:
        page.headers["Retry-After"] = "5"
    return page


def _csv(name: str, header: list[str], rows: list[dict[str, Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if row[k] is None else row[k] for k in header])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/imports.csv")
def imports_csv(
    user: Reader,
    settings: SettingsDep,
    sort: SortQuery = ImportSort.id,
    dir: DirQuery = SortDir.desc,
) -> Response:
    """The whole import log, in the page's order."""
    with read_connection(settings) as con:
        total, _ = import_page(con, page=1, per_page=1)
        _, rows = import_page(con, page=1, per_page=max(total, 1), sort=sort, direction=dir)
    return _csv("imports.csv", [name for name, _ in IMPORTS.columns], rows)


@router.get("/quarantine.csv")
def quarantine_csv(user: Reader, settings: SettingsDep, import_id: ImportQuery = None) -> Response:
    """Every quarantined row (of one import, or all), to fix and import again."""
    with read_connection(settings) as con:
        total, _ = quarantine_page(con, import_id=import_id, page=1, per_page=1)
        _, rows = quarantine_page(con, import_id=import_id, page=1, per_page=max(total, 1))
    header = [name for name, _ in QUARANTINE.columns]
    filename = f"quarantine_{import_id}.csv" if import_id else "quarantine.csv"
    return _csv(filename, header, rows)
