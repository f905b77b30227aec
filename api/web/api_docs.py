"""`/docs`: the OpenAPI description in Swagger UI, served from this server alone, inside the site's frame.

FastAPI's own `/docs` and `/redoc` load their scripts, styles and fonts from CDNs and start with an
inline script: both break the rule that no page loads anything from another host, and the
Content-Security-Policy (api/web/hardening.py). Here Swagger UI comes from the `swagger-ui-bundle-v2`
package (its files under `/docs/assets/`), the page (api/templates/api_docs.html) has the site menu and
footer of every page in the page language, and `/static/api-docs.js` starts Swagger UI.

Accessibility (tests/browser/test_accessibility.py): Swagger UI's own colours fail WCAG 2.1 AA contrast and
its deep links put a link inside each operation's toggle button (nested-interactive). `/static/api-docs.css`
sets colours of at least 4.5:1, and deep linking is off (api-docs.js), so the toggle holds no link.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.web.i18n import page_language, remember_language
from api.web.site import site  # noqa: F401 - registers site(), which the frame (layout.html) uses
from api.web.templates import templates


def swagger_ui_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def mount_api_docs(app, title: str, openapi_url: str = "/openapi.json") -> None:
    """Serve Swagger UI at /docs for `app` (created with docs_url=None and redoc_url=None)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    def docs(request: Request) -> HTMLResponse:
        lang = page_language(request, request.app.state.settings.lang)
        response = templates.TemplateResponse(request, "api_docs.html", {
            "lang": lang, "openapi": openapi_url, "api_title": title})
        return remember_language(request, response)

    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_folder()), name="api-docs-assets")
