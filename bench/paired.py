"""Paired webhook benchmark: two servers side by side, short alternating bursts.

On a shared machine the speed drifts by tens of percent within a minute, so
`ingest.py`'s best-of-rounds rates move from run to run. Here both servers are
started first and driven in turn for `--burst` seconds, `--cycles` times; each
pair of neighbouring bursts gives one ratio, and the median of those ratios is
what drift hardly moves.

    python bench/paired.py bare incidentd            # incidentd / bare aiohttp
    python bench/paired.py incidentd@../old incidentd  # this tree / another source tree

A server is `bare` (bench/bare_servers.py) or `incidentd[@SOURCE_TREE]`; an
older tree can come from `git worktree add ../old REV`. Both use this venv.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from ingest import (
    FIXTURE,
    ROOT,
    Run,
    free_port,
    measure,
    start,
    stop,
    warm_up_load_generator,
    webhook_rate,
    write_config,
)


def start_server(spec: str, directory: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server `spec` names; return it and its HTTP port."""
    kind, _, tree = spec.partition("@")
    source = Path(tree).resolve() if tree else ROOT
    http, smtp = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": str(source)}
    if kind == "bare":
        args = [sys.executable, str(ROOT / "bench/bare_servers.py"), "http", str(http)]
    elif kind == "incidentd":
        # This tree lifts its connection caps; an older tree may not know the keys.
        config = write_config(directory, http, smtp, pipeline=False,
                              connections=None if tree else 10_000)
        subprocess.run([sys.executable, "-m", "daemon", "db", "upgrade", "--config",
                        str(config)], check=True, capture_output=True, cwd=source, env=env)
        args = [sys.executable, "-m", "daemon", "serve", "--config", str(config),
                "--log-level", "WARNING"]
    else:
        raise SystemExit(f"unknown server {spec!r}: use bare or incidentd[@SOURCE_TREE]")
    return start(args, http, cwd=source, env=env), http


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("baseline", help="bare, or incidentd[@SOURCE_TREE]")
    parser.add_argument("candidate", help="bare, or incidentd[@SOURCE_TREE]")
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--burst", type=float, default=3.0, help="seconds per burst")
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    warm_up_load_generator()
    body = FIXTURE.read_bytes()
    runs: list[list[Run]] = [[], []]
    with tempfile.TemporaryDirectory(prefix="incidentd-paired-") as tmp:
        servers = []
        for n, spec in enumerate((args.baseline, args.candidate)):
            directory = Path(tmp) / str(n)
            directory.mkdir()
            servers.append(start_server(spec, directory))
        try:
            for _ in range(args.cycles):
                for n, (process, port) in enumerate(servers):
                    runs[n].append(measure(process.pid, webhook_rate(
                        port, body, args.concurrency, args.burst), args.burst))
        finally:
            for process, _ in servers:
                stop(process)
    print(f"{args.cycles} cycles of {args.burst:g} s bursts, concurrency {args.concurrency}, "
          f"load average {os.getloadavg()[0]:.1f}")
    for spec, measured in zip((args.baseline, args.candidate), runs, strict=True):
        errors = sum(r.errors for r in measured)
        print(f"{spec:<32} median {statistics.median(r.rate for r in measured):7.0f}/s, "
              f"{statistics.median(r.cpu_ms for r in measured):.3f} ms CPU each"
              f"{f', {errors} errors' if errors else ''}")
    ratios = [b.rate / a.rate for a, b in zip(runs[0], runs[1], strict=True)]
    print(f"candidate / baseline: median {statistics.median(ratios):.2f} "
          f"(from {min(ratios):.2f} to {max(ratios):.2f} over the pairs)")


if __name__ == "__main__":
    main()
