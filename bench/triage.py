"""Triage decisions per second on one core (goal: >= 50,000/s).

Runs the compiled default policy on a fixed, varied set of valid answers with the demo
providers, side by side with answer validation alone, so the figures are comparable:

    .venv/bin/python bench/triage.py
"""
from __future__ import annotations

import os
import random
import time

from tsunagi.domain.municipality import DEMO_FILE, load_file
from tsunagi.domain.triage.answers import AGE_BANDS, CONCERNS, DANGER, HOUSEHOLD, SUBJECTS, validate_answers
from tsunagi.domain.triage.decide import ProviderInfo, decide
from tsunagi.domain.triage.rules import load_policy


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    spec = load_file(DEMO_FILE)
    providers = [ProviderInfo(i, p.code, p.service, () if p.districts == "all" else tuple(p.districts),
                              p.districts == "all", tuple(p.languages)) for i, p in enumerate(spec.providers)]
    areas = [d.code for d in spec.districts]
    rng = random.Random(8050)
    raw = [{"subject": rng.choice(SUBJECTS), "age_band": rng.choice(AGE_BANDS),
            "pregnant": rng.choice(("yes", "no")), "danger_now": rng.choice(DANGER),
            "concerns": rng.sample(CONCERNS, rng.randint(0, 4)),
            "household": rng.sample(HOUSEHOLD, rng.randint(0, 2)), "area": rng.choice(areas)}
           for _ in range(2000)]
    parsed = [validate_answers(r, areas) for r in raw]
    policy = load_policy()

    def run(label: str, fn, items, seconds: float = 2.0) -> float:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for item in items:
                fn(item)
            n += len(items)
        rate = n / (time.perf_counter() - start)
        print(f"{label:<44} {rate:>12,.0f} /s")
        return rate

    print(f"rules {policy.version}, {len(raw)} distinct answer sets, one core")
    validate = run("validate answers", lambda r: validate_answers(r, areas), raw)
    decided = run("decide (compiled rules + provider choice)",
                  lambda a: decide(a, providers, locale="ja", policy=policy), parsed)
    both = run("validate + decide", lambda r: decide(validate_answers(r, areas), providers, policy=policy), raw)
    print(f"goal >= 50,000 decisions/s: {'met' if decided >= 50_000 else 'NOT met'} "
          f"(decide {decided:,.0f}/s; with validation {both:,.0f}/s; validation alone {validate:,.0f}/s)")


if __name__ == "__main__":
    main()
