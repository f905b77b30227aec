"""Another city runs the same software on its own files, configured by hki.toml."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from graph.build import build
from graph.config import ConfigError, load_settings
from graph.build import open_store

CITY = Path(__file__).resolve().parents[1] / "fixtures" / "second-city"


def test_settings_come_from_the_cities_config_file():
    settings = load_settings(CITY / "hki.toml", environ={})
    assert settings.base == "https://data.musterstadt.example/"
    assert settings.data_dir == (CITY / "data").resolve()
    assert settings.lang == "en"


def test_environment_variables_override_the_config_file():
    settings = load_settings(CITY / "hki.toml", environ={"HKI_LANG": "de", "HKI_QUERY_TIMEOUT": "3"})
    assert settings.lang == "de" and settings.query_timeout == 3.0


def test_a_second_city_validates_builds_and_answers_queries_on_its_own_data(tmp_path):
    settings = load_settings(CITY / "hki.toml", environ={})
    report, distributions = build(settings, tmp_path / "dist")
    assert report.conforms, [str(v) for v in report.violations]
    assert distributions
    store = open_store(settings)
    rows = store.select("""
        PREFIX hki: <https://w3id.org/hki/def#>
        SELECT ?b WHERE { <https://data.musterstadt.example/id/city/musterstadt> hki:twinnedWith ?b }""")
    assert [r["b"].value for r in rows] == ["https://data.musterstadt.example/id/city/exempleville"]
    # its own named graphs, under its own base; no Hannover data
    assert store.triple_counts()["data"] > 0
    assert store.graph("data") == "https://data.musterstadt.example/graph/data"
    assert not store.ask("ASK { <https://w3id.org/hki/id/city/bristol> ?p ?o }")


@pytest.mark.parametrize("content,message", [
    ('[hki]\nbase = "ftp://x/"\n', "must be an http(s) IRI ending in '/'"),
    ('[hki]\nlang = "fr"\n', "valid values are 'de' and 'en'"),
    ('[hki]\nquery_timeout = "soon"\n', "query_timeout = 'soon' is not a valid float"),
    ('[hki]\ndata_dir = "nowhere"\n', None),
    ("[hki\n", "not valid TOML"),
])
def test_a_bad_setting_is_rejected_with_the_file_and_what_is_valid(tmp_path, content, message):
    config = tmp_path / "hki.toml"
    config.write_text(content)
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={}).data_files()
    assert str(config) in str(caught.value) or "data_dir" in str(caught.value)
    if message:
        assert message in str(caught.value)
