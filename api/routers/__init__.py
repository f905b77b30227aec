"""The HTTP routers, one per concern, each thin over graph/: sparql (the protocol and query page), resources
(dereferencing, pages, dataset metadata), entities (JSON API), analysis, explore, operations (health,
metrics). None maps the store's errors itself: api.app registers one exception-handler table (api/web/errors.py)."""
