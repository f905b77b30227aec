"""Imported once by the fork server that query workers are forked from (graph.store.workers._worker_context).

Whatever is loaded and warmed here is inherited by every worker: the store module, the seccomp binding
(graph.store.sandbox) and the SPARQL parser after its first, slow use (about 0.1 s of grammar set-up). A worker
replaced after a time-out therefore starts in tens of milliseconds, not a quarter of a second.
"""
from __future__ import annotations

import pyseccomp  # noqa: F401 - loaded here so that each worker does not load libseccomp again

import graph.store.workers  # noqa: F401 - the worker main and everything it imports
from graph.store.query_reader import warm_up

warm_up()
