"""What the first process of `kg serve` with several web processes shares, and what it keeps (api/server.py,
EmbeddedBackend.shared_copy): the web processes load copies into their own memory; the first process answers no
query, so once the on-disk store is filled it holds that instead of a second copy in memory."""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pyoxigraph as ox

from api.server import _hold_the_disk_store, _share
from graph.build import open_store
from graph.store.workers import load_copy


def test_the_first_process_holds_the_disk_store_once_filled_and_shares_a_snapshot_when_its_copies_are_gone(city,
                                                                                                          tmp_path):
    kstore = open_store(replace(city, store=tmp_path / "store"), serving=True, worker_beside=False)
    try:
        kind, copy, _ = _share(kstore)
        assert kind == "memory" and Path(copy).is_file()
        loaded = len(kstore.backend.store)
        _hold_the_disk_store(kstore)
        assert not kstore.backend._in_memory()  # noqa: SLF001 - the copy in memory is let go
        assert len(kstore.backend.store) == loaded  # all of it, the input fingerprint included
        # a web process started again after its copies were removed (a /tmp cleaner) opens a snapshot instead
        shutil.rmtree(Path(copy).parent)
        kind, snapshot, _ = _share(kstore)
        assert kind == "snapshot"
        assert len(ox.Store.read_only(snapshot)) == loaded
    finally:
        kstore.close()


def test_a_restarted_web_process_gets_a_new_copy_when_its_copies_are_gone_or_the_old_share_when_none_can_be_made(
        city, tmp_path, monkeypatch):
    from api.server import _share_again

    kstore = open_store(city, serving=True, worker_beside=False)  # no store folder: the copies are in /tmp
    try:
        share = _share(kstore)
        assert share[0] == "memory"
        shutil.rmtree(Path(share[1]).parent)  # a /tmp cleaner
        again = _share_again(kstore, share)
        assert again[0] == "memory" and Path(again[1]).is_file() and again[2] == share[2]
        loaded = ox.Store()
        load_copy(loaded, Path(again[1]))
        assert len(loaded) == len(kstore.backend.store)

        def broken():
            raise OSError(28, "No space left on device")
        monkeypatch.setattr(kstore.backend, "shared_copy", broken)
        assert _share_again(kstore, again) == again  # logged; the other web processes go on serving
    finally:
        kstore.close()
