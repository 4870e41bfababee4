"""Loads the .keras files save-webgrad-models.ts wrote with Keras 3 (keras.saving.load_model, JAX on CPU),
predicts on the same inputs and compares with webgrad's predictions; then trains each for one epoch,
so the loaded model is a working Keras model. Prints one line per model and writes the figures to
<folder>/report.json (tests/interop/keras-python.test.ts asserts them); exits 1 on any mismatch.
    python scripts/keras-interop/check_in_keras.py <folder>"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

folder = sys.argv[1] if len(sys.argv) > 1 else "keras-interop-out"
expected = json.load(open(os.path.join(folder, "expected.json")))
print(f"keras {keras.__version__} on {keras.backend.backend()}")
failed = False
report = {"keras": keras.__version__, "backend": keras.backend.backend(), "models": {}}
resumes = {name: expected.pop(name) for name in [n for n in expected if n.startswith("resume")]}
for name, case in expected.items():
    model = keras.saving.load_model(os.path.join(folder, f"{name}.keras"))
    x = np.asarray(case["x"]["values"], dtype=case["x"]["dtype"]).reshape(case["x"]["shape"])
    got = model.predict(x, verbose=0)
    got = got if isinstance(got, (list, tuple)) else [got]
    diffs = []
    for out, want in zip(got, case["outputs"]):
        want = np.asarray(want["values"], np.float32).reshape(want["shape"])
        diffs.append(float(np.max(np.abs(np.asarray(out) - want))))
    worst = max(diffs)
    ok = worst < 1e-5 and len(got) == len(case["outputs"])
    failed |= not ok
    model.compile(optimizer="adam", loss="mse")
    targets = [np.zeros_like(np.asarray(o)) for o in got]
    loss = model.fit(x, targets if len(targets) > 1 else targets[0], epochs=1, verbose=0).history["loss"][0]
    report["models"][name] = {"max_diff": worst, "outputs": len(got), "loss_after_one_epoch": float(loss)}
    layers = ", ".join(f"{l.__class__.__name__}:{l.name}" for l in model.layers)
    print(f"{name}: {'ok' if ok else 'MISMATCH'} max |keras - webgrad| = {worst:.3g}; trains (loss {loss:.4f}); {layers}")
# the trainings webgrad saved with includeOptimizer: Keras continues each from the same step and moments
for name, resume in resumes.items():
    model = keras.saving.load_model(os.path.join(folder, f"{name}.keras"))
    x = np.asarray(resume["x"]["values"], np.float32).reshape(resume["x"]["shape"])
    y = np.asarray(resume["y"]["values"], np.float32).reshape(resume["y"]["shape"])
    iterations = int(model.optimizer.iterations)
    # Adam's moments as Keras loaded them (after iteration and learning_rate), against webgrad's
    loaded = np.concatenate([np.ravel(np.asarray(v)) for v in model.optimizer.variables[2:]])
    moments = float(np.max(np.abs(loaded - np.asarray(resume["moments"], np.float32))))
    worst = 0.0
    if "afterOneMoreStep" in resume:
        model.train_on_batch(x, y)
        worst = float(np.max(np.abs(model.predict(x, verbose=0).ravel() - np.asarray(resume["afterOneMoreStep"]))))
    ok = iterations == resume["iterations"] and worst < 1e-5 and moments == 0
    failed |= not ok
    report[name] = {"iterations": iterations, "max_diff_after_one_more_step": worst, "max_moment_diff": moments}
    print(
        f"{name}: {'ok' if ok else 'MISMATCH'} {model.optimizer.__class__.__name__} at step {iterations}, "
        f"moments as webgrad's within {moments:.3g}; one more step in Keras vs in webgrad: max |diff| = {worst:.3g}"
    )
with open(os.path.join(folder, "report.json"), "w") as f:
    json.dump(report, f)
sys.exit(1 if failed else 0)
