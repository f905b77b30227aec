"""hki's knowledge-graph core: curated data, loading, validation, the store, build, analysis, CLI."""

__version__ = "0.1.0"
