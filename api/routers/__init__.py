"""The HTTP routers, one per concern, each thin over graph/: sparql (the protocol and query page), resources
(dereferencing, pages, dataset metadata), entities (JSON API), analysis, explore, operations (health,
metrics). None maps errors itself: api.app registers one exception-handler table."""
