"""The `kg` command: validate, build, query and serve the knowledge graph."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from graph.config import ConfigError, Settings, load_settings
from graph.loading import DataFileError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="hki: the knowledge graph of a city's international relations.")
out = Console()
err = Console(stderr=True)

ConfigOption = Annotated[Optional[Path], typer.Option("--config", help="Settings file (default: ./hki.toml if present).")]
DataOption = Annotated[Optional[list[Path]], typer.Option("--data", help="Extra data file loaded beside the configured ones (repeatable).")]


def _settings(config: Path | None, **overrides: object) -> Settings:
    try:
        settings = load_settings(config)
        extra = overrides.pop("extra_data", None)
        if extra:
            overrides["extra_data"] = settings.extra_data + tuple(Path(p).resolve() for p in extra)  # type: ignore[arg-type]
        settings = settings.with_overrides(**overrides)
        settings.data_files()
        return settings
    except ConfigError as exc:
        err.print(f"[red]configuration error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from None


def _print_violations(violations: list) -> None:
    from graph.validation import compact_iri

    table = Table(title=f"{len(violations)} problem(s) with the data", show_lines=False)
    for column in ("resource", "property", "value", "what is wrong"):
        table.add_column(column, overflow="fold")
    for v in violations:
        resource = compact_iri(v.focus)
        if v.focus_label and v.focus_label != resource:
            resource = f"{v.focus_label}\n{resource}"
        table.add_row(resource, compact_iri(v.path) if v.path else "", v.value or "", v.message)
    err.print(table, highlight=False)


@app.command()
def validate(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Data files to check (default: the data folder).")] = None,
    config: ConfigOption = None,
    data: DataOption = None,
    lang: Annotated[str, typer.Option(help="Language of the messages: de or en.")] = "en",
) -> None:
    """Check data files: syntax (with file and line) and the SHACL shapes. Exit 0 if valid, 1 if not."""
    from graph.build import validate_inputs

    settings = _settings(config, extra_data=data)
    try:
        report = validate_inputs(settings, paths or (), lang=lang)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if report.violations:
        _print_violations(report.violations)
    if not report.conforms:
        raise typer.Exit(1)
    count = sum(len(q) for q in report.quads_by_graph.values())
    out.print(f"[green]valid[/green]: {count} statements conform to the hki shapes")


@app.command()
def build(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the dumps.")] = Path("dist"),
    config: ConfigOption = None,
    data: DataOption = None,
) -> None:
    """Validate, then write Turtle, N-Triples (gzip), JSON-LD, RDF/XML and TriG dumps with checksums and VoID/DCAT."""
    from graph.build import build as run_build

    settings = _settings(config, extra_data=data)
    try:
        report, distributions = run_build(settings, out_dir)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}\nNothing was written; {out_dir} is unchanged.", highlight=False)
        raise typer.Exit(1) from None
    if not report.conforms:
        _print_violations(report.violations)
        err.print(f"Nothing was written; {out_dir} is unchanged.")
        raise typer.Exit(1)
    table = Table(title=f"dumps in {out_dir}")
    for column in ("file", "bytes", "sha256"):
        table.add_column(column)
    for d in distributions:
        table.add_row(d.file_name, f"{d.byte_size:,}", d.sha256[:16] + "…")
    out.print(table)


@app.command()
def query(
    sparql: Annotated[Optional[str], typer.Argument(help="The SPARQL query text.")] = None,
    file: Annotated[Optional[Path], typer.Option("-f", "--file", help="Read the query from a file.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, tsv, json, xml (SELECT/ASK); turtle, ntriples, jsonld, rdfxml (CONSTRUCT/DESCRIBE).")] = "table",
    timeout: Annotated[Optional[float], typer.Option(help="Time limit in seconds.")] = None,
    config: ConfigOption = None,
    data: DataOption = None,
    store: Annotated[Optional[Path], typer.Option(help="On-disk store folder.")] = None,
) -> None:
    """Run a SPARQL query against the knowledge graph."""
    from graph.store import QueryError, QueryRequest, QueryTimeout, open_store

    if (sparql is None) == (file is None):
        err.print("give the query either as an argument or with -f FILE (exactly one)")
        raise typer.Exit(2)
    text = sparql if sparql is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    solution_types = {"table": "application/sparql-results+json", "json": "application/sparql-results+json",
                      "xml": "application/sparql-results+xml", "csv": "text/csv", "tsv": "text/tab-separated-values"}
    graph_types = {"turtle": "text/turtle", "ntriples": "application/n-triples",
                   "jsonld": "application/ld+json", "rdfxml": "application/rdf+xml", "table": "text/turtle"}
    if fmt not in solution_types and fmt not in graph_types:
        err.print(f"--format {fmt!r} is not known; valid: {', '.join(sorted(set(solution_types) | set(graph_types)))}")
        raise typer.Exit(2)
    settings = _settings(config, extra_data=data, store=store, query_timeout=timeout)
    try:
        kstore = open_store(settings)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    try:
        outcome = kstore.run(QueryRequest(
            text, solution_types.get(fmt, "application/sparql-results+json"), graph_types.get(fmt, "text/turtle"),
            timeout=settings.query_timeout, max_rows=settings.max_rows))
    except QueryTimeout as exc:
        err.print(f"[red]timeout:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except QueryError as exc:
        err.print(f"[red]query error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        kstore.close()
    if fmt == "table" and outcome.kind in ("solutions", "boolean"):
        doc = json.loads(outcome.body)
        if outcome.kind == "boolean":
            out.print("yes" if doc["boolean"] else "no")
        else:
            table = Table(show_lines=False)
            for name in doc["head"]["vars"]:
                table.add_column(name, overflow="fold")
            for row in doc["results"]["bindings"]:
                table.add_row(*[row.get(n, {}).get("value", "") for n in doc["head"]["vars"]])
            out.print(table)
            out.print(f"{outcome.rows} row(s) in {outcome.seconds * 1000:.1f} ms", style="dim")
    else:
        sys.stdout.buffer.write(outcome.body)
        sys.stdout.flush()
    if outcome.truncated:
        err.print(f"[yellow]result cut at {settings.max_rows} rows[/yellow] (max_rows)")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    store: Annotated[Optional[Path], typer.Option(help="On-disk store folder (reused when the inputs are unchanged).")] = None,
    config: ConfigOption = None,
    data: DataOption = None,
    dist: Annotated[Path, typer.Option(help="Folder of the dumps offered for download.")] = Path("dist"),
) -> None:
    """Serve the knowledge graph over HTTP (landing page, downloads, SPARQL)."""
    import uvicorn

    from api.app import create_app

    settings = _settings(config, extra_data=data, store=store)
    try:
        application = create_app(settings, dist_dir=dist)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except Exception as exc:  # StoreError and friends: a clear line, not a stack trace
        from graph.store import StoreError
        if isinstance(exc, StoreError):
            err.print(f"[red]store error:[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None
        raise
    out.print(f"hki serving at http://{host}:{port}/", highlight=False)
    uvicorn.run(application, host=host, port=port, log_level="info")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
