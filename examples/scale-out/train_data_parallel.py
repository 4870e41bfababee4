"""Continues training a webgrad-saved .keras model with Keras 3's data parallelism on JAX: the batch is
split over every device (keras.distribution.DataParallel), the weights and Adam's moments replicated,
the gradients averaged. On this machine the devices are simulated host CPUs; on a GPU/TPU host or a
cluster the same script runs on the real ones (see README.md beside it).
    python train_data_parallel.py <folder> [--devices 4] [--epochs 3] [--batch-size 128]
<folder> holds model.keras (saved by webgrad with its optimizer), x.bin (float32 [n, 784]) and y.bin
(int32 [n]); the script writes keras.keras and keras-report.json there."""
import argparse
import json
import os
import sys

parser = argparse.ArgumentParser()
parser.add_argument("folder")
parser.add_argument("--devices", type=int, default=4, help="simulated host CPU devices (0: the real ones)")
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--batch-size", type=int, default=128)
args = parser.parse_args()
if args.devices > 0:
    # must be set before JAX starts: XLA then offers this many CPU devices
    os.environ["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={args.devices}"
os.environ.setdefault("KERAS_BACKEND", "jax")
import keras  # noqa: E402
import numpy as np  # noqa: E402

devices = keras.distribution.list_devices()
if args.batch_size % len(devices):
    sys.exit(f"--batch-size {args.batch_size} must split evenly over {len(devices)} devices")
# set before loading: the variables the file creates are then laid out over the devices (replicated)
keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))

x = np.fromfile(os.path.join(args.folder, "x.bin"), dtype=np.float32)
y = np.fromfile(os.path.join(args.folder, "y.bin"), dtype=np.int32)
x = x.reshape(len(y), -1)
usable = len(y) - len(y) % args.batch_size  # every step's batch splits evenly over the devices
x, y = x[:usable], y[:usable]

model = keras.saving.load_model(os.path.join(args.folder, "model.keras"))
steps_before = int(model.optimizer.iterations)
loss_before = float(model.evaluate(x, y, batch_size=args.batch_size, verbose=0, return_dict=True)["loss"])
print(f"keras {keras.__version__} on {keras.backend.backend()}: {len(devices)} devices {[str(d) for d in devices]}")
print(f"loaded at optimizer step {steps_before}: loss {loss_before:.5f} on {usable} training digits")
losses = []
for epoch in range(args.epochs):
    model.fit(x, y, batch_size=args.batch_size, epochs=1, shuffle=True, verbose=0)
    losses.append(float(model.evaluate(x, y, batch_size=args.batch_size, verbose=0, return_dict=True)["loss"]))
    print(f"epoch {epoch + 1}/{args.epochs} on {len(devices)} devices: loss {losses[-1]:.5f}")
model.save(os.path.join(args.folder, "keras.keras"))
report = {
    "keras": keras.__version__,
    "devices": len(devices),
    "usable": usable,
    "steps_before": steps_before,
    "steps_after": int(model.optimizer.iterations),
    "loss_before": loss_before,
    "losses": losses,
}
with open(os.path.join(args.folder, "keras-report.json"), "w") as f:
    json.dump(report, f)
