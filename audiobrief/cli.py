"""The command line: parse, call the pipeline, present the result. Errors → exit 2, one line."""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from audiobrief.errors import AudiobriefError, SettingsError

if TYPE_CHECKING:  # the modules themselves are imported where used, to start quickly
    from audiobrief.pipeline import Options
    from audiobrief.settings import Settings

CHAPTER_MODES = ["auto", "sections", "paragraphs", "none"]


class _Group(click.Group):
    """Turns AudiobriefError into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AudiobriefError as error:
            click.echo(f"audiobrief: {error}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("audiobrief: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(package_name="audiobrief")
def main(verbose: int) -> None:
    """audiobrief: news articles into narrated, chaptered MP3s with a local Piper voice."""
    level = logging.WARNING - 10 * min(verbose, 2)
    if not sys.stderr.isatty():  # a log file or a pipe: plain lines, and no rich to import
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        return
    from rich.console import Console
    from rich.logging import RichHandler

    handler = RichHandler(console=Console(stderr=True), show_path=False)
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler])


def _settings() -> Settings:
    from audiobrief.settings import get_settings

    return get_settings()


def _options(voice: str | None = None, speed: float = 1.0, chapters: str = "auto",
             title: str | None = None, normalize: bool = True,
             lexicons: tuple[Path, ...] = (), language: str | None = None) -> Options:
    from audiobrief.pipeline import Options

    if not 0.25 <= speed <= 4.0:
        raise click.BadParameter("speed must be between 0.25 and 4", param_hint="--speed")
    return Options(voice=voice, speed=speed, chapters=chapters,  # type: ignore[arg-type]
                   title=title, normalize=normalize, lexicons=tuple(lexicons),
                   language=language)


voice_option = click.option(
    "--voice", help="Voice name (see `audiobrief voices`); it must speak the article's language."
                    " Default: a voice of the language detected from the text.")
language_option = click.option(
    "--language", help="Read the article in this language (e.g. en) instead of the one detected"
                       " from its text; with --voice, to read another language all the same.")
lexicon_option = click.option(
    "--lexicon", "lexicons", multiple=True, type=click.Path(exists=True, dir_okay=False,
                                                            path_type=Path),
    help="A user lexicon (word<TAB>phonemes<TAB>note); beats the built-in one. Repeatable.")
json_option = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")


@main.command()
@click.argument("source")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False,
                                                                       path_type=Path),
              help="The MP3 to write.")
@voice_option
@click.option("--speed", type=float, default=1.0, show_default=True, help="Speaking rate.")
@click.option("--chapters", type=click.Choice(CHAPTER_MODES), default="auto",
              show_default=True, help="How chapters are made.")
@click.option("--title", help="Title to use instead of the one found.")
@language_option
@lexicon_option
@click.option("--no-normalize", is_flag=True, help="Read numbers and dates as written.")
@click.option("--chapters-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write Podcasting 2.0 JSON chapters here.")
@click.option("--transcript-json", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a word-timed Podcasting 2.0 JSON transcript here.")
@click.option("--vtt", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a WebVTT transcript here (short cues, each word timed).")
@click.option("--workers", type=int, default=None,
              help="Pieces of speech synthesised at once (default: one per core; 1 uses the "
                   "least memory).")
@json_option
def synth(source: str, out: Path, voice: str | None, speed: float, chapters: str,
          title: str | None, language: str | None, lexicons: tuple[Path, ...],
          no_normalize: bool,
          chapters_json: Path | None, transcript_json: Path | None, vtt: Path | None,
          workers: int | None, as_json: bool) -> None:
    """Narrate SOURCE (a URL, an HTML/text/SSML file, or - for stdin) into an MP3."""
    from audiobrief.runtime import default_workers
    from audiobrief.voices import start_loading

    settings = _settings()
    workers = workers or default_workers()
    # The model loads while the rest of the program is imported and the page is read.
    loading = start_loading(settings, voice, workers)
    _KEPT_UNTIL_EXIT.append(loading)
    from audiobrief import pipeline

    options = _options(voice, speed, chapters, title, not no_normalize, lexicons, language)
    with _progress(enabled=not as_json) as progress:
        narration = pipeline.synth_file(
            source, out, settings, options, progress=progress, chapters_json=chapters_json,
            vtt=vtt, transcript_json=transcript_json, workers=workers, loading=loading)
    result: dict[str, Any] = {
        "output": str(out),
        "title": narration.script.title,
        "duration": narration.duration_ms / 1000,
        "sentences": narration.script.sentence_count,
        "chapters": [
            {"title": chapter.title, "start": span.start_s, "end": span.end_s}
            for chapter, span in zip(narration.script.chapters, narration.chapters, strict=True)
        ],
    }
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
    else:
        click.echo(f"{out}: {result['duration']:.1f} s, {len(result['chapters'])} chapters, "
                   f"{result['sentences']} sentences", err=True)


@main.command(name="extract")
@click.argument("sources", nargs=-1, required=True)
@json_option
def extract_command(sources: tuple[str, ...], as_json: bool) -> None:
    """Show what would be read of each SOURCE: title, metadata and body. A source that cannot be
    read is reported in its place (with --json as {"source", "error"}) and the rest are read;
    the exit status is 2 if any failed."""
    from audiobrief import pipeline

    settings = _settings()
    failed = 0
    for source in sources:
        try:
            article = pipeline.read(source, settings)
        except AudiobriefError as error:
            failed += 1
            if as_json:
                click.echo(json.dumps({"source": source, "error": str(error)},
                                      ensure_ascii=False))
            else:
                click.echo(f"audiobrief: {error}", err=True)
            continue
        if as_json:
            record = {
                "source": source, "title": article.title, "author": article.byline,
                "date": article.date, "sitename": article.site, "url": article.url,
                "language": article.language,
                "sections": [{"heading": s.heading, "paragraphs": list(s.paragraphs)}
                             for s in article.sections],
                "text": article.text,
            }
            click.echo(json.dumps(record, ensure_ascii=False))
        else:
            meta = " · ".join(x for x in (article.byline, article.date, article.site) if x)
            click.echo(f"# {article.title}\n{meta}\n\n{article.text}\n")
    if failed:
        raise click.exceptions.Exit(2)


@main.command(name="script")
@click.argument("source")
@voice_option
@click.option("--chapters", type=click.Choice(CHAPTER_MODES), default="auto")
@click.option("--title", help="Title to use instead of the one found.")
@language_option
@lexicon_option
@click.option("--no-normalize", is_flag=True, help="Read numbers and dates as written.")
@json_option
def script_command(source: str, voice: str | None, chapters: str, title: str | None,
                   language: str | None, lexicons: tuple[Path, ...], no_normalize: bool,
                   as_json: bool) -> None:
    """Show the exact spoken script: chapters → sentences, with pronunciation overrides."""
    from audiobrief import pipeline

    settings = _settings()
    options = _options(voice, 1.0, chapters, title, not no_normalize, lexicons, language)
    script = pipeline.prepare(source, settings, options)
    voice_name = pipeline.voice_spec(settings, options, script.language).name
    if as_json:
        click.echo(json.dumps({**_script_record(script), "voice": voice_name},
                              ensure_ascii=False, indent=2))
        return
    click.echo(f"# {script.language}, read by {voice_name}")
    for chapter in script.chapters:
        click.echo(f"## {chapter.title}")
        for sentence in chapter.sentences:
            click.echo(f"  {sentence.spoken}")
            for p in sentence.pronunciations:
                click.echo(f"      {p.word} → {p.phonemes} ({p.source})")


def _script_record(script: Any) -> dict[str, Any]:
    return {
        "title": script.title, "byline": script.byline, "date": script.date,
        "site": script.site, "url": script.url, "language": script.language,
        "chapters": [
            {"title": chapter.title, "sentences": [
                {"text": s.text, "spoken": s.spoken, "pause_after_ms": s.pause_after_ms,
                 "rate": s.rate,
                 "pronunciations": [{"word": p.word, "phonemes": p.phonemes,
                                     "source": p.source} for p in s.pronunciations]}
                for s in chapter.sentences]}
            for chapter in script.chapters
        ],
    }


@main.command()
@click.argument("text", nargs=-1, required=True)
@voice_option
@lexicon_option
@json_option
def phonemes(text: tuple[str, ...], voice: str | None, lexicons: tuple[Path, ...],
             as_json: bool) -> None:
    """Show, for each word of TEXT, the phonemes the voice receives and who decided them."""
    from audiobrief import pipeline

    settings = _settings()
    spec = pipeline.voice_spec(settings, _options(voice, lexicons=lexicons))
    words = pipeline.pronouncer(spec, tuple(lexicons)).words(" ".join(text))
    if as_json:
        click.echo(json.dumps([{"word": w.word, "phonemes": w.phonemes, "source": w.source}
                               for w in words], ensure_ascii=False))
        return
    width = max((len(w.word) for w in words), default=0)
    for w in words:
        click.echo(f"{w.word:<{width}}  {w.phonemes}  ({w.source})")


@main.command()
@json_option
def voices(as_json: bool) -> None:
    """List the installed voices."""
    from audiobrief.voices import installed_voices

    found = list(installed_voices(_settings().voices))
    if as_json:
        click.echo(json.dumps([{"name": v.name, "language": v.language, "quality": v.quality,
                                "sample_rate": v.sample_rate_hz, "origin": v.origin}
                               for v in found]))
        return
    for v in found:
        click.echo(f"{v.name}\t{v.language}\t{v.quality}\t{v.sample_rate_hz} Hz\t{v.origin}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--workers", type=int, default=None,
              help="Articles narrated at once (default: AUDIOBRIEF_WORKERS, else one per core).")
@click.option("--role", type=click.Choice(["all", "web"]), default="all", show_default=True,
              help="all: serve and narrate; web: serve only, workers narrate (distributed).")
@click.option("--access-log", is_flag=True, help="Log a line per HTTP request.")
def serve(host: str, port: int, workers: int | None, role: str, access_log: bool) -> None:
    """Run the HTTP service (settings from AUDIOBRIEF_* environment variables)."""
    from audiobrief.web.app import serve as run_server

    settings = _settings().replace(workers=workers)
    if role == "web" and not settings.distributed:
        raise SettingsError("--role web needs the distributed settings (AUDIOBRIEF_DATABASE_URL,"
                            " AUDIOBRIEF_QUEUE_URL, AUDIOBRIEF_S3_ENDPOINT, AUDIOBRIEF_S3_BUCKET):"
                            " without them nothing else would narrate")
    run_server(settings, host=host, port=port, access_log=access_log, role=role)


@main.command()
@click.option("--concurrency", type=int, default=None,
              help="Articles narrated at once (default: AUDIOBRIEF_WORKERS, else one per core).")
def worker(concurrency: int | None) -> None:
    """Narrate articles from the shared queue (distributed mode) until SIGTERM or SIGINT; the
    running job is finished or put back for another worker."""
    from audiobrief.service.worker import run_worker

    settings = _settings().replace(workers=concurrency)
    if not settings.distributed:
        raise SettingsError("audiobrief worker needs the distributed settings"
                            " (AUDIOBRIEF_DATABASE_URL, AUDIOBRIEF_QUEUE_URL,"
                            " AUDIOBRIEF_S3_ENDPOINT, AUDIOBRIEF_S3_BUCKET); on one machine"
                            " `audiobrief serve` narrates by itself")
    run_worker(settings)


@main.group()
def db() -> None:
    """The distributed job table (AUDIOBRIEF_DATABASE_URL)."""


@db.command()
def upgrade() -> None:
    """Bring the database to this version's schema (safe to run again, and from many nodes)."""
    settings = _settings()
    if not settings.database_url:
        raise SettingsError("AUDIOBRIEF_DATABASE_URL is not set")
    try:
        from audiobrief.service import postgres
    except ImportError as error:
        raise SettingsError(f"this needs audiobrief's distributed extra: {error}") from None
    try:
        before, now = postgres.upgrade(settings.database_url)
    except postgres.psycopg.Error as error:
        raise SettingsError(f"cannot upgrade the database: {str(error).splitlines()[0]}"
                            ) from None
    click.echo(f"schema version {before} → {now}" if before != now
               else f"schema version {now}: nothing to do")


@db.command("migrate-from")
@click.argument("data_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
def migrate_from(data_dir: Path) -> None:
    """Copy an embedded data directory's articles and finished MP3s into the distributed
    engines (the directory is only read)."""
    settings = _settings()
    if not settings.distributed:
        raise SettingsError("migrate-from needs the distributed settings (AUDIOBRIEF_DATABASE_URL,"
                            " AUDIOBRIEF_QUEUE_URL, AUDIOBRIEF_S3_ENDPOINT, AUDIOBRIEF_S3_BUCKET)")
    from audiobrief.service.migrate import migrate_from as migrate

    done = migrate(data_dir, settings)
    click.echo(f"{done.articles} article(s) migrated ({done.audio_files} MP3 file(s) uploaded,"
               f" {done.queued} queued again), {done.skipped} skipped")


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar on a terminal (sentences done/total, ETA); nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("narrating", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


_KEPT_UNTIL_EXIT: list[object] = []
"""What `run` ends the process with, undestroyed: freeing the voice's ONNX Runtime session
costs every run time the process is about to give back anyway."""


def run() -> None:
    """The program's entry point: `main`, then exit without the interpreter's teardown.

    Every output is written (atomically) and flushed by then; tearing down ONNX Runtime, NumPy
    and the rest took another 0.25 s of every `synth` (bench/offline.py). `os._exit` also does
    not wait for a voice still loading after a failed job.
    """
    try:
        main()
        code: int | str | None = 0
    except SystemExit as exit_:
        code = exit_.code
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with suppress(OSError):  # a reader that went away (`| head`) is not an error here
            stream.flush()
    os._exit(code or 0)


if __name__ == "__main__":  # pragma: no cover
    run()
