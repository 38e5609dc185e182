"""ONNX Runtime for the voices: a model's sessions, and the cores this process may use.

ONNX Runtime optimises a model's graph every time it builds a session, most of the time a
session takes to load; the optimised graph is saved and loaded as it is. Its layout transforms
are specific to the CPU and the runtime version, so the saved file is keyed by both, and by the
model file itself.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from audiobrief.atomic import temp_path

if TYPE_CHECKING:
    import onnxruntime

logger = logging.getLogger(__name__)

_QUIET = 3
"""ONNX Runtime log severity "error": saving an optimised graph warns that it is CPU-specific,
which the cache key already accounts for."""


def load_session(model: Path, threads: int | None = None, cache_dir: Path | None = None,
                 alignments: bool = False) -> onnxruntime.InferenceSession:
    """A CPU session of `model` with `threads` intra-op threads (None: one per core).

    With `cache_dir`, the optimised graph is saved there on first use and loaded from there
    afterwards; a cache that cannot be written only costs the time of optimising again.

    With `alignments`, the session also answers each phoneme id's length in audio frames, as
    a second output (see `aligned_model`); a model that cannot say it is loaded as it is.
    """
    if cache_dir is None:
        return _session(aligned_model(model) if alignments else model, _options(threads))
    stem = f"{model.name.removesuffix('.onnx')}-{_key(model)}"
    plain, aligned = cache_dir / f"{stem}.ort.onnx", cache_dir / f"{stem}-aligned.ort.onnx"
    if (session := _saved(aligned if alignments else plain, threads)) is not None:
        return session
    source = aligned_model(model) if alignments else model
    cached = aligned if isinstance(source, bytes) else plain
    if alignments and cached is plain and (session := _saved(plain, threads)) is not None:
        return session
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = temp_path(cached)
        tmp.touch()
    except OSError as error:
        logger.info("model cache %s not writable (%s); optimising in memory", cache_dir, error)
        return _session(source, _options(threads))
    saving = _options(threads)
    saving.log_severity_level = _QUIET
    saving.optimized_model_filepath = str(tmp)
    try:
        session = _session(source, saving)
        os.replace(tmp, cached)
        logger.info("saved the optimised model to %s", cached)
    finally:
        tmp.unlink(missing_ok=True)
    _prune(cache_dir, model, keep=KEEP_PER_MODEL)
    return session


def _saved(cached: Path, threads: int | None) -> onnxruntime.InferenceSession | None:
    """The session of an optimised graph saved before; None when there is none usable."""
    import onnxruntime

    if not cached.is_file():
        return None
    ready = _options(threads)
    ready.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
    try:
        return _session(cached, ready)
    except Exception as error:  # noqa: BLE001 - a damaged cache entry is rebuilt, not fatal
        logger.warning("optimised model %s unusable (%s); optimising again", cached, error)
        cached.unlink(missing_ok=True)
        return None


KEEP_PER_MODEL = 3
"""Optimised graphs kept per model file name. Each install, runtime upgrade or new CPU saves
another (about the model's size, 63 MB for a medium voice); older ones are dropped."""


def _prune(cache_dir: Path, model: Path, keep: int) -> None:
    """Delete all but the `keep` most recently saved optimised graphs of `model`'s name."""
    stem = model.name.removesuffix(".onnx")
    entries = []
    for entry in cache_dir.glob(f"{stem}-*.ort.onnx"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry))
        except OSError:  # removed meanwhile by another process
            continue
    for _, stale in sorted(entries, reverse=True)[keep:]:
        try:
            stale.unlink()
            logger.info("removed the older optimised model %s", stale)
        except OSError as error:
            logger.debug("could not remove %s: %s", stale, error)


def aligned_model(model: Path) -> Path | bytes:
    """`model` with its phoneme durations (the graph's one `Ceil`, frames per phoneme id) as an
    extra output, serialised in memory: what Piper's alignments read. `model` itself when the
    `onnx` package is missing or the graph has no such tensor (then synthesis estimates word
    times instead)."""
    try:
        import onnx
        from piper.patch_voice_with_alignment import add_alignment_output
    except ImportError:
        logger.warning("the onnx package is missing: word times are estimated, not measured")
        return model
    graph = onnx.load(str(model))
    try:
        add_alignment_output(graph)
    except ValueError as error:  # no single Ceil tensor, or already an output
        logger.info("model %s not patched for alignments: %s", model.name, error)
        return model
    return bytes(graph.SerializeToString())


def _session(model: Path | bytes,
             options: onnxruntime.SessionOptions) -> onnxruntime.InferenceSession:
    import onnxruntime

    source = str(model) if isinstance(model, Path) else model
    return onnxruntime.InferenceSession(source, sess_options=options,
                                        providers=["CPUExecutionProvider"])


def _options(threads: int | None) -> onnxruntime.SessionOptions:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # A memory pattern plans one block for all of a run's tensors, for the shapes of its input;
    # every piece of speech has its own length, so the arena would grow around blocks of ever
    # new sizes. Without it memory stays flat with length, at the same speed (bench/longform.py).
    options.enable_mem_pattern = False
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


def _key(model: Path) -> str:
    """What the optimised graph depends on: the model file, the runtime, the CPU."""
    import onnxruntime

    stat = model.stat()
    material = "\x00".join([str(model.resolve()), str(stat.st_size), str(stat.st_mtime_ns),
                            onnxruntime.__version__, _cpu()])
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _cpu() -> str:
    """The CPU's model and instruction-set flags (Linux), else what the platform says."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    wanted = ("model name", "flags", "Features", "CPU implementer", "CPU part")
    found = {line.split(":", 1)[0].strip(): line for line in lines
             if line.split(":", 1)[0].strip() in wanted}
    return "\n".join(sorted(found.values())) or f"{platform.machine()} {platform.processor()}"


CGROUP = Path("/sys/fs/cgroup")


def default_workers(cgroup: Path = CGROUP) -> int:
    """One per core this process may use: the cores it may run on, and no more than a CPU
    quota pays for (a container's `--cpus`, which neither `os.cpu_count()` nor ONNX Runtime's
    own thread count sees). The default for pieces synthesised at once (each on one intra-op
    thread, see `Voice`), for a single run's threads, and for articles the service narrates at
    once."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = cpu_quota(cgroup)
    return max(1, min(cores, int(quota)) if quota is not None else cores)


def cpu_quota(cgroup: Path = CGROUP) -> float | None:
    """CPUs a cgroup quota allows (v2 `cpu.max`, v1 `cpu.cfs_quota_us`), None when unlimited
    or unknown. A container sees its own cgroup at the root; a process on the host reads the
    root's, which has no quota."""
    try:
        quota, period = (cgroup / "cpu.max").read_text().split()
    except (OSError, ValueError):
        try:
            quota = (cgroup / "cpu/cpu.cfs_quota_us").read_text().strip()
            period = (cgroup / "cpu/cpu.cfs_period_us").read_text().strip()
        except OSError:
            return None
    try:
        return int(quota) / int(period) if int(quota) > 0 else None
    except (ValueError, ZeroDivisionError):  # "max": no quota
        return None
