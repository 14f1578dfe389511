"""What furigana cost: the kiosk's Japanese journey walked with furigana off and on, side
by side in one run (alternating, each walk a new visitor, through the Flask test client on
a throwaway SQLite database). Prints the median time of each screen's GET, the ratio on/off
and the gzip weight of each screen. The first round warms the caches, as on a kiosk that
has served the pages once.

    .venv/bin/python bench/furigana.py [rounds] [locale]
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from page_weight import Journey, demo_app, gz  # noqa: E402


class Timed(Journey):
    def __init__(self, client):
        super().__init__(client)
        self.times: dict[str, float] = {}

    def get(self, name: str, url: str) -> str:
        started = time.perf_counter()
        html = super().get(name, url)
        self.times[name] = time.perf_counter() - started
        return html


def main(rounds: int = 15, locale: str = "ja") -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app, engine = demo_app(tmp)
        times: dict[tuple[str, str], list[float]] = {}
        weights: dict[tuple[str, str], int] = {}
        names: list[str] = []
        for round_ in range(rounds + 1):
            modes = ("0", "1") if round_ % 2 else ("1", "0")
            for mode in modes:
                walk = Timed(app.test_client())
                walk.run(locale, f"?furigana={mode}")
                names = [name for name, _html, _assets in walk.screens]
                for name, html, _assets in walk.screens:
                    weights[(name, mode)] = gz(html)
                    if round_:
                        times.setdefault((name, mode), []).append(walk.times[name])
        print(f"kiosk journey in {locale!r}, furigana off vs on, {rounds} rounds each "
              "(median ms per GET, gzip KB of the HTML)")
        print(f"{'screen':<22}{'off ms':>8}{'on ms':>8}{'ratio':>7}{'off KB':>8}{'on KB':>7}")
        ratios, total_off, total_on = [], 0, 0
        for name in names:
            off = statistics.median(times[(name, "0")]) * 1000
            on = statistics.median(times[(name, "1")]) * 1000
            ratios.append(on / off)
            total_off += weights[(name, "0")]
            total_on += weights[(name, "1")]
            print(f"{name:<22}{off:>8.2f}{on:>8.2f}{on / off:>7.2f}"
                  f"{weights[(name, '0')] / 1024:>8.1f}{weights[(name, '1')] / 1024:>7.1f}")
        print(f"median time ratio on/off across screens: {statistics.median(ratios):.2f}; "
              f"HTML of the journey {total_off / 1024:.1f} KB off, {total_on / 1024:.1f} KB on "
              f"(ratio {total_on / total_off:.2f})")
        app.extensions["tsunagi.db"].kw["bind"].dispose()
        engine.dispose()


if __name__ == "__main__":
    main(*[int(sys.argv[1])] if len(sys.argv) > 1 else [], *sys.argv[2:3])
