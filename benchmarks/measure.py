"""Run one command under a time and memory cap and report its wall time and peak memory.

Usage (the harness calls it; it is a process of its own on purpose)::

    python -m benchmarks.measure --timeout 600 --memory-cap-gib 8 --report out.json -- cmd ...

Why a wrapper process per measured run: `getrusage(RUSAGE_CHILDREN)` reports
the largest resident set of any waited-for descendant, summed over nothing
and never reset, so a fresh wrapper per run gives exactly that run's peak.
It is the peak of the largest single process of the run; dbt runs its
Python model inside its own process and the baseline and the scan floor are
single processes, so that is the peak of the whole job.

The memory cap watches the resident memory of the child's whole process
tree (psutil, every `POLL_SECONDS`) and kills the tree when the sum passes
the cap. An address-space limit (`RLIMIT_AS`) was tried first and rejected:
DuckDB's allocator reserves far more address space than it touches, so a
build failed an `RLIMIT_AS` well above the memory it held while pandas, which
touches what it reserves, did not; the cap would not have meant the same
thing for both. The time cap kills the tree too. `peak_rss_bytes` is the larger of
the kernel's figure and the largest sampled tree total.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

GIB = 1024**3
# Messages an allocation failure leaves in the output of Python, numpy,
# scikit-learn (C++ containers) and DuckDB.
MEMORY_ERROR_MARKERS = (
    "MemoryError",
    "Unable to allocate",
    "std::bad_alloc",
    "Out of Memory Error",
    "Cannot allocate memory",
    "failed to allocate",
)
OUTPUT_TAIL_CHARS = 4000
POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Measurement:
    """One measured run: how it ended, how long it took, how much memory it held at most.

    `status` is `ok`, `failed` (non-zero exit that is not a cap), `dnf_time`
    or `dnf_memory` (did not finish: a cap was hit).
    """

    status: str
    wall_seconds: float
    peak_rss_bytes: int
    returncode: int | None
    output_tail: str

    @property
    def finished(self) -> bool:
        return self.status == "ok"


def classify(returncode: int | None, cap_hit: str | None, output: str) -> str:
    """Say how a run ended; a cap counts only when the run shows it hit that cap.

    Besides the watchdog's own kills, an allocation failure in the output or
    SIGKILL from the kernel's out-of-memory killer count as the memory cap.
    """
    if cap_hit:
        return cap_hit
    if returncode == 0:
        return "ok"
    if returncode == -signal.SIGKILL or any(m in output for m in MEMORY_ERROR_MARKERS):
        return "dnf_memory"
    return "failed"


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants (processes that vanish count 0)."""
    total = 0
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return total


def _kill_tree(proc: subprocess.Popen) -> None:
    """Kill the child's process group (it was started in a session of its own)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def measure(
    cmd: list[str],
    timeout_seconds: float,
    memory_cap_bytes: int | None,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Run `cmd` in this process's care and measure it; its output goes to `log_path`.

    Call it in a process that has run no other child (see the module docstring).
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    cap_hit: str | None = None
    sampled_peak = 0
    with log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True
        )
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            rss = tree_rss(watched)
            sampled_peak = max(sampled_peak, rss)
            if memory_cap_bytes and rss > memory_cap_bytes:
                cap_hit = "dnf_memory"
            elif time.perf_counter() - started > timeout_seconds:
                cap_hit = "dnf_time"
            if cap_hit:
                _kill_tree(proc)
                break
            time.sleep(POLL_SECONDS)
    wall = time.perf_counter() - started
    # ru_maxrss is in KiB on Linux.
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, sampled_peak)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    status = classify(proc.returncode, cap_hit, output[-OUTPUT_TAIL_CHARS * 4 :])
    return Measurement(status, round(wall, 3), peak, proc.returncode, output[-OUTPUT_TAIL_CHARS:])


def run_measured(
    cmd: list[str],
    timeout_seconds: float,
    memory_cap_bytes: int | None,
    log_path: Path,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Measurement:
    """Measure `cmd` through a fresh wrapper process, so its peak memory is its own."""
    report = log_path.with_suffix(".measure.json")
    wrapper = [
        sys.executable,
        "-m",
        "benchmarks.measure",
        "--timeout",
        str(timeout_seconds),
        "--memory-cap-bytes",
        str(memory_cap_bytes or 0),
        "--log",
        str(log_path),
        "--report",
        str(report),
        "--",
        *cmd,
    ]
    project_root = Path(__file__).resolve().parents[1]
    wrapper_env = {**(env or os.environ)}
    wrapper_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(project_root), wrapper_env.get("PYTHONPATH", "")) if p
    )
    # The wrapper itself never runs longer than the cap plus the time to kill and report.
    subprocess.run(wrapper, env=wrapper_env, cwd=cwd, check=True, timeout=timeout_seconds + 120)
    return Measurement(**json.loads(report.read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of the wrapper."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.measure", description=__doc__)
    parser.add_argument("--timeout", type=float, required=True, help="wall-clock cap, seconds")
    parser.add_argument(
        "--memory-cap-bytes", type=int, default=0, help="resident memory cap (0: none)"
    )
    parser.add_argument("--log", type=Path, required=True, help="file for the run's output")
    parser.add_argument("--report", type=Path, required=True, help="JSON measurement written here")
    parser.add_argument("cmd", nargs=argparse.REMAINDER, help="-- then the command to measure")
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("no command given after --")
    result = measure(cmd, args.timeout, args.memory_cap_bytes or None, args.log)
    args.report.write_text(json.dumps(asdict(result), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
