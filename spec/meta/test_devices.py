"""Device selection (pure, with a faked device list) and the `device` parameterisation (inner
sessions: in-process with faked devices, and one subprocess on two real logical CPUs)."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

import fixtures.devices_plugin as devices_plugin
from fixtures.devices import DeviceParam, device_id, device_params, same_device
from spec.meta.inner_sessions import ROOT, QUIET, root_plugins, use_plugins, write_claims

pytestmark = pytest.mark.meta


def fake(name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name, device_type=name.rsplit(":", 2)[-2])


LISTED = [fake("/device:CPU:0"), fake("/device:CPU:1"), fake("/device:GPU:0")]


def ids(params) -> list[str]:
    return [p.id for p in params]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("/device:CPU:0", "cpu"),
        ("/device:CPU:1", "cpu1"),
        ("/device:GPU:0", "gpu"),
        ("/job:localhost/replica:0/task:0/device:GPU:1", "gpu1"),
        ("/physical_device:CPU:0", "cpu"),
    ],
)
def test_device_id_is_the_short_lower_case_form(name, expected):
    assert device_id(name) == expected


def test_all_listed_devices_by_default():
    for selection in (None, "", "all", " ALL "):
        params = device_params(LISTED, selection)
        assert ids(params) == ["cpu", "cpu1", "gpu"], selection
        assert [p.name for p in params] == ["/device:CPU:0", "/device:CPU:1", "/device:GPU:0"]
        assert [p.device_type for p in params] == ["CPU", "CPU", "GPU"]
        assert all(p.available for p in params)
        assert str(params[1]) == "cpu1"


def test_long_device_names_are_shortened_for_tf_device():
    params = device_params([fake("/job:localhost/replica:0/task:0/device:CPU:0")])
    assert params == [DeviceParam("cpu", "/device:CPU:0", "CPU")]


@pytest.mark.parametrize(
    "selection, expected",
    [
        ("cpu", ["cpu"]),
        ("gpu", ["gpu"]),
        ("cpu1,gpu", ["cpu1", "gpu"]),
        ("GPU, cpu", ["gpu", "cpu"]),
        ("cpu*", ["cpu", "cpu1"]),
        ("cpu*,cpu", ["cpu", "cpu1"]),  # no duplicates
        ("tpu*", []),  # a glob that matches nothing selects nothing
        ("all,gpu", ["cpu", "cpu1", "gpu"]),
        ("cpu,,", ["cpu"]),
    ],
)
def test_selection_by_id_glob_and_all(selection, expected):
    params = device_params(LISTED, selection)
    assert ids(params) == expected
    assert all(p.available for p in params)


def test_a_selected_device_that_is_not_listed_is_kept_unavailable():
    params = device_params(LISTED, "cpu,gpu1")
    assert ids(params) == ["cpu", "gpu1"]
    assert params[0].available
    assert params[1] == DeviceParam("gpu1", "/device:GPU:1", "GPU", available=False)


@pytest.mark.parametrize("token", ["1gpu", "gpu-1", "cpu:0", "#"])
def test_a_token_that_is_no_device_id_is_a_value_error(token):
    with pytest.raises(ValueError, match="--devices"):
        device_params(LISTED, f"cpu,{token}")


def test_an_explicit_index_zero_selects_the_listed_device():
    params = device_params(LISTED, "cpu0")
    assert [(p.name, p.available) for p in params] == [("/device:CPU:0", True)]


def test_an_unlisted_id_given_twice_is_selected_once():
    assert ids(device_params(LISTED, "gpu1,gpu1")) == ["gpu1"]


@pytest.mark.parametrize(
    "tensor_device, wanted, expected",
    [
        ("/job:localhost/replica:0/task:0/device:CPU:0", "/device:CPU:0", True),
        ("/job:localhost/replica:0/task:0/device:CPU:1", "/device:CPU:0", False),
        ("/job:localhost/replica:0/task:0/device:GPU:0", "/device:CPU:0", False),
        ("/device:gpu:0", "/device:GPU:0", True),
    ],
)
def test_same_device_compares_type_and_index(tensor_device, wanted, expected):
    param = DeviceParam(device_id(wanted), wanted, wanted.rsplit(":", 2)[-2])
    assert same_device(tensor_device, param) is expected


def test_assert_on_device_names_both_devices_when_it_fails():
    param = DeviceParam("cpu1", "/device:CPU:1", "CPU")
    devices_plugin.assert_on_device(SimpleNamespace(device="/job:localhost/replica:0/task:0/device:CPU:1"), param)
    with pytest.raises(AssertionError, match=r"device:CPU:0.*expected device cpu1"):
        devices_plugin.assert_on_device(SimpleNamespace(device="/job:localhost/replica:0/task:0/device:CPU:0"), param)


# -- the parameterisation, in an inner session with a faked device list ------------------------

RECORD_DEVICE = """
def test_where(device):
    assert device.id in {"cpu", "cpu1", "gpu", "gpu1"}
"""


@pytest.fixture
def faked_devices(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Inner sessions see LISTED; TensorFlow start-up is stubbed (the outer process already did it)."""
    monkeypatch.setattr(devices_plugin, "visible_devices", lambda: list(LISTED))
    monkeypatch.setattr(devices_plugin, "start_tensorflow", lambda *args: {"logical_devices": [d.name for d in LISTED]})
    use_plugins(pytester, "fixtures.devices_plugin")
    pytester.makepyfile(test_where=RECORD_DEVICE)

    def run(*args: str):
        return pytester.inline_run(*QUIET, *args)

    return run


def _call_reports(reprec):
    return [r for r in reprec.getreports("pytest_runtest_logreport") if r.when == "call"]


def test_each_listed_device_is_one_test_instance(faked_devices):
    reprec = faked_devices()
    reprec.assertoutcome(passed=3)
    assert [r.nodeid.split("::")[-1] for r in _call_reports(reprec)] == [
        "test_where[cpu]",
        "test_where[cpu1]",
        "test_where[gpu]",
    ]


def test_devices_option_narrows_the_instances(faked_devices):
    reprec = faked_devices("--devices", "cpu*")
    assert [r.nodeid.split("::")[-1] for r in _call_reports(reprec)] == ["test_where[cpu]", "test_where[cpu1]"]


def test_an_unlisted_selected_device_is_a_skip_naming_it(faked_devices):
    reprec = faked_devices("--devices", "gpu1")
    passed, skipped, failed = reprec.listoutcomes()
    assert not passed and not failed
    assert [r.nodeid.split("::")[-1] for r in skipped] == ["test_where[gpu1]"]
    reason = skipped[0].longrepr[2]
    assert "gpu1" in reason and "/device:GPU:1" in reason


def test_a_selection_matching_nothing_skips_with_a_reason(faked_devices):
    reprec = faked_devices("--devices", "tpu*")
    passed, skipped, failed = reprec.listoutcomes()
    assert not passed and not failed and len(skipped) == 1
    assert "--devices selected no device" in skipped[0].longrepr[2]


def test_an_invalid_devices_value_stops_the_run_naming_it(faked_devices, pytester):
    result = pytester.runpytest_inprocess(*QUIET, "--tb=line", "--devices", "cpu,1gpu")
    assert result.ret != pytest.ExitCode.OK
    assert "'1gpu' is not a device id" in result.stdout.str() + result.stderr.str()


def test_an_invalid_devices_value_is_a_usage_error(faked_devices, pytester):
    result = pytester.runpytest_inprocess(*QUIET, "--tb=line", "--devices", "cpu,1gpu")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


# -- the real thing: two logical CPUs in a fresh process ---------------------------------------

MATMUL_ON_DEVICE = """
import pytest
import tensorflow as tf

from fixtures.devices_plugin import assert_on_device


@pytest.mark.claim("meta.matmul-on-device")
def test_matmul(device):
    with tf.device(device.name):
        product = tf.matmul(tf.constant([[1.0, 2.0]]), tf.constant([[3.0], [4.0]]))
    assert_on_device(product, device)
    assert float(product[0, 0]) == 11.0
"""


@pytest.mark.subprocess
def test_two_logical_cpus_run_the_test_on_each(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # hypothesis/benchmark/xdist: not needed, 1.5 s
    use_plugins(pytester, *root_plugins())
    claims = write_claims(pytester, ["meta.matmul-on-device"])
    pytester.makepyfile(test_on_devices=MATMUL_ON_DEVICE)
    result = pytester.runpytest_subprocess(
        *QUIET, "-v", f"--claims-file={claims}", "--expectations", "none", "--cpu-logical-devices", "2",
        timeout=240,
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        ["*test_on_devices.py::test_matmul[[]cpu[]] PASSED*", "*test_on_devices.py::test_matmul[[]cpu1[]] PASSED*"]
    )
