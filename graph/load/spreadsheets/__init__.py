"""Spreadsheets ⇄ graph: the tables staff keep (partnerships, memberships, measures) as hki data.

Pure mapping functions: `rows_to_triples` turns the rows of one table into statements (or `RowError`s
naming row, column, value and what is valid), `triples_to_rows` turns the statements back into rows,
and the two are inverse for every table (`kg export csv` then `kg import` changes nothing). Reading
and writing CSV/XLSX files, SHACL validation and the atomic write into the data folder are in
`files` and `transfer`; the `kg import` / `kg export` commands in graph/cli.py only call them.

The column layout of each table is documented in docs/spreadsheets.md (generated from `TABLES`).
"""
from graph.load.spreadsheets.files import (  # noqa: F401
    CellError,
    TableFileError,
    atomic_write,
    read_table_file,
    table_for,
    turtle_for,
    write_csv,
    write_xlsx,
)
from graph.load.spreadsheets.mapping import (  # noqa: F401
    Exported,
    cell_text,
    csv_escape,
    csv_unescape,
    date_literal,
    ref_iri,
    ref_token,
    rows_to_triples,
    split_list,
    triples_to_rows,
)
from graph.load.spreadsheets.tables import (  # noqa: F401
    DATE_KINDS,
    FORMULA_START,
    GENERATED,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_PART_BYTES,
    MAX_PARTS,
    MAX_ROWS,
    NOT_A_FORMULA,
    RDF_TYPE,
    SLUG,
    TABLES,
    Column,
    Mapped,
    RowError,
    Table,
)
from graph.load.spreadsheets.transfer import (  # noqa: F401
    ImportReport,
    column_reference,
    export_tables,
    import_tables,
    replace_files,
)
