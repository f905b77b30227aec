"""The one Jinja2 environment of the pages (autoescape on for .html): every router renders through it."""
from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

API_DIR = Path(__file__).resolve().parents[1]
TEMPLATES_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"
templates = Jinja2Templates(directory=TEMPLATES_DIR)
