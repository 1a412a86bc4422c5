"""Book tier: 三（五） at the book's own settings: the DQN on CartPole for num_episodes = 500 (100
exploration episodes, ε from 1 to 0.01; batch 32, Adam 1e-3, γ = 1, replay buffer 10,000), over
several seeds (--book-seeds; default 5), judged by the rule in the claim; every seed's episode
scores are recorded. The update step and the action choice are compiled (spec/test_ch3_dqn.py shows
both compute the book's eager code against the NumPy reference).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

from fixtures.seeds_plugin import seeds_for
from reference import statistics as stats_ref
from spec import models_rnn_rl as M
from spec.seeded import over_seeds
from spec.test_ch3_dqn import gymnasium

SEEDS = 5
LAST = 20  # the episodes a run is judged on: its last 20
LEARNED_FACTOR = 3
MIN_LEARNED = 2


@pytest.mark.book
@pytest.mark.claim("book.dqn-learns")
def test_dqn_at_the_books_budget(device, measured, book_budget, request):
    env = gymnasium().make("CartPole-v1")
    seeds = seeds_for("book.dqn-learns", book_budget.seeds(SEEDS), request.config.getoption("--seed"))
    episodes = book_budget.of(M.NUM_EPISODES)
    random_mean = float(np.mean(M.random_policy_scores(env, seeds[0] + 1, 100)))
    last = {}
    for seed in seeds:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            scores = M.run_dqn(env, seed, episodes, device.name)
        last[seed] = float(np.mean(scores[-LAST:]))
        measured(f"score per episode, seed {seed}", scores, note="the book's t; x: episode")
    bar = LEARNED_FACTOR * random_mean
    learned = sum(score >= bar for score in last.values())
    rule = f"at least {MIN_LEARNED} of the runs score >= {LEARNED_FACTOR}x random ({bar:.1f}) over their last {LAST} episodes"
    measured(f"mean score of the last {LAST} episodes over seeds", over_seeds(last, rule), note=(
        f"random policy {random_mean:.1f}; {learned} of {len(seeds)} learned; 95% Clopper-Pearson lower bound on "
        f"the rate {stats_ref.clopper_pearson_lower(learned, len(seeds), 0.95):.3f}"))
    book_budget.judge()
    assert learned >= MIN_LEARNED, f"{learned} of {len(seeds)} runs learned (>= {bar:.1f}): {last}"
