"""The job system runs without the web shell: a process that narrates articles imports no HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WORKER = """
import json, sys, time
from pathlib import Path
from audiobrief import pipeline
from audiobrief.model import Page
from audiobrief.service.jobs import Service
from audiobrief.settings import Settings

settings = Settings(data=Path(sys.argv[1]), workers=1)
service = Service(settings)
service.start()
page = Page(content="Worker notes\\n\\nKharkiv was quiet on Monday.", kind="text", origin="test")
options = pipeline.Options()
record, new = service.submit(pipeline.prepare(page, settings, options), options, None)
deadline = time.monotonic() + 120
while (record := service.record(record.id)).status not in ("done", "failed"):
    assert time.monotonic() < deadline, "the job did not finish"
    time.sleep(0.1)
service.stop()
web = sorted(m for m in sys.modules if m.split(".")[0] in ("litestar", "uvicorn")
             or m.startswith("audiobrief.web"))
print(json.dumps({"status": record.status, "duration_ms": record.duration_ms, "web": web,
                  "mp3": service.audio.size(record.id)}))
"""


def test_a_worker_narrates_without_the_web_stack(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WORKER, str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=180, check=True)
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == "done"
    assert result["duration_ms"] > 1000 and result["mp3"] > 10_000
    assert result["web"] == []
