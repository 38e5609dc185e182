"""The API's documentation pages, Swagger UI at /schema/swagger and ReDoc at /schema/redoc (the
schema itself at /schema/openapi.json), their scripts and styles served from the
openapi-ui-bundles package: a newsroom's network may have no way out to a CDN."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.params import FromPath

SCHEMA_PATH = "/schema"
ASSETS = {
    "swagger-ui-bundle.js": ("swagger_ui", "text/javascript"),
    "swagger-ui-standalone-preset.js": ("swagger_ui", "text/javascript"),
    "swagger-ui.css": ("swagger_ui", "text/css"),
    "redoc.standalone.js": ("redoc", "text/javascript"),
    "logo-mini.svg": ("redoc", "image/svg+xml"),
}
"""The files the two pages load, by name: which bundle of openapi-ui-bundles holds each."""
_LOCAL = {"redoc.standalone.js": (b'"https://cdn.redoc.ly/redoc/logo-mini.svg"',
                                  b'"assets/logo-mini.svg"')}
"""Addresses in a file that would reach out for what the bundle has (relative to the page)."""
ASSET_MAX_AGE_S = 86_400
"""Their names carry no version: an upgrade of the bundles reaches browsers within a day."""
SECURITY_SCHEMES = {
    "bearer": SecurityScheme(
        type="http", scheme="bearer",
        description="One of AUDIOBRIEF_API_KEYS: `Authorization: Bearer KEY`. Needed, when keys"
                    " are set, to have audio made, to list and to withdraw articles."),
    "apiKey": SecurityScheme(
        type="apiKey", name="X-API-Key", security_scheme_in="header",
        description="The same key in an `X-API-Key` header instead."),
}
DESCRIPTION = """Narrated MP3s of news articles, made on the publisher's own machine.

An article is named by its canonical URL (or the CMS's `external_id`); each text posted for it
is a version with an id of its own and audio that never changes. Lookups by URL, the article's
own id, its player and the feed answer with its newest finished version. Errors are
`application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail` and, where there is
more to say, further members (`extra` for the fields a validation refused)."""


def openapi_config(base_path: str) -> OpenAPIConfig:
    """The schema's configuration, its pages loading their files under `base_path` (the
    service root's path, "" at the host's root)."""
    assets = f"{base_path.rstrip('/')}{SCHEMA_PATH}/assets"
    return OpenAPIConfig(
        title="audiobrief", version="1", path=SCHEMA_PATH, description=DESCRIPTION,
        use_handler_docstrings=True,
        components=Components(security_schemes=dict(SECURITY_SCHEMES)),
        render_plugins=[
            SwaggerRenderPlugin(js_url=f"{assets}/swagger-ui-bundle.js",
                                css_url=f"{assets}/swagger-ui.css",
                                standalone_preset_js_url=f"{assets}/swagger-ui-standalone-preset.js",
                                path=["/swagger", "/"], favicon=""),
            RedocRenderPlugin(js_url=f"{assets}/redoc.standalone.js", google_fonts=False,
                              path="/redoc", favicon=""),
        ])


@functools.cache
def _asset(name: str) -> bytes:
    import importlib

    bundle, _ = ASSETS[name]
    static: Path = importlib.import_module(f"openapi_ui_bundles.{bundle}").static_path
    content = (static / name).read_bytes()
    if name in _LOCAL:
        content = content.replace(*_LOCAL[name])
    return content


@get(f"{SCHEMA_PATH}/assets/{{name:str}}", sync_to_thread=False, include_in_schema=False)
def asset(name: FromPath[str]) -> Response[bytes]:
    if name not in ASSETS:
        raise NotFoundException(f"no {name} here")
    return Response(_asset(name), media_type=ASSETS[name][1],
                    headers={"Cache-Control": f"public, max-age={ASSET_MAX_AGE_S}"})


ROUTES: list[Any] = [asset]
