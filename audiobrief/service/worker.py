"""`audiobrief worker`: a process that narrates articles from the shared queue, no HTTP in it."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from audiobrief import language
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings

logger = logging.getLogger(__name__)

STOP_TIMEOUT_S = 60.0
"""How long a stopping worker waits for its running jobs to put themselves back."""


def run_worker(settings: Settings) -> None:
    """Take jobs until SIGTERM or SIGINT, then stop: each running job stops after its sentence
    under way and goes back to the queue for another worker."""
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if logging.getLogger("audiobrief").getEffectiveLevel() > logging.INFO:
        logging.getLogger("audiobrief").setLevel(logging.INFO)  # its jobs are its output
    stopping = threading.Event()

    def stop(signum: int, _: FrameType | None) -> None:
        logger.info("%s: stopping", signal.Signals(signum).name)
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service = Service(settings)
    service.voice()  # loaded before the first job is taken, so a bad voice stops us here
    language.warm()
    service.start()
    logger.info("worker ready: %d job(s) at once", service.workers)
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        service.stop(STOP_TIMEOUT_S)
        logger.info("worker stopped")
