"""Numbered releases: how approved change sets reach the public, one release at a time.

The setting `publish_mode` decides when:
- "each" (the default): every approval publishes its change set at once, as a release of its own
  (`after_approval`, which the workspace's approve button calls);
- "release": approved change sets wait (`pending`) until a reviewer presses "publish release" in the workspace
  or someone runs `kg release`; `release_pending` then publishes all of them together as one release.

Either way a release is one publication (graph/workspace/publication.py): one commit per change set in the history,
the dumps of the release kept in the dist folder under `releases/<number>/` and listed in `releases.json` with the
release notes (generated from its change sets in plain words, German and English), and the catalogue stating the
release's number (dcat:version / owl:versionInfo), its notes (adms:versionNotes), the dataset's first publication
(dct:issued) and this release's date (dct:modified), as DCAT-AP.de asks.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from graph.config import Settings
from graph.publish.catalogue import ReleaseInfo
from graph.publish.dumps import ReleaseFiles, read_releases
from graph.workspace.models import ChangeSet, Release
from graph.workspace.publication import Publication, PublicationError, publish_approved
from graph.workspace.state import State

PUBLISH_MODES = ("each", "release")


def _mode(settings: Settings) -> str:
    if settings.publish_mode not in PUBLISH_MODES:
        raise PublicationError(f"publish_mode = {settings.publish_mode!r}: valid values are 'each' (publish every "
                               "approved change at once) and 'release' (collect them for kg release)", reason="setting")
    return settings.publish_mode


def pending(state: State) -> list[ChangeSet]:
    """The approved change sets not yet published, in the order they were approved (the next release's)."""
    with state.session() as session:
        rows = list(session.scalars(select(ChangeSet).where(ChangeSet.status == "approved")
                                    .order_by(ChangeSet.reviewed_at, ChangeSet.id)))
        session.expunge_all()
    return rows


def after_approval(settings: Settings, state: State, actor: str, change_id: int, dist_dir: Path) -> Publication | None:
    """What an approval does next: publish the change set now (publish_mode "each"), or nothing (it waits for the
    next release: "release")."""
    if _mode(settings) == "release":
        return None
    return publish_approved(settings, state, actor, [change_id], dist_dir)


def release_pending(settings: Settings, state: State, actor: str, dist_dir: Path) -> Publication:
    """Publish every approved change set as one numbered release (`kg release`, a reviewer's "publish release"
    button). PublicationError when there is nothing to publish, or it cannot be published (nothing is then)."""
    return publish_approved(settings, state, actor, None, dist_dir)


def releases(state: State) -> list[Release]:
    """Every release, newest first."""
    with state.session() as session:
        rows = list(session.scalars(select(Release).order_by(Release.number.desc())))
        session.expunge_all()
    return rows


def current_release(settings: Settings, dist_dir: Path) -> ReleaseInfo | None:
    """The release the dist folder holds now, as the catalogue states it (None before the first release): for the
    served catalogue (/catalog, /dataset) to say what the built one says."""
    found = read_releases(dist_dir)
    if not found:
        return None
    newest: ReleaseFiles = found[0]
    return ReleaseInfo(newest.number, newest.date, settings.issued or settings.modified, tuple(sorted(newest.notes.items())))


def published_settings(settings: Settings, dist_dir: Path) -> Settings:
    """The settings with the dates of the release the dist folder holds (dct:modified is the release's day), so that a
    store loaded by the server describes the dataset as the dumps do."""
    release = current_release(settings, dist_dir)
    if release is None:
        return settings
    return replace(settings, modified=release.modified, issued=release.issued)


__all__ = ["PUBLISH_MODES", "after_approval", "current_release", "pending", "published_settings", "release_pending",
           "releases"]
