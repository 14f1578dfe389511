"""P2: the kiosk's first screen against a minimal GET, side by side, same gunicorn settings.

Starts tsunagi on a fresh SQLite demo database and bench/minimal_app.py (its `GET /`
answers "ok") with the same gunicorn.conf.py (WEB_CONCURRENCY and GUNICORN_THREADS apply
to both), then `--rounds` interleaved rounds of `--seconds` each of `--connections` client
threads: the language screen a kiosk opens with (`/k/lib-chuo/`), the first question
screen in Japanese with furigana (`/k/lib-chuo/ja/?furigana=1` is the welcome page), and
the minimal GET. Prints requests per second, p50 and p99 per round and the ratios
tsunagi / minimal.

    .venv/bin/python bench/pages.py [--seconds 6] [--rounds 3] [--connections 16]

Read the ratios; absolute figures depend on the machine's load.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.submit import load, server_settings, side_by_side  # noqa: E402

PAGES = {"language": "/k/lib-chuo/", "welcome ja": "/k/lib-chuo/ja/", "welcome ja+furigana": "/k/lib-chuo/ja/?furigana=1"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with side_by_side() as (_token, tsunagi_port, minimal_port):
        print(f"# bench/pages.py: {args.connections} connections, {args.rounds} x {args.seconds:g} s rounds, "
              f"{server_settings()}")
        print(f"{'round':<6} {'what':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        ratios: dict[str, list[float]] = {name: [] for name in PAGES}
        for r in range(1, args.rounds + 1):
            figures = {name: load(tsunagi_port, path, None, dict, args.connections, args.seconds, "GET", 200)
                       for name, path in PAGES.items()}
            base = load(minimal_port, "/", None, dict, args.connections, args.seconds, "GET", 200)
            for name, fig in [*figures.items(), ("minimal GET", base)]:
                print(f"{r:<6} {name:<22} {fig['rps']:>8.1f} {fig['p50']:>8.1f} {fig['p99']:>8.1f} {fig['errors']:>7}")
            for name, fig in figures.items():
                ratios[name].append(fig["rps"] / base["rps"] if base["rps"] else float("nan"))
        for name, values in ratios.items():
            print(f"ratio {name} / minimal GET (req/s): {', '.join(f'{x:.2f}' for x in values)}; "
                  f"median {statistics.median(values):.2f}  (goal >= 0.7)")


if __name__ == "__main__":
    main()
