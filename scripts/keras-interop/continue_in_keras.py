"""Continues, in Keras 3, a training webgrad saved with its optimizer: loads <in.keras>, fits <epochs>
epochs on the data of <data.json> ({"x": [...], "y": [...]}, one batch an epoch, no shuffling, so the
steps are the ones webgrad would take) and saves <out.keras>. tests/interop/keras-python.test.ts loads
the result back into webgrad, where training must go on as if it had never left.
    python scripts/keras-interop/continue_in_keras.py <in.keras> <out.keras> <data.json> <epochs>"""
import json
import os
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

source, target, data, epochs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(data) as f:
    batch = json.load(f)
x = np.asarray(batch["x"], np.float32)
y = np.asarray(batch["y"], np.float32)
model = keras.saving.load_model(source)
before = int(model.optimizer.iterations)
model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0)
model.save(target)
print(f"keras {keras.__version__}: {model.optimizer.__class__.__name__} from step {before} to {int(model.optimizer.iterations)}")
