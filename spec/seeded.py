"""Claims judged over several seeds: the per-seed results and their summary, as the report records
them (a rule is stated in each claim; reference.statistics holds the arithmetic)."""
from __future__ import annotations

from reference.statistics import mean_and_spread


def over_seeds(per_seed: dict[int, float], rule: str) -> dict:
    """{per_seed, n, mean, std, min, max, rule}: what `measured` records for a claim over seeds."""
    return {"per_seed": {str(seed): value for seed, value in per_seed.items()}, **mean_and_spread(
        list(per_seed.values())), "rule": rule}
