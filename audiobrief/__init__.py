"""audiobrief: news articles in, narrated and chaptered MP3s out, with a local Piper voice."""

from __future__ import annotations

import logging

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())
