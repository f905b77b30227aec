"""The app with the workspace's accounts routes, for tests, until api/app.py mounts them itself when editing is on.

`mount_accounts(app, settings)` adds what api/app.py will add (`install_access_pages`, `AccountsRouter`); once
api/app.py does, it adds nothing, so the tests keep working unchanged.
"""
from __future__ import annotations

from fastapi import FastAPI

from api.routers.accounts import AccountsRouter
from api.web import sessions
from graph.config import Settings


def accounts_router(app: FastAPI) -> AccountsRouter | None:
    """The AccountsRouter included in `app` (FastAPI keeps an included router as one entry of app.routes)."""
    for route in app.routes:
        router = getattr(route, "original_router", None)
        if isinstance(router, AccountsRouter):
            return router
    return None


def mount_accounts(app: FastAPI, settings: Settings) -> FastAPI:
    if accounts_router(app) is None:
        sessions.install_access_pages(app)
        app.include_router(AccountsRouter(settings))
    return app
