"""The conformance matrix's environments (ci/matrix_environments.toml), their locks, and how
`python -m ci.matrix` installs and runs them."""
from __future__ import annotations

import pytest

from ci import lock
from ci import matrix as matrix_command
from ci.matrix_config import MatrixConfigError, MatrixEnvironment, load_environments, release_order, select

pytestmark = pytest.mark.meta

RELEASES = [f"2.{minor}" for minor in range(12, 22)]


def by_name() -> dict[str, MatrixEnvironment]:
    return {e.name: e for e in load_environments()}


def test_every_tensorflow_release_from_2_12_to_2_21_is_an_environment():
    envs = load_environments()
    assert release_order(envs) == RELEASES + ["next"]
    names = {e.name for e in envs}
    for release in RELEASES:
        minor = int(release.split(".")[1])
        if minor <= 15:
            expected = {f"tf{release}-keras2-np1"}  # Keras 2 was TF's own Keras until 2.15
        else:  # Keras 3 and tf-keras from 2.16 on; NumPy 2 is supported from 2.18 on
            nps = ("1", "2") if minor >= 18 else ("1",)
            expected = {f"tf{release}-{flavour}-np{n}" for flavour in ("keras3", "tf-keras") for n in nps}
        assert expected <= names, f"{release}: missing {sorted(expected - names)}"
    assert "tf-cpu2.21-keras3-np2" in names


def test_next_is_nightly_unlocked_and_allowed_to_fail():
    nxt = by_name()["next"]
    assert {"tf-nightly", "keras-nightly"} <= set(nxt.requirements)
    assert nxt.allowed_to_fail and not nxt.locked and not nxt.push
    assert nxt.detected_ok("tf-nightly2.22-keras3-np2") and not nxt.detected_ok("tf2.21-keras3-np2")
    assert not any(e.allowed_to_fail for e in load_environments() if e.name != "next")


def test_the_tf_keras_environments_ask_for_legacy_keras():
    for env in load_environments():
        legacy = env.variables.get("TF_USE_LEGACY_KERAS") == "1"
        assert legacy == ("-tf-keras-" in env.name), env.name
        assert ("legacy-keras" in env.extras) == legacy, env.name


def test_every_lock_is_current():
    stale = [e.name for e in load_environments() if e.locked and not lock.is_current(e)]
    assert not stale, f"locks older than pyproject.toml or their environment: {stale}; run python -m ci.lock"


def test_the_install_command_is_the_readmes_with_the_pins_and_the_lock(tmp_path):
    env = by_name()["tf2.15-keras2-np1"]
    command = matrix_command.install_command(env, tmp_path / "bin/python", "pip")
    assert command[1:5] == ["-m", "pip", "install", "--quiet"] and command[5] == env.requirement()
    assert env.requirement().startswith(".[all")
    assert "tensorflow==2.15.1" in command
    assert command[-2:] == ["-c", str(env.lock)]
    uv = matrix_command.install_command(env, tmp_path / "bin/python", "uv")
    assert uv[:3] == ["uv", "pip", "install"] and "--python" in uv and uv[-2:] == ["-c", str(env.lock)]
    assert "-c" not in matrix_command.install_command(by_name()["next"], tmp_path / "bin/python", "pip")


def test_a_venv_is_reused_only_while_what_it_installs_is_unchanged(tmp_path, monkeypatch):
    env = MatrixEnvironment("tf-x", "2.99", "", "3.11", ("all",), locked=False)
    other = MatrixEnvironment("tf-x", "2.99", "", "3.11", ("all", "legacy-keras"), locked=False)
    pinned = MatrixEnvironment("tf-x", "2.99", "", "3.11", ("all",), ("numpy<2",), locked=False)
    assert env.stamp() == MatrixEnvironment("tf-x", "2.99", "", "3.11", ("all",), locked=False).stamp()
    assert len({env.stamp(), other.stamp(), pinned.stamp()}) == 3
    venv = tmp_path / "tf-x"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").write_text("")
    (venv / matrix_command.STAMP).write_text(env.stamp())
    monkeypatch.setattr(matrix_command.subprocess, "run", lambda *a, **k: pytest.fail(f"would run {a}"))
    assert matrix_command.prepare_venv(env, tmp_path, "pip", rebuild=False) == (venv / "bin" / "python", None)


def test_a_locked_environment_without_its_lock_is_a_problem_not_a_guess(tmp_path):
    env = MatrixEnvironment("tf-nothing", "2.99", "", "3.11", ("all",))
    python, problem = matrix_command.prepare_venv(env, tmp_path, "pip", rebuild=False)
    assert "no lock file" in problem and "python -m ci.lock --envs=tf-nothing" in problem


def test_the_child_environment_sets_the_variables_and_drops_the_callers(monkeypatch):
    monkeypatch.setenv("TF_USE_LEGACY_KERAS", "1")
    monkeypatch.setenv("VIRTUAL_ENV", "/somewhere")
    plain = MatrixEnvironment("a", "2.99", "", "3.11", ("all",))
    legacy = MatrixEnvironment("b", "2.99", "", "3.11", ("all",), variables={"TF_USE_LEGACY_KERAS": "1"})
    assert "TF_USE_LEGACY_KERAS" not in matrix_command.child_environ(plain)
    assert "VIRTUAL_ENV" not in matrix_command.child_environ(plain)
    assert matrix_command.child_environ(legacy)["TF_USE_LEGACY_KERAS"] == "1"


def test_pytest_command_runs_the_readme_test_command_with_a_report(tmp_path):
    command = matrix_command.pytest_command(tmp_path / "python", tmp_path / "r.json", "fast", "auto", tmp_path,
                                            ["-k", "x"])
    assert command[1:5] == ["-m", "pytest", "-n", "auto"]
    assert f"--conformance-report={tmp_path / 'r.json'}" in command and f"--data-dir={tmp_path}" in command
    assert command[-2:] == ["-k", "x"]


def test_envs_takes_names_globs_and_push():
    envs = load_environments()
    assert [e.name for e in select(envs, "tf2.1[89]-keras3-np2")] == ["tf2.18-keras3-np2", "tf2.19-keras3-np2"]
    assert {e.name for e in select(envs, "push")} == {"tf2.21-keras3-np2", "tf2.21-tf-keras-np2", "tf2.15-keras2-np1"}
    assert len(select(envs, "")) == len(envs)
    with pytest.raises(MatrixConfigError, match="'tf3.0-\\*' matches no environment"):
        select(envs, "tf2.21-keras3-np2,tf3.0-*")


@pytest.mark.parametrize("argv, message", [
    (["--envs=tf9.9"], "matches no environment"),
    (["--jobs=0"], "--jobs must be at least 1"),
    (["--tier=medium"], "invalid choice"),
])
def test_bad_options_exit_2_with_one_line(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        matrix_command.parse_options(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_jobs_split_the_cores(monkeypatch):
    monkeypatch.setattr(matrix_command.os, "cpu_count", lambda: 8)
    options = matrix_command.parse_options(["--envs=tf2.2*-keras3-np2"])
    assert (options.jobs, options.workers) == (2, "4")
    monkeypatch.setattr(matrix_command.os, "cpu_count", lambda: 2)
    options = matrix_command.parse_options(["--envs=tf2.2*-keras3-np2"])
    assert (options.jobs, options.workers) == (1, "auto")


def test_list_prints_the_selected_environments_for_the_workflow(capsys):
    import json

    assert matrix_command.main(["--list", "--envs=push"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {e["name"] for e in listed} == {"tf2.21-keras3-np2", "tf2.21-tf-keras-np2", "tf2.15-keras2-np1"}
    assert matrix_command.main(["--list"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in everything if e["allowed_to_fail"]] == ["next"] and len(everything) == 26


def test_an_environment_with_the_tfjs_extra_gets_its_npm_folder_named_to_pytest(tmp_path):
    tfjs = MatrixEnvironment("tf-js", "2.15", "", "3.11", ("all", "tfjs"))
    plain = MatrixEnvironment("tf-plain", "2.15", "", "3.11", ("all",))
    assert matrix_command.node_folder(plain, tmp_path) is None
    assert matrix_command.prepare_node(plain, tmp_path, None) is None
    assert matrix_command.child_environ(tfjs, tmp_path)[matrix_command.TFJS_VARIABLE] == str(tmp_path / "tf-js" / "node")
    assert matrix_command.TFJS_VARIABLE not in matrix_command.child_environ(plain, tmp_path)
    package = tmp_path / "tf-js" / "node" / "node_modules" / "@tensorflow" / "tfjs" / "package.json"
    package.parent.mkdir(parents=True)
    package.write_text('{"version": "%s"}' % matrix_command.TFJS_PACKAGE.rsplit("@", 1)[1])
    assert matrix_command.prepare_node(tfjs, tmp_path, None) is None  # already installed: nothing to run


def test_the_workflow_runs_the_push_set_on_push_and_every_environment_nightly_with_next_allowed_to_fail():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (extra `report`)")
    path = matrix_command.ROOT / ".github" / "workflows" / "conformance.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    plan = "\n".join(step.get("run", "") for step in jobs["plan"]["steps"])
    assert "--list" in plan and "SELECT=push" in plan and "SELECT='*'" in plan
    assert jobs["environment"]["strategy"]["matrix"]["env"] == "${{ fromJSON(needs.plan.outputs.envs) }}"
    assert jobs["environment"]["continue-on-error"] == "${{ matrix.env.allowed_to_fail }}"
    book = "\n".join(step.get("run", "") for step in jobs["book"]["steps"])
    assert "--tier=book" in book and jobs["book"]["if"] == "needs.plan.outputs.nightly == 'true'"
    assert set(jobs["publish"]["needs"]) == {"plan", "environment", "book"}
