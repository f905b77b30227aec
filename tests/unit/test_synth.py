"""`kg synth`: a synthetic graph in hki's ontology — deterministic, fast, valid, shaped like real twinning networks."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from graph.build import validate_inputs
from graph.publish.synthetic import synthetic_lines, write_synthetic_graph

KG = str(Path(sys.executable).with_name("kg"))
HKI_PARTNER = "https://w3id.org/hki/def#partner"


def kg_synth(*args: str, hash_seed: str = "0") -> subprocess.CompletedProcess:
    return subprocess.run([KG, "synth", *args], capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed, "COLUMNS": "200"})


def test_the_same_seed_gives_byte_identical_output_in_separate_processes(tmp_path):
    first = kg_synth("--cities", "300", "--seed", "7", "--out", str(tmp_path / "a.nt"), hash_seed="1")
    second = kg_synth("--cities", "300", "--seed", "7", "--out", str(tmp_path / "b.nt"), hash_seed="2")
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert (tmp_path / "a.nt").read_bytes() == (tmp_path / "b.nt").read_bytes()
    assert b"300 cities" in first.stderr


def test_another_seed_gives_another_graph():
    assert list(synthetic_lines(100, seed=1)) != list(synthetic_lines(100, seed=2))


def test_kg_synth_writes_n_triples_to_standard_output_and_refuses_fewer_than_two_cities():
    result = kg_synth("--cities", "20")
    assert result.returncode == 0, result.stderr
    assert len(list(ox.parse(result.stdout, format=ox.RdfFormat.N_TRIPLES))) > 1000
    refused = kg_synth("--cities", "1")
    assert refused.returncode == 2 and b"at least 2" in refused.stderr


def test_a_synthetic_graph_of_50_cities_conforms_to_the_shapes(settings, tmp_path):
    path = tmp_path / "synthetic.nt"
    write_synthetic_graph(path, 50, seed=11)
    report = validate_inputs(settings, [path])
    assert report.conforms, "\n".join(str(v) for v in report.violations[:20])
    # and it really holds every kind of thing the modelling guide describes
    types = Counter(q.object.value for q in report.quads_by_graph["data"]
                    if q.predicate.value == "http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for kind in ("http://schema.org/City", "https://w3id.org/hki/def#Partnership", "http://www.w3.org/ns/org#Membership",
                 "http://data.europa.eu/m8g/PublicOrganisation", "https://w3id.org/hki/def#Goal",
                 "https://w3id.org/hki/def#Measure", "https://w3id.org/hki/def#ActionConcept", "http://www.w3.org/2006/time#Interval"):
        assert types[kind] > 0, kind


def test_every_statement_is_distinct_and_no_node_is_blank(tmp_path):
    path = tmp_path / "synthetic.nt"
    stats = write_synthetic_graph(path, 400, seed=3)
    store = ox.Store()
    store.bulk_load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    assert len(store) == stats.triples
    assert not any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in store)


def test_partner_counts_are_heavy_tailed_like_real_twinning_networks(tmp_path):
    path = tmp_path / "synthetic.nt"
    write_synthetic_graph(path, 3000, seed=5)
    ends = Counter(q.object.value for q in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES)
                   if q.predicate.value == HKI_PARTNER)
    degrees = sorted(ends.values(), reverse=True)
    top_one_percent = degrees[: len(degrees) // 100]
    assert degrees[0] >= 15 * statistics.median(degrees), degrees[:10]  # a few hubs …
    assert sum(top_one_percent) >= 0.08 * sum(degrees)  # … hold a large share of all links
    assert sum(1 for d in degrees if d <= 2) >= 0.35 * len(degrees)  # … and many cities have one or two


@pytest.mark.serial  # measures time: run alone (make test), not beside other tests
def test_a_million_statements_are_written_in_well_under_a_minute(tmp_path):
    path = tmp_path / "million.nt"
    started = time.perf_counter()
    stats = write_synthetic_graph(path, 9300, seed=0)
    elapsed = time.perf_counter() - started
    assert stats.triples >= 1_000_000
    assert elapsed < 20, f"{stats.triples:,} statements took {elapsed:.1f} s"
    assert path.stat().st_size > 100_000_000


def test_fewer_than_two_cities_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="at least 2 cities"):
        write_synthetic_graph(Path(os.devnull), 1)
