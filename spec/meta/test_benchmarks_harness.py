"""The benchmarks' harness: spec/benchmarks/ needs no claim (other spec tests still do), timing is
opt-in and the untimed run checks each body once, expensive untimed checks move to the slow tier,
and the summary plugin's pure functions turn benchmark records into flat ratios."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from fixtures import benchmark_summary_plugin as summary
from spec.meta.inner_sessions import CLAIMS, QUIET, use_plugins, write_claims

pytestmark = pytest.mark.meta

SUMMARY = "fixtures.benchmark_summary_plugin"


# ------------------------------------------------------------------ claims: benchmarks are exempt


def test_a_spec_benchmark_needs_no_claim_while_other_spec_tests_still_do(pytester):
    use_plugins(pytester, CLAIMS)
    claims = write_claims(pytester, ["meta.known"])
    pytester.mkdir("spec")
    pytester.mkdir("spec/benchmarks")
    pytester.makepyfile(**{"spec/benchmarks/test_bench_free": "def test_measures():\n    assert 1 + 1 == 2\n"})
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}")
    result.assert_outcomes(passed=1)

    pytester.makepyfile(**{"spec/test_unclaimed": "def test_claims_nothing():\n    pass\n"})
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = result.stdout.str() + result.stderr.str()
    assert "spec/test_unclaimed.py::test_claims_nothing" in text and "without @pytest.mark.claim" in text
    assert "test_bench_free" not in text, "the benchmark was reported as needing a claim"


def test_a_folder_merely_named_like_benchmarks_elsewhere_in_spec_is_not_exempt(pytester):
    use_plugins(pytester, CLAIMS)
    claims = write_claims(pytester, ["meta.known"])
    pytester.mkdir("spec")
    pytester.mkdir("spec/chapter")
    pytester.mkdir("spec/chapter/benchmarks")
    pytester.makepyfile(**{"spec/chapter/benchmarks/test_x": "def test_unclaimed():\n    pass\n"})
    result = pytester.runpytest_inprocess(*QUIET, f"--claims-file={claims}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


# ------------------------------------------------------------------ timing policy, end to end

BENCHMARKS = """
import pytest

CALLS = []


def test_cheap(benchmark):
    benchmark.extra_info.update(workload="toy", variant="slow_way", device="cpu", units=10, unit="steps",
                                baseline=True)
    result = benchmark.pedantic(lambda: CALLS.append("cheap") or sum(range(1000)), rounds=3, warmup_rounds=0)
    assert result == 499500
    assert CALLS.count("cheap") == (3 if benchmark.enabled else 1)


@pytest.mark.slow_when_untimed
def test_dear(benchmark):
    benchmark.extra_info.update(workload="toy", variant="fast_way", device="cpu", units=10, unit="steps")
    assert benchmark.pedantic(lambda: sum(range(10)), rounds=3, warmup_rounds=0) == 45
"""


@pytest.fixture
def bench_inner(pytester, monkeypatch):
    # pytest-benchmark switches itself off inside an xdist worker; the inner session is not one.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    use_plugins(pytester, "fixtures.tiers_plugin", SUMMARY)
    pytester.makepyfile(test_benches=BENCHMARKS)

    def run(*args: str):
        reprec = pytester.inline_run(*QUIET, "-p", "no:xdist", *args)
        passed, skipped, failed = reprec.listoutcomes()
        assert not failed, [r.longrepr for r in failed]
        return sorted(r.nodeid.split("::")[-1] for r in passed), {r.nodeid.split("::")[-1]: r.longrepr[2]
                                                                  for r in skipped}

    return run


def test_a_plain_run_checks_each_body_once_and_moves_dear_checks_to_the_slow_tier(pytester, bench_inner):
    passed, skipped = bench_inner()
    assert passed == ["test_cheap"]
    assert "slow tier" in skipped["test_dear"], skipped
    assert not (pytester.path / summary.DEFAULT_SUMMARY).exists(), "an untimed run wrote a summary"
    passed, _ = bench_inner("--tier=slow")
    assert passed == ["test_dear"]


def test_benchmark_only_times_every_benchmark_and_writes_the_default_summary(pytester, bench_inner):
    passed, skipped = bench_inner("--benchmark-only")
    assert passed == ["test_cheap", "test_dear"] and not skipped
    written = json.loads((pytester.path / summary.DEFAULT_SUMMARY).read_text(encoding="utf-8"))
    assert set(written) == {"machine", "ratios", "workloads"}
    assert "toy.cpu.fast_way.speedup_vs_slow_way" in written["ratios"]
    assert all(isinstance(v, float) for v in written["ratios"].values()), written["ratios"]
    assert written["workloads"]["toy"]["test_cheap"]["rounds"] == 3


def test_an_explicit_summary_path_is_honoured(pytester, bench_inner):
    bench_inner("--benchmark-only", "--benchmark-summary=out/s.json", "-k", "cheap")
    assert (pytester.path / "out" / "s.json").is_file()
    assert not (pytester.path / summary.DEFAULT_SUMMARY).exists()


# ------------------------------------------------------------------ pure functions


def test_timing_is_requested_only_by_measuring_options():
    assert not summary.timing_requested({})
    assert not summary.timing_requested({"benchmark_only": False, "benchmark_disable": True, "benchmark_skip": True})
    for option in summary.TIMING_OPTIONS:
        assert summary.timing_requested({option: "x"}), option


def test_summary_path_default_only_with_benchmark_only(tmp_path):
    assert summary.summary_path(None, False, tmp_path) is None
    assert summary.summary_path(None, True, tmp_path) == tmp_path / "reports" / "benchmark-summary.json"
    assert summary.summary_path("a/b.json", False, tmp_path) == tmp_path / "a" / "b.json"
    absolute = tmp_path / "elsewhere.json"
    assert summary.summary_path(str(absolute), True, Path("/nowhere")) == absolute


def rec(name, seconds, **info):
    return {"name": name, "group": info.get("workload"), "stats": {"min": seconds, "median": seconds * 1.5,
                                                                     "mean": seconds * 2, "rounds": 3,
                                                                     "iterations": 1},
            "extra_info": info}


RECORDS = [
    rec("eager[cpu]", 1.0, workload="linreg", variant="eager", device="cpu", units=50, unit="steps", baseline=True),
    rec("loop[cpu]", 0.5, workload="linreg", variant="loop", device="cpu", units=10_000, unit="steps"),
    rec("numpy", 0.25, workload="linreg", variant="numpy", device="host", units=10_000, unit="steps"),
    rec("eager[gpu]", 2.0, workload="linreg", variant="eager", device="gpu", units=50, unit="steps", baseline=True),
    rec("np4", 1e-6, workload="matmul", variant="numpy", device="host", units=1, unit="calls", flops=128, size=4,
        baseline=True),
    rec("tf4", 2e-6, workload="matmul", variant="tf", device="cpu", units=1, unit="calls", flops=128, size=4),
    rec("tf8", 1e-6, workload="matmul", variant="tf", device="cpu", units=1, unit="calls", flops=1024, size=8),
    rec("cnn", 1.0, workload="cnn_step", variant="xla", device="cpu", units=64, unit="samples", flops=0.512e3,
        vs_peak=True),
    rec("save", 0.5, workload="checkpoint", variant="save", device="cpu", units=13e6, unit="bytes"),
    {"name": "unlabelled", "stats": {"min": 1.0}, "extra_info": {}},
    rec("never timed", 0.0, workload="linreg", variant="broken", device="cpu", units=1, unit="steps"),
]


def test_ratios_are_flat_numbers_from_the_minimum_time():
    ratios = summary.compute_ratios(RECORDS)
    assert all(isinstance(k, str) and isinstance(v, float) for k, v in ratios.items())
    assert ratios["linreg.cpu.eager.steps_per_s"] == 50.0
    assert ratios["linreg.cpu.loop.steps_per_s"] == 20_000.0
    assert ratios["linreg.cpu.loop.speedup_vs_eager"] == 400.0  # per step, though the calls did different work
    assert ratios["linreg.host.numpy.steps_per_s"] == 40_000.0
    assert not any("broken" in k for k in ratios) and not any("unlabelled" in k for k in ratios)


def test_host_variants_are_compared_with_every_device_baseline():
    ratios = summary.compute_ratios(RECORDS)
    assert ratios["linreg.cpu.numpy.speedup_vs_eager"] == 800.0
    assert ratios["linreg.gpu.numpy.speedup_vs_eager"] == 1600.0
    assert "linreg.gpu.loop.speedup_vs_eager" not in ratios  # the cpu loop is not a gpu variant


def test_matmul_ratios_per_size_and_the_measured_peak():
    ratios = summary.compute_ratios(RECORDS)
    assert ratios["matmul.cpu.n4.tf.speedup_vs_numpy"] == 0.5
    assert ratios["matmul.host.n4.numpy.gflops"] == pytest.approx(0.128)
    assert ratios["matmul.peak_gflops"] == pytest.approx(1.024)
    assert not any(k.endswith("calls_per_s") for k in ratios)


def test_fraction_of_peak_and_megabytes_per_second():
    ratios = summary.compute_ratios(RECORDS)
    assert ratios["cnn_step.cpu.xla.gflops"] == pytest.approx(0.512e-6)
    assert ratios["cnn_step.cpu.xla.fraction_of_peak"] == pytest.approx(0.512e-6 / 1.024)
    assert ratios["checkpoint.cpu.save.MB_per_s"] == 26.0


def test_no_peak_without_the_matmul_group():
    ratios = summary.compute_ratios([r for r in RECORDS if r["extra_info"].get("workload") != "matmul"])
    assert "matmul.peak_gflops" not in ratios and not any(k.endswith("fraction_of_peak") for k in ratios)


def test_a_baseline_on_the_same_device_wins_over_a_host_baseline():
    records = [
        rec("host", 1.0, workload="w", variant="numpy", device="host", units=1, unit="steps", baseline=True),
        rec("cpu_base", 0.5, workload="w", variant="eager", device="cpu", units=1, unit="steps", baseline=True),
        rec("cpu_fast", 0.25, workload="w", variant="graph", device="cpu", units=1, unit="steps"),
    ]
    ratios = summary.compute_ratios(records)
    assert ratios["w.cpu.graph.speedup_vs_eager"] == 2.0
    assert ratios["w.cpu.numpy.speedup_vs_eager"] == 0.5


def test_workload_table_and_summary_shape():
    built = summary.build_summary(RECORDS[:2], {"cpu_count": 2})
    assert set(built) == {"machine", "ratios", "workloads"}
    eager = built["workloads"]["linreg"]["eager[cpu]"]
    assert eager["min_s"] == 1.0 and eager["median_s"] == 1.5 and eager["rounds"] == 3
    assert eager["min_s_per_unit"] == 1.0 / 50 and eager["variant"] == "eager"
    json.dumps(built)  # serialisable as is


def test_the_book_tiers_per_example_times_join_the_summary():
    from fixtures.benchmark_summary_plugin import book_tier_times, build_summary

    report = {"seconds": 3000.0, "created": "2026-12-01T00:00:00+00:00", "options": {"book_seeds": None},
              "claims": [{"id": "book.mlp-accuracy", "tests": [{"nodeid": "spec/book/test_book_mnist.py::t", "outcome": "passed",
                                                                "duration": 200.0}]},
                         {"id": "keras-pipeline.mnist-trains", "tests": [{"nodeid": "spec/test_ch3_keras_pipeline.py::t",
                                                                          "outcome": "skipped", "duration": 0.1}]},
                         {"id": "tensors.zeros", "tests": [{"nodeid": "spec/test_ch2_tensors.py::t", "outcome": "skipped",
                                                            "duration": 0.0}]}]}
    times = book_tier_times(report)
    assert times["per_claim_seconds"] == {"book.mlp-accuracy": 200.0} and times["run_seconds"] == 3000.0
    assert build_summary([], {}, report)["book_tier"] == times and "book_tier" not in build_summary([], {})
