"""一、TensorFlow概述 / 特性：网页端部署: "使用TensorFlow.js，在网页端等支持JavaScript运行的环境上运行模型，支持使用
WebGL进行硬件加速". The book's MLP exported as a SavedModel (spec.ch1_processes) is converted with the
tensorflowjs converter (extra `tfjs`, run in a child process) into a TensorFlow.js graph model, which
then predicts in Node.js with npm's @tensorflow/tfjs and in headless Chromium on tfjs's WebGL backend;
both are compared with the SavedModel's own outputs.

What must be prepared, since tests never download:
- tensorflowjs (pip, the `tfjs` extra). It installs only next to TensorFlow 2.13-2.19: it requires
  tensorflow-decision-forests, each release of which pins one TensorFlow (the newest, 1.12.0, pins
  2.19.0), so only the matrix environments where it resolves have it.
- @tensorflow/tfjs for Node: `npm install @tensorflow/tfjs` in a folder DIR, named by
  HANDBOOK_SPEC_TFJS_NODE_MODULES=DIR (DIR or DIR/node_modules). The browser page loads the same
  package's dist/tf.min.js from a loopback server.
- node (Debian's nodejs), and Chromium with Selenium for the WebGL test (extra `report`).
Each missing piece is a skip naming it.

This machine has no GPU: Chromium's WebGL is ANGLE on SwiftShader, a CPU rasteriser, so the WebGL test
checks that the backend runs the model, not that anything is accelerated (features.tfjs-webgl, the
acceleration claim, stays untestable here).
"""
from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from spec.assertions import assert_close
from spec.ch1_processes import exported_models
from spec.subprocesses import describe

NODE_MODULES_VARIABLE = "HANDBOOK_SPEC_TFJS_NODE_MODULES"
NODE_ATOL = 1e-6  # tfjs's CPU backend in float32 against TensorFlow's kernels, softmax outputs in [0, 1]
WEBGL_ATOL = 1e-5  # WebGL float textures: float32 arithmetic in another order
CONVERT_TIMEOUT = 240  # the converter imports TensorFlow, TF-DF and JAX: about 30 s on a busy 2-core machine

_NODE_PREDICT = r"""
const tf = require('@tensorflow/tfjs');
const fs = require('fs');
const path = require('path');
const [modelDir, inputsFile, shapeJson, outFile] = process.argv.slice(2);

const fromFiles = {
  async load() {  // what tf.io.http would assemble from model.json and its weight shards
    const json = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
    const specs = [], buffers = [];
    for (const group of json.weightsManifest) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const b = fs.readFileSync(path.join(modelDir, p));
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
    }
    return {modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy,
            convertedBy: json.convertedBy, signature: json.signature, userDefinedMetadata: json.userDefinedMetadata,
            modelInitializer: json.modelInitializer, weightSpecs: specs,
            weightData: tf.io.concatenateArrayBuffers(buffers)};
  },
};

(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  const raw = fs.readFileSync(inputsFile);
  const x = tf.tensor(new Float32Array(raw.buffer, raw.byteOffset, raw.byteLength / 4), JSON.parse(shapeJson));
  const model = await tf.loadGraphModel(fromFiles);
  let y = model.predict(x);
  if (!(y instanceof tf.Tensor)) y = Array.isArray(y) ? y[0] : Object.values(y)[0];
  const data = await y.data();
  fs.writeFileSync(outFile, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  console.log('RESULT ' + JSON.stringify({tfjs: tf.version.tfjs, backend: tf.getBackend(), shape: y.shape,
                                           dtype: y.dtype}));
})().catch((e) => { console.log('ERROR ' + (e && e.stack || e)); process.exit(1); });
"""

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>handbook-spec tfjs</title><script src="tf.min.js"></script></head>
<body><script>
window.handbookResult = null;
(async () => {
  try {
    const gl = document.createElement('canvas').getContext('webgl2');
    const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = gl ? gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
    const switched = await tf.setBackend('webgl');
    await tf.ready();
    const model = await tf.loadGraphModel('model/model.json');
    const raw = await (await fetch('inputs.bin')).arrayBuffer();
    const x = tf.tensor(new Float32Array(raw), SHAPE);
    let y = model.predict(x);
    if (!(y instanceof tf.Tensor)) y = Array.isArray(y) ? y[0] : Object.values(y)[0];
    window.handbookResult = {switched, backend: tf.getBackend(), webgl: tf.env().getNumber('WEBGL_VERSION'),
                             renderer, shape: y.shape, data: Array.from(await y.data())};
  } catch (e) {
    window.handbookResult = {error: String(e && e.stack || e)};
  }
})();
</script></body></html>
"""


class Converted:
    def __init__(self, folder: Path, inputs: np.ndarray, expected: np.ndarray, converter: str):
        self.folder, self.inputs, self.expected, self.converter = folder, inputs, expected, converter


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Converted:
    """The MLP's SavedModel converted to a TF.js graph model, once per module (in a child process:
    tensorflowjs loads tensorflow-decision-forests' ops, which the test process should not get)."""
    if importlib.util.find_spec("tensorflowjs") is None:
        pytest.skip("tensorflowjs is not installed; install the `tfjs` extra (pip install '.[tfjs]'), which "
                    "installs only next to TensorFlow 2.13-2.19: tensorflow-decision-forests pins one release")
    mlp = exported_models()["mlp"]
    folder = tmp_path_factory.mktemp("tfjs")
    command = [sys.executable, "-c", "import sys; from tensorflowjs.converters.converter import convert; "
               "convert(sys.argv[1:])", "--input_format=tf_saved_model", "--output_format=tfjs_graph_model",
               "--signature_name=serving_default", "--saved_model_tags=serve", str(mlp.path), str(folder / "model")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=CONVERT_TIMEOUT, check=False,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert done.returncode == 0 and (folder / "model" / "model.json").is_file(), (
        "tensorflowjs_converter --input_format=tf_saved_model failed\n" + describe(done))
    (folder / "inputs.bin").write_bytes(np.ascontiguousarray(mlp.inputs, dtype="<f4").tobytes())
    from importlib import metadata

    return Converted(folder, mlp.inputs, mlp.outputs, f"tensorflowjs {metadata.version('tensorflowjs')}")


def node_modules() -> Path:
    """The node_modules folder holding @tensorflow/tfjs, or skip naming the variable."""
    named = os.environ.get(NODE_MODULES_VARIABLE, "")
    for folder in (Path(named), Path(named) / "node_modules"):
        if named and (folder / "@tensorflow" / "tfjs" / "package.json").is_file():
            return folder
    pytest.skip(f"@tensorflow/tfjs (npm) is not installed where the suite looks: set {NODE_MODULES_VARIABLE}=DIR "
                f"to a folder where `npm install @tensorflow/tfjs` was run (now {named or 'unset'}); "
                "the suite never downloads")


def tfjs_version(modules: Path) -> str:
    return json.loads((modules / "@tensorflow" / "tfjs" / "package.json").read_text(encoding="utf-8"))["version"]


@pytest.mark.subprocess
@pytest.mark.claim("features.tfjs-converter")
def test_converted_savedmodel_runs_in_node(converted, tmp_path, measured):
    modules = node_modules()
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (Debian: apt install nodejs)")
    script = tmp_path / "predict.cjs"
    script.write_text(_NODE_PREDICT, encoding="utf-8")
    out = tmp_path / "outputs.bin"
    done = subprocess.run([node, str(script), str(converted.folder / "model"), str(converted.folder / "inputs.bin"),
                           json.dumps(list(converted.inputs.shape)), str(out)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "NODE_PATH": str(modules)}, cwd=tmp_path)
    result = [line[len("RESULT "):] for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and result, "the graph model did not run in Node\n" + describe(done)
    info = json.loads(result[0])
    got = np.frombuffer(out.read_bytes(), dtype="<f4").reshape(info["shape"])
    measured("converter and runtime", f"{converted.converter}; @tensorflow/tfjs {info['tfjs']} in Node "
             f"{subprocess.run([node, '--version'], capture_output=True, text=True).stdout.strip()}, "
             f"backend {info['backend']}")
    measured("max |TF.js in Node − SavedModel|", float(np.abs(got - converted.expected).max()))
    assert tuple(info["shape"]) == converted.expected.shape, info
    assert_close(got, converted.expected, rtol=0, atol=NODE_ATOL, what="TF.js graph model outputs in Node")
    assert np.array_equal(got.argmax(axis=1), converted.expected.argmax(axis=1)), "other predicted classes"


def serve_folder(folder: Path):
    """A loopback HTTP server for folder, in a thread; returns (server, base URL)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.claim("features.tfjs-webgl-backend")
def test_converted_model_runs_on_the_webgl_backend_in_a_browser(converted, tmp_path, measured):
    from spec.test_ch4_tensorboard_page import open_chromium

    modules = node_modules()
    site = tmp_path / "site"
    shutil.copytree(converted.folder / "model", site / "model")
    shutil.copy(converted.folder / "inputs.bin", site / "inputs.bin")
    shutil.copy(modules / "@tensorflow" / "tfjs" / "dist" / "tf.min.js", site / "tf.min.js")
    (site / "index.html").write_text(_PAGE.replace("SHAPE", json.dumps(list(converted.inputs.shape))),
                                     encoding="utf-8")
    driver = open_chromium(tmp_path / "chromium-profile", ("--use-angle=swiftshader", "--enable-unsafe-swiftshader"))
    server, base = serve_folder(site)
    try:
        driver.get(base + "/index.html")
        deadline, result = time.monotonic() + 120, None
        while result is None and time.monotonic() < deadline:
            result = driver.execute_script("return window.handbookResult")
            time.sleep(0.2)
        urls = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    finally:
        driver.quit()
        server.shutdown()
        server.server_close()
    assert result is not None, "the page computed nothing within 120 s"
    assert "error" not in result, f"TF.js failed in the browser: {result['error'][:1500]}"
    foreign = sorted({u for u in urls if not u.startswith(base + "/")})
    assert not foreign, f"the page requested something other than the loopback server: {foreign}"
    got = np.asarray(result["data"], dtype=np.float32).reshape(result["shape"])
    measured("backend, WebGL version, renderer", [result["backend"], result["webgl"], result["renderer"]],
             handbook="WebGL 硬件加速", note="software WebGL (SwiftShader) on this GPU-less machine")
    measured("max |TF.js on WebGL − SavedModel|", float(np.abs(got - converted.expected).max()))
    assert result["switched"] is True and result["backend"] == "webgl", (
        f"tf.setBackend('webgl') gave {result['switched']}, backend {result['backend']}")
    assert result["webgl"] >= 1, f"WEBGL_VERSION {result['webgl']}"
    assert_close(got, converted.expected, rtol=0, atol=WEBGL_ATOL, what="TF.js graph model outputs on WebGL")
    assert np.array_equal(got.argmax(axis=1), converted.expected.argmax(axis=1)), "other predicted classes"
