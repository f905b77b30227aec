"""The benchmarks' synthetic graph: `graph.publish.synthetic` (the one generator, also behind `kg synth`),
sized by statements instead of cities.

    python bench/synthetic.py --triples 100000 --out /tmp/synthetic   # writes synthetic.ttl there
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from graph.publish.synthetic import write_synthetic_graph  # noqa: E402

TRIPLES_PER_CITY = 106  # measured: 1,000 cities give 106,340 statements
CITY_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://schema.org/City>"


def write(folder: Path, triples: int = 100_000, seed: int = 0) -> Path:
    """Write about `triples` statements as `folder/synthetic.ttl` (N-Triples, which is valid Turtle)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "synthetic.ttl"
    write_synthetic_graph(path, max(10, triples // TRIPLES_PER_CITY), seed)
    return path


def sample_cities(path: Path, count: int = 2) -> list[str]:
    """The IRIs of the first `count` cities of a written graph (what a lookup benchmark asks for)."""
    found: list[str] = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if CITY_TYPE in line:
                found.append(line.split(" ", 1)[0].strip("<>"))
                if len(found) == count:
                    break
    return found


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(write(args.out, args.triples, args.seed))
