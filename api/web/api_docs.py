"""`/docs`: the OpenAPI description in Swagger UI, served from this server alone.

FastAPI's own `/docs` and `/redoc` load their scripts, styles and fonts from CDNs and start with an
inline script: both break the rule that no page loads anything from another host, and the
Content-Security-Policy (api/web/hardening.py). Here Swagger UI comes from the `swagger-ui-bundle-v2`
package (its files under `/docs/assets/`), and the page starts it from `/static/api-docs.js`.
"""
from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def swagger_ui_folder() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


def mount_api_docs(app, title: str, openapi_url: str = "/openapi.json") -> None:
    """Serve Swagger UI at /docs for `app` (created with docs_url=None and redoc_url=None)."""
    import html

    router = APIRouter(include_in_schema=False)

    @router.get("/docs", response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return HTMLResponse(PAGE.format(title=html.escape(title), openapi=html.escape(openapi_url)))

    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_folder()), name="api-docs-assets")
