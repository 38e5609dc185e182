"""`audiobrief db migrate-from DATA_DIR`: an embedded data directory into the distributed engines.

Every article row goes to PostgreSQL as it is (one already there is left alone), each finished
MP3 to the bucket before its row, so no node ever finds a finished row without its audio; what
was waiting is queued again. The directory is only read: it can go on serving until the switch.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from audiobrief.errors import SettingsError
from audiobrief.service.backends import Backends
from audiobrief.service.local import AudioFiles
from audiobrief.service.postgres import PostgresJobs
from audiobrief.service.sqlite import SqliteJobs
from audiobrief.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Migrated:
    articles: int
    audio_files: int
    queued: int
    skipped: int
    """Rows the database had already, or finished rows whose MP3 was missing or damaged."""


def migrate_from(data: Path, settings: Settings) -> Migrated:
    """Copy the articles and finished audio of the data directory `data` into the distributed
    engines `settings` name."""
    if not (data / "audiobrief.sqlite3").is_file():
        raise SettingsError(f"{data} is not an audiobrief data directory (no audiobrief.sqlite3)")
    source = SqliteJobs(data / "audiobrief.sqlite3")
    files = AudioFiles(data / "audio")
    target = Backends.distributed(settings)
    jobs = target.jobs
    assert isinstance(jobs, PostgresJobs)
    articles = audio_files = queued = skipped = 0
    for record in source.all():
        status = record.status
        if status == "done":
            size = files.size(record.id)
            if size is None or size != record.size_bytes or record.rendition is None:
                skipped += 1
                logger.warning("article %s: its MP3 is missing or damaged; not migrated",
                               record.id)
                continue
            if target.audio.size(record.id) != size:
                with open(files.path(record.id), "rb") as mp3:
                    target.audio.put(record.id, b"", mp3)
                audio_files += 1
        elif status == "running":
            status = "queued"  # its attempt lives in the old process, not here
        if not jobs.insert(record, status):
            skipped += 1
            continue
        articles += 1
        if status == "queued":
            target.queue.put(record.id)
            queued += 1
    return Migrated(articles, audio_files, queued, skipped)
