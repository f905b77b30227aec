"""`kg serve`: the one command that needs the web application, so it lives here, beside it.

The rest of `kg` is `graph.cli`; this module adds `serve` to the same command and is the console
script's entry point (pyproject.toml), so the layers stay one way: api → graph, never back.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Optional

import typer

from api.web.hardening import limited_http_protocol
from api.routers.operations import configure_access_log, limit_malloc_arenas, warm_up
from graph.cli import ConfigOption, DataOption, _settings, app, err, out
from graph.load.files import DataFileError
from graph.assets import AssetsMissing
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
) -> None:
    """Serve the knowledge graph over HTTP (landing page, downloads, SPARQL)."""
    import uvicorn

    from api.app import create_app

    if endpoint and (store or data):
        err.print("--store and --data have no effect with --endpoint: the data comes from the endpoint "
                  "(load it there with kg publish)")
        raise typer.Exit(2)
    settings = _settings(config, extra_data=data, store=store, endpoint=endpoint)
    try:
        application = create_app(settings, dist_dir=dist)
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
    limit_malloc_arenas()  # keeps the server's memory flat under load (api/routers/operations.py)
    asyncio.run(warm_up(application))  # build the lazy indexes now, not while the first visitors wait
    configure_access_log()  # one JSON line per request on standard output (api/routers/operations.py)
    out.print(f"hki serving at http://{host}:{port}/", highlight=False)
    # Limits on request heads (api/web/hardening.py); X-Forwarded-For only from the configured proxies (uvicorn
    # would believe any loopback client, so anyone there could pick the address the worker pool shares by).
    protocol = limited_http_protocol(settings.request_header_timeout, report=application.state.operations.refused)
    uvicorn.run(application, host=host, port=port, log_level="info", access_log=False, http=protocol,
                proxy_headers=bool(settings.trusted_proxies), forwarded_allow_ips=list(settings.trusted_proxies))



def main() -> None:
    app()


if __name__ == "__main__":
    main()
