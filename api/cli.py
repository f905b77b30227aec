"""`kg serve`: the one command that needs the web application, so it lives here, beside it.

The rest of `kg` is `graph.cli`; this module adds `serve` to the same command and is the console
script's entry point (pyproject.toml), so the layers stay one way: api → graph, never back.
"""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated, Optional

import typer

from graph.cli import ConfigOption, DataOption, _settings, app, err, out
from graph.load.files import DataFileError
from graph.assets import AssetsMissing, require_assets
from graph.store import EndpointUnavailable, StoreError


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: Annotated[Optional[Path], typer.Option(help="On-disk store folder (reused when the inputs are unchanged).")] = None,
    config: ConfigOption = None,
    data: DataOption = None,
    dist: Annotated[Path, typer.Option(help="Folder of the dumps offered for download.")] = Path("dist"),
    endpoint: Annotated[Optional[str], typer.Option(help="Use this external SPARQL endpoint (loaded by kg publish) instead of the embedded store.")] = None,
    web_workers: Annotated[Optional[int], typer.Option(help="Web processes sharing the port (setting web_workers; default 1), each with the store in memory, or a reused or large one as one read-only snapshot.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Serve the store at --store as it is, filled before by kg build --store DIR from the same data: replicas may share it.")] = False,
) -> None:
    """Serve the knowledge graph over HTTP (landing page, downloads, SPARQL)."""
    # No cyclic garbage collection during the start: its full collections scan every object the imports and the
    # load have made, again and again (a sixth of the application's import). api/server.py resumes it.
    gc.disable()
    from graph.build import open_knowledge_store, open_store_in_background
    from graph.store.workers import start_worker_server

    if endpoint and (store or data):
        err.print("--store and --data have no effect with --endpoint: the data comes from the endpoint "
                  "(load it there with kg publish)")
        raise typer.Exit(2)
    settings = _settings(config, extra_data=data, store=store, endpoint=endpoint, web_workers=web_workers)
    if read_only and (settings.store is None or settings.endpoint):
        err.print("--read-only serves an on-disk store filled before: give its folder with --store DIR "
                  "(fill it with kg build --store DIR); it has no effect with --endpoint")
        raise typer.Exit(2)
    try:
        if settings.web_workers > 1:
            require_assets()  # before loading: each web process would refuse to start without them
            if settings.editing:  # a publication a crash cut off is completed or undone before the data is loaded
                from graph.workspace.publication import recover
                from graph.workspace.state import open_state
                recover(settings, open_state(settings), dist.resolve())
            from api.server import serve_processes

            def opened():  # while the web processes import the application; its on-disk copy fills beside serving
                kstore = open_knowledge_store(settings, read_only=read_only, serving=True, worker_beside=False)
                out.print(f"hki serving at http://{host}:{port}/", highlight=False)
                return kstore

            serve_processes(opened, settings, dist, host, port, announce=lambda text: out.print(text, highlight=False))
            return
        # The query workers' fork server starts, and the embedded store fills (Oxigraph's loader, in Rust, outside the
        # GIL), while the web application's modules are imported below: on two cores none of the three waits for the
        # others. In editing mode the store is opened later, after an interrupted publication is completed or undone.
        start_worker_server()
        loading = None
        if not read_only and not settings.endpoint and not settings.editing:
            loading = open_store_in_background(settings)
        from api.app import create_live_site

        # switched to the new data after each publication of the editing workspace, without downtime (api/app.py)
        application = create_live_site(settings, dist_dir=dist,
                                       kstore=open_knowledge_store(settings, read_only=True) if read_only else None,
                                       owns_store=True, loading=loading)
    except EndpointUnavailable as exc:
        err.print(f"[red]endpoint unavailable:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except StoreError as exc:  # a clear line, not a stack trace
        err.print(f"[red]store error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except AssetsMissing as exc:
        err.print(f"[red]{exc}[/red]", highlight=False)
        raise typer.Exit(1) from None
    from api.server import serve_application

    out.print(f"hki serving at http://{host}:{port}/", highlight=False)
    # The lazy indexes of the pages are built once the server listens (api/server.py), not before.
    serve_application(application, settings, host, port)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
