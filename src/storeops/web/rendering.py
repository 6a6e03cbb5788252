"""Templates and the page shell's context (store, user, navigation, CSRF token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from storeops.core.settings import Settings
from storeops.web import formatting
from storeops.web.navigation import navigation

TEMPLATES = Path(__file__).parent / "templates"


def make_templates(settings: Settings) -> Jinja2Templates:
    templates = Jinja2Templates(directory=TEMPLATES)
    formatting.install(templates.env, settings)
    return templates


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page in the shell of base.html, for the signed-in user if there is one."""
    state = request.app.state
    login = getattr(request.state, "login", None)
    user = login.user if login else None
    shell = {
        "store": state.settings.store,
        "user": user,
        "csrf_token": login.csrf_token if login else "",
        "nav": navigation(user.role, state.page_paths) if user else [],
        "path": request.url.path,
    }
    return state.templates.TemplateResponse(
        request, template, shell | (context or {}), status_code=status_code, headers=headers
    )
