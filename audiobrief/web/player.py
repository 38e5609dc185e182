"""The embeddable player: the one-request HTML page served at /embed/{id} and the embed.js loader
that puts that page into a news site's article in an iframe."""

from __future__ import annotations

import functools
import html
import json
from importlib import resources

SPEEDS = (0.75, 1.0, 1.25, 1.5, 1.75, 2.0)
"""Playback rates offered by the speed control."""

_LINK_SCHEMES = ("https://", "http://", "/")


@functools.cache
def _asset(name: str) -> str:
    """A file from audiobrief/web/static, read once per process."""
    return resources.files("audiobrief").joinpath("web", "static", name).read_text(encoding="utf-8")


def _speed_options() -> str:
    return "".join(
        f'<option value="{rate:g}"{" selected" if rate == 1 else ""}>{rate:g}×</option>'
        for rate in SPEEDS
    )


def _label(disclosure: str, disclosure_url: str | None) -> str:
    text = html.escape(disclosure)
    # Only web links: the URL comes from settings, but a javascript: link would run in the player.
    if disclosure_url and disclosure_url.lower().startswith(_LINK_SCHEMES):
        href = html.escape(disclosure_url)
        return f'<a href="{href}" target="_blank" rel="noopener">{text}</a>'
    return text


def embed_page(
    article_id: str, *, disclosure: str, disclosure_url: str | None, base_path: str = ""
) -> str:
    """The self-contained player page for an article: CSS and JS inline, every URL it fetches
    relative to `base_path` (the service root's path, "" at the host's root). Its theme is the
    page's `?theme=light|dark|auto` (light without one)."""
    return _PAGE.format(
        article_id=html.escape(article_id),
        base_path=html.escape(base_path.rstrip("/")),
        theme=_THEME,
        css=_asset("player.css"),
        js=_asset("player.js"),
        speeds=_speed_options(),
        label=_label(disclosure, disclosure_url),
    )


def missing_page() -> str:
    """The page /embed/{id} shows for an article it does not know, in the player's card."""
    return _MISSING.format(theme=_THEME, css=_asset("player.css"))


def embed_script(base_url: str) -> str:
    """The embed.js loader, bound to the service at `base_url` (e.g. "https://audio.example.org")."""
    # A JSON string is a valid JS string; "<" escaped so no "</script>" can appear if inlined.
    base_literal = json.dumps(base_url.rstrip("/")).replace("<", "\\u003c")
    return _asset("embed.js").replace("__AUDIOBRIEF_BASE_URL__", base_literal)


# Set before the first paint, so a dark page never flashes light.
_THEME = """(function () {
  var theme = new URLSearchParams(location.search).get("theme");
  document.documentElement.dataset.theme = /^(dark|auto)$/.test(theme || "") ? theme : "light";
})();"""

_HEAD = """<!doctype html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Audio version of this article</title>
<script>{theme}</script>
<style>
{css}</style>
</head>
<body>
"""

_PAGE = _HEAD + """<main class="player" id="player" data-article="{article_id}" \
data-base="{base_path}" data-state="loading" aria-busy="true" \
aria-label="Audio version of this article">
  <div class="bar">
    <button type="button" class="play" id="play" aria-label="Play" disabled>
      <svg class="icon-play" viewBox="0 0 24 24" aria-hidden="true"><path d="M8 5v14l11-7z"/></svg>
      <svg class="icon-pause" viewBox="0 0 24 24" aria-hidden="true">\
<path d="M6 5h4v14H6zM14 5h4v14h-4z"/></svg>
    </button>
    <p class="clock" id="clock">Listen</p>
    <input type="range" class="seek" id="seek" min="0" max="0" step="0.1" value="0" \
aria-label="Position" aria-valuetext="0:00 of 0:00" disabled>
    <span class="speed"><select id="speed" aria-label="Playback speed">{speeds}</select></span>
    <button type="button" class="more" id="more" aria-expanded="false" aria-controls="panel" \
aria-label="More: chapters and transcript">More<svg viewBox="0 0 24 24" aria-hidden="true">\
<path d="M7 10l5 5 5-5z"/></svg></button>
  </div>
  <p class="label" id="label">{label}</p>
  <p class="visually-hidden" id="status" role="status" aria-live="polite"></p>
  <div class="panel" id="panel" hidden>
    <p class="note" id="note">Chapters and the transcript come when the audio is ready.</p>
    <div class="controls" id="controls" hidden>
      <button type="button" id="back" aria-label="Back 15 seconds">−15 s</button>
      <button type="button" id="forward" aria-label="Forward 15 seconds">+15 s</button>
      <a class="download" id="download" download>Download MP3</a>
    </div>
    <nav id="chapters-nav" aria-labelledby="chapters-heading" hidden>
      <h2 id="chapters-heading">Chapters</h2>
      <ol class="chapters" id="chapters"></ol>
    </nav>
    <section id="transcript" aria-labelledby="transcript-heading" hidden>
      <h2 id="transcript-heading">Transcript</h2>
      <div class="sentences" id="sentences"></div>
    </section>
  </div>
  <audio id="audio" preload="metadata"></audio>
</main>
<script>
{js}</script>
</body>
</html>
"""

_MISSING = _HEAD + """<main class="player missing">
  <p class="clock"><strong>This audio is not available.</strong></p>
  <p class="label">It has not been made, or it was removed from the audio service.</p>
</main>
</body>
</html>
"""
