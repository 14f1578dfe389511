"""The kiosk stays light: bench/page_weight.py's figures against the goals (first screen
<= 30 KB, whole journey <= 60 KB, gzip). Sizes, not timings: the result is deterministic."""
from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT


def test_first_screen_and_whole_journey_within_the_goals():
    out = subprocess.run([sys.executable, "bench/page_weight.py", "ja"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    screens = re.findall(r"^(language picker|welcome|step \w+|review|consent|receipt) ", out, re.M)
    assert len(screens) == 12, out
    first = float(re.search(r"^first screen: ([\d.]+) KB", out, re.M).group(1))
    journey = float(re.search(r"^whole journey \(12 screens, assets once\): ([\d.]+) KB", out, re.M).group(1))
    assert 0 < first <= 30 and first < journey <= 60, out
