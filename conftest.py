"""handbook-spec: plugin registration only; every fixture and hook lives in fixtures/ or ci/.

Phases, in the order pytest uses them: options and markers (each plugin adds its own options),
TensorFlow start-up per test process (fixtures.devices_plugin), claim validation and expectations
at collection, then the conformance report at the end.
"""

pytest_plugins = [
    # claims and tiers
    "fixtures.claims_plugin",
    "fixtures.tiers_plugin",
    "fixtures.order_plugin",
    # the environment a test runs in
    "fixtures.devices_plugin",
    "fixtures.seeds_plugin",
    "fixtures.hypothesis_plugin",
    "fixtures.network_guard",
    "fixtures.data_plugin",
    "fixtures.measured_plugin",
    "fixtures.shared_runs_plugin",
    # verdicts
    "ci.expectations_plugin",
    "ci.report_plugin",
    # benchmarks: timing only when asked for, and the summary JSON of a timed run
    "fixtures.benchmark_summary_plugin",
    # pytest's own plugin for running inner sessions: the harness tests in spec/meta use it
    "pytester",
]
