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
from graph.load.files import DataFileError

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


def _open_or_exit(settings: Settings):
    """The store (embedded or external) for a command, or one clear line and exit 1."""
    from graph.build import open_knowledge_store
    from graph.store.remote import EndpointUnavailable
    from graph.store import StoreError

    try:
        return open_knowledge_store(settings)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}", highlight=False)
    except EndpointUnavailable as exc:
        err.print(f"[red]endpoint unavailable:[/red] {exc}", highlight=False)
    except StoreError as exc:
        err.print(f"[red]store error:[/red] {exc}", highlight=False)
    raise typer.Exit(1)


def _print_violations(violations: list) -> None:
    from graph.load.validation import compact_iri

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
    count = sum(len(q) for name, q in report.quads_by_graph.items() if name != "context")
    out.print(f"[green]valid[/green]: {count} statements conform to the hki shapes")
    if report.quads_by_graph.get("context"):  # graph.context: third-party data, checked by its importer, not the shapes
        out.print(f"context: {len(report.quads_by_graph['context'])} statements from Wikidata, read but not checked "
                  "against the shapes (they are not the city's data)")


@app.command()
def build(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the dumps.")] = Path("dist"),
    config: ConfigOption = None,
    data: DataOption = None,
    store: Annotated[Optional[Path], typer.Option(help="Also leave the filled store in this folder, for servers that serve it read-only (kg serve --store DIR --read-only).")] = None,
) -> None:
    """Validate, then write Turtle, N-Triples (gzip), JSON-LD, RDF/XML and TriG dumps with checksums and VoID/DCAT."""
    from graph.publish.dumps import BuildError
    from graph.build import build as run_build
    from graph.store import StoreError

    settings = _settings(config, extra_data=data)
    try:
        report, distributions = run_build(settings, out_dir, store)
    except DataFileError as exc:
        err.print(f"[red]cannot read the data:[/red] {exc}\nNothing was written; {out_dir} is unchanged.", highlight=False)
        raise typer.Exit(1) from None
    except BuildError as exc:
        err.print(f"[red]cannot write the dumps:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except StoreError as exc:
        err.print(f"[red]store error:[/red] {exc}", highlight=False)
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
    out.print(f"catalogue: {out_dir}/catalog.rdf and catalog.ttl (DCAT-AP.de 2.0), "
              f"catalog-dcat-ap-de-3.0.rdf/.ttl (DCAT-AP.de 3.0)", highlight=False)
    if not settings.contributor_id:
        out.print("[yellow]GovData cannot harvest this catalogue yet:[/yellow] it has no dcatde:contributorID. "
                  "GovData issues the ID to the data provider; put it into hki.toml as "
                  "contributor_id = \"http://dcat-ap.de/def/contributors/…\" (or HKI_CONTRIBUTOR_ID) and build again.",
                  highlight=False)


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
    from graph.store import EndpointUnavailable, QueryError, QueryRequest, QueryTimeout

    if (sparql is None) == (file is None):
        err.print("give the query either as an argument or with -f FILE (exactly one)")
        raise typer.Exit(2)
    try:
        text = sparql if sparql is not None else file.read_text(encoding="utf-8")  # type: ignore[union-attr]
    except (OSError, UnicodeDecodeError) as exc:
        err.print(f"[red]cannot read the query file {file}:[/red] {getattr(exc, 'strerror', None) or exc}", highlight=False)
        raise typer.Exit(2) from None
    from graph.store.formats import GRAPH_MEDIA_TYPES, RESULT_MEDIA_TYPES, named, names_for

    # --format takes the names format= takes at /sparql (graph/store/formats.py: json is SPARQL JSON for SELECT/ASK
    # and JSON-LD for a graph), and "table" for the terminal; the first format of each kind is the default.
    chosen = (*RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES) if fmt == "table" else named(fmt)
    solution_type = next((m for m in chosen if m in RESULT_MEDIA_TYPES), None)
    graph_type = next((m for m in chosen if m in GRAPH_MEDIA_TYPES), None)
    if solution_type is None and graph_type is None:
        valid = ["table", *names_for([*RESULT_MEDIA_TYPES, *GRAPH_MEDIA_TYPES])]
        err.print(f"--format {fmt!r} is not known; valid: {', '.join(valid)}")
        raise typer.Exit(2)
    settings = _settings(config, extra_data=data, store=store, query_timeout=timeout)
    kstore = _open_or_exit(settings)
    try:
        outcome = kstore.run(QueryRequest(
            text, solution_type or next(iter(RESULT_MEDIA_TYPES)), graph_type or next(iter(GRAPH_MEDIA_TYPES)),
            timeout=settings.query_timeout, max_rows=settings.max_rows))
    except QueryTimeout as exc:
        err.print(f"[red]timeout:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except QueryError as exc:
        err.print(f"[red]query error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except EndpointUnavailable as exc:
        err.print(f"[red]endpoint unavailable:[/red] {exc}", highlight=False)
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
def analyze(
    question: Annotated[str, typer.Argument(help="hubs, brokers, influence, communities, fragile, core, path A B, sdg-coverage, co-occurrence, gaps; "
                                                 "the world network (needs the context): candidates, network-stats, world-position, partner-links, "
                                                 "world-communities, twinning-distances; or export.")],
    names: Annotated[Optional[list[str]], typer.Argument(help="For 'path': the two resources, as IRIs or labels.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json; for export: graphml, gexf or csv.")] = "table",
    network: Annotated[str, typer.Option(help="full (every typed resource) or partners (cities linked by partnerships).")] = "full",
    top: Annotated[Optional[int], typer.Option(help="Show only the first N rows (for path: N connections).")] = None,
    seed: Annotated[int, typer.Option(help="Random seed for communities and sampled brokerage.")] = 42,
    out_path: Annotated[Optional[Path], typer.Option("--out", help="For export: the file (graphml, gexf) or folder (csv).")] = None,
    config: ConfigOption = None,
    data: DataOption = None,
) -> None:
    """Network analysis: hubs, brokers, communities, fragile links, paths, SDG coverage and gaps."""
    from graph.analysis import AmbiguousName, NoConnection, UnknownResource, projections
    from graph.analysis.export import EXPORT_FORMATS, write_export
    from graph.analysis.report import QUESTIONS, WORLD_QUESTIONS, answer, to_csv, to_json, world_answer

    settings = _settings(config, extra_data=data)
    if question != "export" and fmt not in ("table", "csv", "json"):
        err.print(f"--format {fmt!r} is not known for {question!r}; valid: table, csv, json")
        raise typer.Exit(2)
    if question == "export" and (fmt not in EXPORT_FORMATS or out_path is None):
        err.print(f"export needs --format {' or '.join(EXPORT_FORMATS)} and --out PATH (got --format {fmt!r}, --out {out_path})")
        raise typer.Exit(2)
    if question != "export" and question not in QUESTIONS:
        err.print(f"unknown analysis {question!r}; valid: {', '.join(QUESTIONS)}, export")
        raise typer.Exit(2)
    kstore = _open_or_exit(settings)
    world = question in WORLD_QUESTIONS
    try:
        if world:  # the world questions read the context's twin-city network, not the projections
            from graph.analysis.world_network import read_world_network
            net = read_world_network(kstore)
        else:
            views = projections(kstore)
    finally:
        kstore.close()
    try:
        if world:
            result = world_answer(net, question, top=top, seed=seed)
        elif question == "export":
            graph = views.full if network == "full" else views.undirected(network)
            for path in write_export(graph, fmt, out_path):  # type: ignore[arg-type]
                out.print(f"wrote {path}", highlight=False)
            return
        else:
            result = answer(views, question, tuple(names or ()), top=top, network=network, seed=seed)
    except (ValueError, UnknownResource, AmbiguousName, NoConnection) as exc:
        err.print(f"[red]analysis error:[/red] {exc.args[0] if exc.args else exc}", highlight=False)
        raise typer.Exit(1) from None
    if fmt == "csv":
        sys.stdout.write(to_csv(result.rows))
    elif fmt == "json":
        sys.stdout.write(to_json(result) + "\n")
    else:
        table = Table(title=result.title)
        columns = list(dict.fromkeys(k for row in result.rows for k in row))
        for name in columns:
            table.add_column(name, overflow="fold")
        for row in result.rows:
            table.add_row(*[str(row.get(name, "")) for name in columns])
        out.print(table)
        for note in result.notes:
            out.print(note, highlight=False)


@app.command()
def viz(
    view: Annotated[str, typer.Argument(help="full (every statement, with directions), network (undirected), partners (cities linked by partnerships) or sdgs (goals and measures × SDGs).")] = "full",
    focus: Annotated[Optional[str], typer.Option(help="Only this entry's neighbourhood: an IRI or a German/English label.")] = None,
    depth: Annotated[int, typer.Option(help="With --focus: how many links away, 1 to 3.")] = 1,
    direction: Annotated[str, typer.Option(help="With --focus on the full view: both, out (what it links to) or in (what links to it).")] = "both",
    out_path: Annotated[Optional[Path], typer.Option("--out", help="The HTML file to write (default: hki-VIEW.html).")] = None,
    title: Annotated[Optional[str], typer.Option(help="Heading of the page (default: says what is shown).")] = None,
    lang: Annotated[str, typer.Option(help="Language of labels and page texts: de or en.")] = "de",
    config: ConfigOption = None,
    data: DataOption = None,
) -> None:
    """Write one self-contained HTML file (pyvis, vis-network inlined, no external requests) of a view or neighbourhood."""
    from graph.analysis import AmbiguousName, UnknownResource, projections
    from graph.analysis.projection import node_label
    from graph.publish.viz import VizError, choose_graph, default_heading, write_viz

    if lang not in ("de", "en"):
        err.print(f"--lang {lang!r} is not known; valid: de, en")
        raise typer.Exit(2)
    settings = _settings(config, extra_data=data)
    kstore = _open_or_exit(settings)
    try:
        views = projections(kstore)
    finally:
        kstore.close()
    try:
        graph = choose_graph(views, view, focus, depth, direction)
    except (VizError, UnknownResource, AmbiguousName) as exc:
        err.print(f"[red]viz error:[/red] {exc.args[0] if exc.args else exc}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, VizError) else 1) from None
    focus_label = None
    if focus is not None:
        centre = next((n for n in graph if n == focus or focus in (node_label(graph, n, "de"), node_label(graph, n, "en"))), None)
        focus_label = node_label(graph, centre, lang) if centre is not None else focus
    target = out_path or Path(f"hki-{view}.html")
    write_viz(graph, target, title or default_heading(view, focus_label, lang), lang)
    out.print(f"wrote {target} ({graph.number_of_nodes()} entries, {graph.number_of_edges()} links)", highlight=False)


@app.command()
def synth(
    cities: Annotated[int, typer.Option(help="Number of cities (about 110 statements each).")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives byte-identical output.")] = 0,
    out_file: Annotated[Optional[Path], typer.Option("--out", help="N-Triples file to write (default: standard output).")] = None,
    config: ConfigOption = None,
) -> None:
    """Generate a synthetic graph in hki's ontology (cities, partnerships, networks, goals, measures) as N-Triples."""
    import time

    from graph.publish.synthetic import write_synthetic_graph

    if cities < 2:
        err.print(f"--cities {cities}: give at least 2 (a graph of partnerships needs two cities)")
        raise typer.Exit(2)
    settings = _settings(config)
    started = time.perf_counter()
    if out_file is None:
        stats = write_synthetic_graph(sys.stdout, cities, seed, settings.base)
        sys.stdout.flush()
    else:
        stats = write_synthetic_graph(out_file, cities, seed, settings.base)
    err.print(f"{stats.triples:,} statements: {stats.cities:,} cities, {stats.partnerships:,} partnerships, "
              f"{stats.organisations:,} organisations, {stats.memberships:,} memberships, {stats.goals:,} goals, "
              f"{stats.measures:,} measures in {time.perf_counter() - started:.1f} s"
              + (f" → {out_file}" if out_file else ""), highlight=False)


@app.command()
def publish(
    to: Annotated[str, typer.Option("--to", help="The store's SPARQL query URL, e.g. http://127.0.0.1:8890/sparql.")],
    graph_store: Annotated[Optional[str], typer.Option(help="Its Graph Store Protocol URL (default for Virtuoso: /sparql-graph-crud-auth beside /sparql).")] = None,
    user: Annotated[Optional[str], typer.Option(help="User allowed to write (Virtuoso: dba).")] = None,
    password: Annotated[Optional[str], typer.Option(help="Password (or set HKI_PUBLISH_PASSWORD).", envvar="HKI_PUBLISH_PASSWORD")] = None,
    dist: Annotated[Path, typer.Option(help="Folder of the dumps; built first when it has no hki.trig.")] = Path("dist"),
    config: ConfigOption = None,
    data: DataOption = None,
) -> None:
    """Load the built dumps into an external triple store, graph by graph, and check the triple counts."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from graph.build import build as run_build
    from graph.publish.upload import PublishError
    from graph.publish.upload import publish as run_publish
    from graph.store import EndpointUnavailable

    settings = _settings(config, extra_data=data)
    dump = dist / "hki.trig"
    if not dump.is_file():
        err.print(f"{dump} does not exist: building the dumps first", highlight=False)
        try:
            report, _ = run_build(settings, dist)
        except DataFileError as exc:
            err.print(f"[red]syntax error[/red] {exc}", highlight=False)
            raise typer.Exit(1) from None
        if not report.conforms:
            _print_violations(report.violations)
            raise typer.Exit(1)
    progress = Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("triples"), TimeElapsedColumn(), console=err)
    tasks: dict[str, int] = {}

    def plan(counts: dict[str, int]) -> None:
        for name, count in counts.items():
            tasks[name] = progress.add_task(name, total=max(count, 1), completed=0 if count else 1)

    try:
        with progress:
            result = run_publish(settings, dump, to, graph_store=graph_store, user=user, password=password,
                                 on_plan=plan, on_batch=lambda name, n: progress.advance(tasks[name], n))
    except (PublishError, EndpointUnavailable) as exc:
        err.print(f"[red]publish failed:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    table = Table(title=f"published {dump} to {result.graph_store} in {result.seconds:.1f} s")
    for column in ("graph", "in the dump", "in the store", ""):
        table.add_column(column)
    for count in result.counts:
        table.add_row(count.iri, f"{count.local:,}", "?" if count.remote is None else f"{count.remote:,}",
                      "[green]ok[/green]" if count.matches else "[red]differs[/red]")
    out.print(table)
    if not result.ok:
        err.print("[red]the store does not hold what was sent:[/red] another writer may have changed those graphs "
                  "meanwhile, or the store dropped statements it could not take; run kg publish again and read "
                  "the store's log", highlight=False)
        raise typer.Exit(1)


@app.command("import")
def import_(
    files: Annotated[list[Path], typer.Argument(help="CSV or XLSX files: partnerships.csv, memberships.csv, measures.csv, "
                                                     "or a workbook with sheets of those names.")],
    table: Annotated[Optional[str], typer.Option(help="Which table a CSV file is, when its name does not say "
                                                      "(partnerships, memberships, measures).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only check; write nothing.")] = False,
    config: ConfigOption = None,
    lang: Annotated[str, typer.Option(help="Language of the messages: de or en.")] = "en",
) -> None:
    """Read spreadsheets, check every row (SHACL) and write them into the data folder — all, or nothing."""
    from graph.load.spreadsheets import import_tables

    settings = _settings(config)
    report = import_tables(settings, files, table_name=table, dry_run=dry_run, lang=lang)
    if report.errors:
        problems = Table(title=f"{len(report.errors)} problem(s): nothing was written", show_lines=False)
        for column in ("file", "row", "column", "value", "what is valid"):
            problems.add_column(column, overflow="fold")
        for e in report.errors:
            problems.add_row(e.source, str(e.row or ""), e.column or "", e.value, e.message)
        err.print(problems, highlight=False)
        raise typer.Exit(1)
    if dry_run:
        out.print(f"[green]valid[/green]: {report.rows} row(s); nothing written (--dry-run)")
        return
    for path in report.written:
        out.print(f"wrote {path}", highlight=False)
    out.print(f"[green]{report.rows} row(s) imported[/green]; run `kg build` to publish them")


@app.command("export")
def export(
    fmt: Annotated[str, typer.Argument(help="csv (one file per table) or xlsx (one workbook, a sheet per table).")] = "csv",
    out_path: Annotated[Path, typer.Option("--out", help="Folder for the CSV files, or the .xlsx file.")] = Path("tables"),
    table: Annotated[Optional[list[str]], typer.Option(help="Only this table (repeatable).")] = None,
    config: ConfigOption = None,
) -> None:
    """Write the partnerships, memberships and measures as spreadsheets that `kg import` reads back unchanged."""
    from graph.build import open_store
    from graph.load.spreadsheets import TABLES, export_tables, write_csv, write_xlsx

    if fmt not in ("csv", "xlsx"):
        err.print(f"format {fmt!r} is not known; valid: csv, xlsx")
        raise typer.Exit(2)
    unknown = [t for t in table or [] if t not in TABLES]
    if unknown:
        err.print(f"no table {unknown[0]!r}; valid: {', '.join(TABLES)}")
        raise typer.Exit(2)
    settings = _settings(config)
    kstore = open_store(settings)
    try:
        exported = export_tables(kstore, table or ())
    finally:
        kstore.close()
    for t, result in exported:
        for statement in result.left_out:
            err.print(f"[yellow]not in any column of {t.name}, left out:[/yellow] {statement}", highlight=False)
    if fmt == "xlsx":
        target = out_path if out_path.suffix == ".xlsx" else out_path / "hki-tables.xlsx"
        write_xlsx(target, [(t, result.rows) for t, result in exported])
        out.print(f"wrote {target}", highlight=False)
        return
    for t, result in exported:
        write_csv(out_path / f"{t.name}.csv", t, result.rows)
        out.print(f"wrote {out_path / (t.name + '.csv')} ({len(result.rows)} rows)", highlight=False)


# ---------------------------------------------------------------- kg context: the Wikidata context layer (graph.context)
context_app = typer.Typer(no_args_is_help=True, help="The context layer: the world's twin-city network from Wikidata, "
                                                     "kept apart from the city's own data (graph <base>graph/context).")
app.add_typer(context_app, name="context")


@context_app.command("import")
def context_import(
    files: Annotated[list[Path], typer.Argument(help="WDQS answers (.json SPARQL results, .csv) or a relations .tsv (with --names).")],
    names: Annotated[Optional[Path], typer.Option(help="names.tsv (QID<TAB>label) for a relations .tsv.")] = None,
    retrieved: Annotated[Optional[str], typer.Option(help="When the data was retrieved: YYYY-MM-DD or YYYY-MM (e.g. 2016-09).")] = None,
    source: Annotated[Optional[str], typer.Option(help="Where it came from (http(s) address), e.g. https://github.com/L3viathan/sister-cities.")] = None,
    context_dir: Annotated[Optional[Path], typer.Option(help="The folder to write into (default: the context_dir setting).")] = None,
    config: ConfigOption = None,
) -> None:
    """Read twin-city answers and write them into the context folder as sorted N-Triples: all files, or none."""
    from graph.context.importer import ContextFileError, import_files

    settings = _settings(config, context_dir=context_dir.resolve() if context_dir else None)
    if not retrieved:
        err.print("give --retrieved YYYY-MM-DD (or YYYY-MM): every import records when its data was retrieved "
                  "(the shared extract: --retrieved 2016-09 --source https://github.com/L3viathan/sister-cities)")
        raise typer.Exit(2)
    try:
        written = import_files(files, names, settings.context_folder(), retrieved=retrieved, source=source,
                               base=settings.base)
    except ContextFileError as exc:
        err.print(f"[red]cannot import:[/red] {exc}; nothing was written", highlight=False)
        raise typer.Exit(1) from None
    except (ValueError, OSError) as exc:
        err.print(f"[red]cannot import:[/red] {exc}; nothing was written", highlight=False)
        raise typer.Exit(2 if isinstance(exc, ValueError) else 1) from None
    for imp, path in written:
        out.print(f"wrote {path}: {len(imp.items):,} items, {len(imp.twinnings):,} twinning statements "
                  f"({imp.one_sided:,} one-sided, {imp.duplicates:,} duplicates dropped)", highlight=False)
    out.print("[green]imported[/green]; kg build and kg serve load it as the graph "
              f"{settings.base}graph/context")


@context_app.command("fetch")
def context_fetch(
    endpoint: Annotated[str, typer.Option(help="The SPARQL endpoint to ask.")] = "https://query.wikidata.org/sparql",
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the answer.")] = 300.0,
    max_mb: Annotated[int, typer.Option("--max-mb", help="Refuse an answer larger than this (MiB).")] = 512,
    context_dir: Annotated[Optional[Path], typer.Option(help="The folder to write into (default: the context_dir setting).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run the twin-city query (graph/context/query.rq) at the endpoint and import the answer (admin only)."""
    from graph.context.fetch import FetchError, fetch_context
    from graph.context.importer import ContextFileError

    settings = _settings(config, context_dir=context_dir.resolve() if context_dir else None)
    try:
        imp, path = fetch_context(endpoint, settings.context_folder(), base=settings.base, timeout=timeout,
                                  max_bytes=max_mb * 1024 * 1024)
    except FetchError as exc:
        err.print(f"[red]cannot fetch:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ContextFileError as exc:
        err.print(f"[red]the answer of {endpoint} cannot be imported:[/red] {exc.reason} "
                  f"({'result ' + str(exc.row) if exc.row else 'line ' + str(exc.line) if exc.line else 'whole answer'}"
                  f"{', ' + exc.field if exc.field else ''}); nothing was written", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"wrote {path}: {len(imp.items):,} items, {len(imp.twinnings):,} twinning statements from {endpoint}",
              highlight=False)


@context_app.command("report")
def context_report(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    lang: Annotated[str, typer.Option(help="Language of the questions: de or en.")] = "de",
    config: ConfigOption = None,
) -> None:
    """What Wikidata states that the city's data does not, and the reverse, as questions to check."""
    from graph.context.report import question, reconcile

    if fmt not in ("table", "json") or lang not in ("de", "en"):
        err.print("valid: --format table or json, --lang de or en")
        raise typer.Exit(2)
    settings = _settings(config)
    kstore = _open_or_exit(settings)
    try:
        report = reconcile(kstore)
    finally:
        kstore.close()
    if fmt == "json":
        sys.stdout.write(json.dumps(report.as_json(lang), ensure_ascii=False, indent=2) + "\n")
        return
    if not report.has_context:
        out.print(f"no context: {settings.context_folder()} holds no .nt files; run kg context import or kg context fetch",
                  highlight=False)
        return
    for source in report.sources:
        out.print(f"context: {source.label}", highlight=False)
    table = Table(title=f"{len(report.findings)} question(s) to check", show_lines=False)
    for column in ("kind", "question", "stated in Wikidata by"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        table.add_row(finding.kind, question(finding, lang), ", ".join(finding.stated_by))
    out.print(table, highlight=False)


@app.command("init")
def init(
    city: Annotated[str, typer.Option("--city", help="The city's Wikidata ID, e.g. Q3955 for Weimar.")],
    out_dir: Annotated[Path, typer.Option("--out", help="The new data folder (must not exist or be empty).")],
    base: Annotated[Optional[str], typer.Option(help="The city's own base IRI (default: https://example.org/<city>/, a placeholder to change).")] = None,
    country: Annotated[Optional[str], typer.Option(help="The city's country as the EU authority table's code (e.g. DEU), when the context does not say.")] = None,
    context: Annotated[Optional[Path], typer.Option("--context", help="A context folder of .nt files (default: the context_dir setting).")] = None,
    relations: Annotated[Optional[Path], typer.Option(help="Or a relations.tsv / WDQS answer to read the context from.")] = None,
    names: Annotated[Optional[Path], typer.Option(help="names.tsv for --relations.")] = None,
    retrieved: Annotated[Optional[str], typer.Option(help="With --relations: when it was retrieved (YYYY-MM-DD or YYYY-MM).")] = None,
    source: Annotated[Optional[str], typer.Option(help="With --relations: where it came from (http(s) address).")] = None,
    config: ConfigOption = None,
) -> None:
    """Start another city's data folder from the Wikidata context: the city, its twin cities, each twinning unverified."""
    from graph.context.importer import ContextFileError, read_context_file
    from graph.context.init import InitError, init_city

    try:
        if relations is not None:
            imports, files = [read_context_file(relations, names, retrieved=retrieved, source=source)], []
        else:
            folder = context.resolve() if context else _settings(config).context_folder()
            files = sorted(p for p in folder.glob("*.nt") if not p.name.startswith(".")) if folder.is_dir() else []
            imports = []
            if not files:
                err.print(f"no context in {folder}: run kg context import first, or give --context DIR or "
                          "--relations relations.tsv --names names.tsv")
                raise typer.Exit(2)
        result = init_city(city, out_dir, context_files=files, imports=imports, base=base, country=country)
    except (ContextFileError, InitError, ValueError) as exc:
        err.print(f"[red]cannot start the folder:[/red] {exc}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, (InitError, ValueError)) and not isinstance(exc, ContextFileError) else 1) from None
    out.print(f"wrote {result.folder}: {result.city.label('de')} ({city}) with {result.twins} twin cities from Wikidata, "
              "each marked unverified", highlight=False)
    if result.base_is_placeholder:
        out.print(f"[yellow]base = {result.base} is a placeholder:[/yellow] change it in {result.folder / 'hki.toml'} "
                  "to the IRI space the city publishes under (or run kg init again with --base)", highlight=False)
    out.print(f"next: cd {result.folder} && kg validate && kg build && kg serve", highlight=False)


# ---------------------------------------------------------------- kg users: the workspace's accounts (graph.workspace)
users_app = typer.Typer(no_args_is_help=True, help="The accounts of the editing workspace (setting editing = true): "
                                                   "roles viewer < editor < reviewer < admin.")
app.add_typer(users_app, name="users")


def _state_or_exit(config: Path | None):
    from graph.workspace.state import StateUnavailable, open_state

    settings = _settings(config)
    try:
        return settings, open_state(settings)
    except StateUnavailable as exc:
        err.print(f"[red]state database unavailable:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _read_password(prompt: str = "Password") -> str:
    """The password from standard input: asked twice (not shown) on a terminal, else its first line."""
    import getpass

    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(f"{prompt}: ")
        if first != getpass.getpass(f"{prompt} again: "):
            err.print("the two passwords differ; nothing was changed")
            raise typer.Exit(2)
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.rstrip("\r\n")


def _account_command(action):
    """Run an account change: an AccountError or an unavailable state database is one clear line (exit 2 or 1)."""
    from graph.workspace.accounts import AccountError
    from graph.workspace.state import StateUnavailable

    try:
        return action()
    except AccountError as exc:
        err.print(f"[red]refused:[/red] {exc}; nothing was changed", highlight=False)
        raise typer.Exit(2) from None
    except StateUnavailable as exc:
        err.print(f"[red]state database unavailable:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _editing_hint(settings: Settings) -> None:
    if not settings.editing:
        out.print("editing is off: set editing = true in hki.toml (or HKI_EDITING=true) and restart kg serve, so that "
                  "accounts can sign in at /login", highlight=False)


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="The username (letters a-z, digits, . _ @ -; stored in lower case).")],
    role: Annotated[str, typer.Option(help="viewer, editor, reviewer or admin.")],
    display_name: Annotated[str, typer.Option("--name", help="The name pages show (default: the username).")] = "",
    config: ConfigOption = None,
) -> None:
    """Add an account. The password is read from standard input (asked twice on a terminal); there is no default."""
    from graph.workspace import accounts

    settings, state = _state_or_exit(config)
    password = _read_password()
    account = _account_command(lambda: accounts.add_user(state, username, password, role, display_name, actor="kg"))
    out.print(f"added {account.username} ({account.role}) to {state.url.split('@')[-1]}", highlight=False)
    _editing_hint(settings)


@users_app.command("list")
def users_list(
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    config: ConfigOption = None,
) -> None:
    """The accounts: username, name, role, how they sign in, whether disabled."""
    from graph.workspace import accounts

    if fmt not in ("table", "json"):
        err.print("valid: --format table or json")
        raise typer.Exit(2)
    _, state = _state_or_exit(config)
    found = _account_command(lambda: accounts.list_users(state))
    if fmt == "json":
        sys.stdout.write(json.dumps([{"username": a.username, "display_name": a.display_name, "role": a.role,
                                      "disabled": a.disabled, "password": a.has_password,
                                      "single_sign_on": a.single_sign_on, "created": a.created_at.isoformat() + "Z"}
                                     for a in found], ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(found)} account(s)", show_lines=False)
    for column in ("username", "name", "role", "signs in with", "status", "created (UTC)"):
        table.add_column(column, overflow="fold")
    for a in found:
        methods = ", ".join(m for m, on in (("password", a.has_password), ("single sign-on", a.single_sign_on)) if on)
        table.add_row(a.username, a.display_name, a.role, methods, "disabled" if a.disabled else "active",
                      a.created_at.strftime("%Y-%m-%d %H:%M"))
    out.print(table, highlight=False)


def _change_account(config: Path | None, change, said: str) -> None:
    """Open the state database, make one account change (`change(accounts, state)` → the account) and say what
    happened (`said`, formatted with the account)."""
    from graph.workspace import accounts

    _, state = _state_or_exit(config)
    account = _account_command(lambda: change(accounts, state))
    out.print(said.format(account=account), highlight=False)


@users_app.command("set-role")
def users_set_role(
    username: Annotated[str, typer.Argument(help="The account.")],
    role: Annotated[str, typer.Argument(help="viewer, editor, reviewer or admin.")],
    config: ConfigOption = None,
) -> None:
    """Give an account another role; its sessions end (it signs in again)."""
    _change_account(config, lambda accounts, state: accounts.set_role(state, username, role, actor="kg"),
                    "{account.username} is now {account.role}; its sessions ended")


@users_app.command("disable")
def users_disable(
    username: Annotated[str, typer.Argument(help="The account.")],
    config: ConfigOption = None,
) -> None:
    """Disable an account: it cannot sign in, and its sessions end."""
    _change_account(config, lambda accounts, state: accounts.disable(state, username, actor="kg"),
                    "{account.username} is disabled; its sessions ended")


@users_app.command("enable")
def users_enable(
    username: Annotated[str, typer.Argument(help="The account.")],
    config: ConfigOption = None,
) -> None:
    """Let a disabled account sign in again."""
    _change_account(config, lambda accounts, state: accounts.enable(state, username, actor="kg"),
                    "{account.username} may sign in again")


@users_app.command("set-password")
def users_set_password(
    username: Annotated[str, typer.Argument(help="The account.")],
    config: ConfigOption = None,
) -> None:
    """A new password for an account, read from standard input (asked twice on a terminal); its sessions end."""
    # the password is asked once the state database has opened, as for kg users add
    _change_account(config, lambda accounts, state: accounts.set_password(state, username,
                                                                          _read_password("New password"), actor="kg"),
                    "{account.username} has a new password; its sessions ended")


# ---------------------------------------------------------------- kg release, kg history: publication (graph.workspace)

@app.command("release")
def release(
    dist: Annotated[Path, typer.Option("--dist", help="The dist folder the server serves /downloads from.")] = Path("dist"),
    lang: Annotated[str, typer.Option(help="Language of the messages and the notes shown: de or en.")] = "en",
    config: ConfigOption = None,
) -> None:
    """Publish every approved change set of the workspace as one numbered release (publish_mode = "release")."""
    from graph.workspace.publication import PublicationError
    from graph.workspace.releases import pending, release_pending

    settings, state = _state_or_exit(config)
    waiting = pending(state)
    if not waiting:
        out.print("nothing to publish: no change set is approved", highlight=False)
        return
    try:
        done = release_pending(settings, state, "kg", dist)
    except PublicationError as exc:
        err.print(f"[red]not published:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"release {done.release}: {len(done.change_sets)} change set(s) published "
              f"({', '.join(f'#{c}' for c in done.change_sets)}) in {done.seconds:.2f} s; history {done.commit[:10]}",
              highlight=False)
    out.print(done.notes.get(lang, done.notes.get("en", "")), highlight=False, markup=False)


@app.command("history")
def history(
    entry: Annotated[Optional[str], typer.Argument(help="Only the versions that changed this entry (its IRI).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many versions, newest first.")] = 20,
    config: ConfigOption = None,
) -> None:
    """The published versions of the data (the history repository in the state folder), newest first."""
    from rich.markup import escape

    from graph.workspace.history import HistoryError, open_history

    settings, _ = _state_or_exit(config)
    try:
        repository = open_history(settings)
        versions = repository.entry_history(entry) if entry else repository.log()
    except HistoryError as exc:
        err.print(f"[red]history unavailable:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    table = Table(title=f"{len(versions)} version(s)" + (f" of {entry}" if entry else ""))
    for column in ("commit", "published (UTC)", "change set", "release", "by", "reviewed by", "title"):
        table.add_column(column, overflow="fold")
    for v in versions[: max(1, limit)]:
        cells = (v.short, v.committed.isoformat(sep=" "), str(v.change_set or ""), str(v.release or ""),
                 v.author.name, v.reviewer.name if v.reviewer else "", v.title)
        table.add_row(*(escape(cell) for cell in cells))  # names and titles are people's text, never markup
    out.print(table, highlight=False)


def main() -> None:
    """`kg` without `kg serve` (the console script is api.cli:main, which adds it: graph never imports api)."""
    app()


if __name__ == "__main__":
    main()
