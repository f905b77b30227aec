"""The HTTP routers, one per concern, each thin over graph/: sparql (the protocol and query page), resources
(dereferencing, resource pages, dataset metadata), lists (list pages with filters and their spreadsheets, the
SDG page, downloads), profiles (printable partner profiles), about (the accessibility statement, Leichte
Sprache), entities (JSON API), analysis, explore, operations (health, metrics). None maps the store's errors
itself: api.app registers one exception-handler table (api/web/errors.py)."""
