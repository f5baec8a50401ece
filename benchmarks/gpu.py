"""`dlkit train` against the plain Keras script on JAX and PyTorch on a GPU: images/s, whole-process
time, peak GPU memory (benchmarks/gpu.sh runs it; it must end within a short GPU slot).

What it measures
  Two models on generated images, batch 128, Adam, 10% held out for validation, then the test split:
    mnist_cnn  configs/mnist_cnn.yaml as shipped (data.options.path: generated 28x28 images in
               mnist.npz's format);
    resnet     configs/cifar10_resnet.yaml's small ResNet (309,994 parameters) on generated 32x32x3
               images as an npz dataset, with Adam, sparse cross-entropy and no augmentation (--set
               overrides), so it trains what the plain script trains;
  each in float32 and mixed_bfloat16 (`train.precision`), on each backend, two sides per cell:
    plain  benchmarks/gpu_plain.py: numpy arrays into `fit`, as a JAX or PyTorch user writes it;
    dlkit  `dlkit train CONFIG --backend B --set ... -q` with everything a run writes.
  Each is a fresh process (plain first, then dlkit; the next cell the other way round), started
  through benchmarks/gpu_probe.py, which reads the backend allocator's peak when the program ends
  (torch.cuda.max_memory_allocated; JAX: XLA's peak_bytes_in_use), the same way on both sides.
  images/s: training images per epoch over the mean time of the epochs after the first (which
  compiles), validation included (benchmarks/gpu_timer.py records dlkit's epochs as gpu_plain.py
  does its own). whole s: the process from start to exit; CPU s its user + system time.
  Cells run float32 first; a cell that would start with less than --reserve seconds of --budget left
  is skipped (said so), so the whole run ends inside the slot.

CUBLAS_WORKSPACE_CONFIG=:4096:8 is set for both sides: dlkit's default `train.deterministic` makes
PyTorch refuse cuBLAS without it, and it changes nothing for the plain script.

Run:
    benchmarks/gpu.sh                      # on the GPU machine: about 5-7 minutes, results under $OUT
    benchmarks/gpu.sh --cpu                # the same cells, tiny, on this CPU (a smoke check)
    python benchmarks/gpu.py --cpu --backends jax --models mnist_cnn --precisions float32
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
BACKENDS, MODELS, PRECISIONS = ("jax", "torch"), ("mnist_cnn", "resnet"), ("float32", "mixed_bfloat16")
#: (training samples, epochs) per model: on the GPU, sized so the 16 processes fit in about 6 minutes.
SIZES = {"gpu": {"mnist_cnn": (20_000, 3), "resnet": (15_000, 3)}, "cpu": {"mnist_cnn": (1_200, 2), "resnet": (600, 2)}}
#: What turns each shipped config into the plain script's training (besides the data's path).
OVERRIDES = {
    "mnist_cnn": ("configs/mnist_cnn.yaml", []),
    "resnet": (
        "configs/cifar10_resnet.yaml",
        [
            "data.dataset=npz",
            "data.augment=[]",
            "train.optimizer=adam",
            "train.lr_schedule=null",
            "train.loss=sparse_categorical_crossentropy",
            "train.metrics=[accuracy]",
            "train.checkpoint.monitor=val_loss",
        ],
    ),
}
SEED, BATCH = 42, 128


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu", action="store_true", help="tiny sizes on the CPU (a smoke check, no GPU figures)")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated (default jax,torch)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated (default mnist_cnn,resnet)")
    parser.add_argument("--precisions", default=",".join(PRECISIONS), help="comma-separated")
    parser.add_argument("--sides", default="plain,dlkit", help="comma-separated: plain, dlkit")
    parser.add_argument("--budget", type=float, default=None, help="seconds for all cells (default 420; --cpu 1800)")
    parser.add_argument("--reserve", type=float, default=None, help="skip a cell with less left (default 50; cpu 0)")
    parser.add_argument("--dlkit-set", action="append", default=[], metavar="KEY=VALUE", help="more --set for dlkit")
    parser.add_argument("--out", type=Path, default=os.environ.get("OUT"), help="results folder (default $OUT)")
    args = parser.parse_args(argv)
    for name, allowed in (("backends", BACKENDS), ("models", MODELS), ("precisions", PRECISIONS),
                          ("sides", ("plain", "dlkit"))):  # fmt: skip
        chosen = [v for v in getattr(args, name).split(",") if v]
        wrong = [v for v in chosen if v not in allowed]
        if wrong or not chosen:
            parser.error(f"--{name}: one or more of {', '.join(allowed)}, comma-separated; received {wrong or '-'}")
        setattr(args, name, chosen)
    args.budget = args.budget if args.budget is not None else (1800.0 if args.cpu else 420.0)
    args.reserve = args.reserve if args.reserve is not None else (0.0 if args.cpu else 50.0)
    return args


def make_images(path: Path, samples: int, size: int, channels: int) -> None:
    """Train and test uint8 images (N, size, size[, channels]) of 10 learnable classes: a fixed pattern
    of bright 4x4 blocks per class at a random brightness over a fainter other class's, plus noise
    (benchmarks/throughput.py's recipe, in colour too)."""
    import numpy as np

    rng = np.random.default_rng(SEED)
    colour = (channels,) if channels > 1 else ()
    templates = np.kron(rng.random((10, size // 4, size // 4, *colour)) < 0.35, np.ones((4, 4, *(1,) * len(colour))))
    templates = templates.astype("float32")

    def images(n):
        y = rng.integers(0, 10, n)
        each = (n,) + (1,) * (templates.ndim - 1)
        x = templates[y] * rng.uniform(60, 160, each).astype("float32")
        x += templates[rng.integers(0, 10, n)] * rng.uniform(0, 110, each).astype("float32")
        x += rng.normal(40, 80, x.shape).astype("float32")
        return np.clip(x, 0, 255).astype("uint8"), y.astype("uint8")

    x_train, y_train = images(samples)
    x_test, y_test = images(max(samples // 6, 10))
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)


def environment(args: argparse.Namespace, backend: str, tmp: Path) -> dict:
    env = {
        **os.environ,
        "KERAS_BACKEND": backend,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONUNBUFFERED": "1",
        "CUBLAS_WORKSPACE_CONFIG": ":4096:8",
        "DLKIT_CACHE_DIR": str(tmp / "cache"),  # where training with the timer plug-in trusts it
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    if args.cpu:
        env |= {"JAX_PLATFORMS": "cpu", "CUDA_VISIBLE_DEVICES": ""}
    return env


def argv_of(side: str, model: str, precision: str, backend: str, data: Path, work: Path, args) -> list[str]:
    """The command of one side, through gpu_probe.py (which writes work/probe.json)."""
    epochs = SIZES["cpu" if args.cpu else "gpu"][model][1]
    probe = [sys.executable, str(HERE / "gpu_probe.py"), str(work / "probe.json")]
    if side == "plain":
        return [*probe, str(HERE / "gpu_plain.py"), model, str(data), str(work / "model.keras"),
                str(work / "plain.json"), "--epochs", str(epochs), "--batch-size", str(BATCH),
                "--precision", precision, "--seed", str(SEED)]  # fmt: skip
    config, overrides = OVERRIDES[model]
    sets = [
        *overrides,
        f"data.options.path={data}",
        f"data.batch_size={BATCH}",
        f"seed={SEED}",
        f"train.epochs={epochs}",
        f"train.precision={precision}",
        f"train.callbacks=[{{type: epoch_ends, path: {work / 'epochs.json'}}}]",
        *args.dlkit_set,
    ]
    return [*probe, "-m", "dlkit", "train", str(REPO / config), "--backend", backend,
            "--plugin", str(HERE / "gpu_timer.py"), *[a for s in sets for a in ("--set", s)],
            "--runs-dir", str(work / "runs"), "-q"]  # fmt: skip


def run(argv: list[str], env: dict, work: Path, timeout: float) -> dict:
    """One whole process: wall and CPU seconds, peak RSS, exit code (killed at `timeout`)."""
    work.mkdir(parents=True, exist_ok=True)
    with open(work / "stdout", "w") as out, open(work / "stderr", "w") as err:
        start, killed = time.perf_counter(), False
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=REPO, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout and not killed:
                os.killpg(proc.pid, 9)  # and what it started (dlkit's spare plotting process)
                killed = True
            time.sleep(0.05)
    proc.returncode = code = os.waitstatus_to_exitcode(status)
    error = _last_line(work / "stderr") or f"exit {code}"
    if killed:
        error = f"killed at the budget, after {timeout:.0f} s"
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
        "rss_mib": usage.ru_maxrss / 1024,
        "exit": code,
        "error": error if code else None,
    }


def _last_line(path: Path) -> str:
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def read_side(side: str, work: Path, train_images: int) -> dict:
    """images/s, test accuracy, parameters and peak GPU memory from what the side wrote."""
    found: dict = {}
    probe = work / "probe.json"
    if probe.exists():
        found |= json.loads(probe.read_text())
    if side == "plain":
        plain = json.loads((work / "plain.json").read_text()) if (work / "plain.json").exists() else {}
        ends = plain.get("epoch_ends")
        found |= {"test_accuracy": plain.get("test_accuracy"), "params": plain.get("params")}
    else:
        ends = json.loads((work / "epochs.json").read_text()) if (work / "epochs.json").exists() else None
        lines = (work / "stdout").read_text().strip().splitlines()
        run_dir = Path(lines[-1]) if lines else None
        if run_dir is not None and (run_dir / "metrics.json").exists():
            found["test_accuracy"] = json.loads((run_dir / "metrics.json").read_text()).get("test", {}).get("accuracy")
    if ends:
        found["first_epoch_s"] = ends[0]
        steady = [b - a for a, b in zip(ends[:-1], ends[1:], strict=True)] or ends[:1]
        found["images_per_s"] = train_images / statistics.mean(steady)
    return found


def cells(args: argparse.Namespace):
    """(precision, backend, model) in the order they run: float32 first, so a short slot keeps it."""
    for precision in args.precisions:
        for backend in args.backends:
            for model in args.models:
                yield precision, backend, model


def device_line(args: argparse.Namespace) -> str:
    versions = []
    for name in ("keras", "jax", "jaxlib", "torch", "numpy"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} absent")
    gpu = "CPU (--cpu)"
    if not args.cpu and shutil.which("nvidia-smi"):
        query = ["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]
        gpu = subprocess.run(query, capture_output=True, text=True).stdout.strip() or "nvidia-smi said nothing"
    return f"{gpu}; Python {platform.python_version()}, " + ", ".join(versions)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    header = device_line(args)
    print(header, flush=True)
    with tempfile.TemporaryDirectory(prefix="dlkit-gpu-") as tmp:
        results = run_cells(args, Path(tmp), began)
    text = report(header, results, time.perf_counter() - began)
    print(text)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "gpu.json").write_text(json.dumps({"device": header, "results": results}, indent=1))
        (args.out / "gpu.txt").write_text(text)
    return 0 if all(not r.get("exit") and not r.get("error") for r in results) else 1


def run_cells(args: argparse.Namespace, tmp: Path, began: float) -> list[dict]:
    """Every cell's two sides, in turn, within the budget; a failed side's stderr kept under --out/logs."""
    sizes = SIZES["cpu" if args.cpu else "gpu"]
    data = {}
    for model in args.models:
        data[model] = tmp / f"{model}.npz"
        size, channels = (28, 1) if model == "mnist_cnn" else (32, 3)
        make_images(data[model], sizes[model][0], size, channels)
    results = []
    for i, (precision, backend, model) in enumerate(cells(args)):
        for side in args.sides if i % 2 == 0 else list(reversed(args.sides)):
            row = {"backend": backend, "model": model, "precision": precision, "side": side}
            left = args.budget - (time.perf_counter() - began)
            if left < max(args.reserve, 1):
                results.append(row | {"error": f"skipped: {left:.0f} s of the budget left"})
                print(format_row(results[-1]), flush=True)
                continue
            work = tmp / f"{backend}-{model}-{precision}-{side}"
            argv = argv_of(side, model, precision, backend, data[model], work, args)
            row |= run(argv, environment(args, backend, tmp), work, left)
            samples = sizes[model][0]
            # The plain script holds out the last int(10%), dlkit a stratified ceil(10%).
            row |= read_side(side, work, samples - (samples // 10 if side == "plain" else -(-samples // 10)))
            results.append(row)
            print(format_row(row), flush=True)
            if row["exit"] and args.out:
                (args.out / "logs").mkdir(parents=True, exist_ok=True)
                shutil.copy(work / "stderr", args.out / "logs" / f"{work.name}.stderr")
    return results


def format_row(r: dict) -> str:
    where = f"{r['backend']:5} {r['model']:9} {r['precision']:14} {r['side']:5}"
    if r.get("error"):
        return f"{where}  FAILED: {r['error']}" if "exit" in r else f"{where}  {r['error']}"
    peak = f"{r['peak_bytes'] / 2**20:,.0f} MiB" if r.get("peak_bytes") is not None else "n/a"
    rate = f"{r['images_per_s']:,.0f}" if r.get("images_per_s") else "n/a"
    accuracy = f"{r['test_accuracy']:.4f}" if r.get("test_accuracy") is not None else "n/a"
    return (
        f"{where}  {rate:>9} images/s, first epoch {r.get('first_epoch_s', float('nan')):5.1f} s, whole "
        f"{r['seconds']:6.1f} s ({r['cpu_seconds']:6.1f} CPU s), peak GPU {peak}, RSS {r['rss_mib']:,.0f} MiB, "
        f"test accuracy {accuracy}"
    )


def report(header: str, results: list[dict], seconds: float) -> str:
    """The rows, then dlkit against plain per cell: images/s dlkit/plain, whole time plain/dlkit,
    peak GPU memory dlkit/plain (each above 1.0 where dlkit is ahead, but memory: below)."""
    lines = [f"\n{header}", f"all cells: {seconds:.0f} s; peak GPU memory: the allocator's peak in each process "
             "(torch.cuda.max_memory_allocated; JAX: Device.memory_stats() peak_bytes_in_use)", ""]  # fmt: skip
    lines += [format_row(r) for r in results]
    lines.append(f"\n{'cell':36}  images/s dlkit/plain  whole s plain/dlkit  GPU memory dlkit/plain")
    by_cell: dict[tuple, dict] = {}
    for r in results:
        by_cell.setdefault((r["backend"], r["model"], r["precision"]), {})[r["side"]] = r
    for (backend, model, precision), sides in by_cell.items():
        plain, dlkit = sides.get("plain", {}), sides.get("dlkit", {})
        lines.append(
            f"{backend:5} {model:9} {precision:14}  {_ratio(plain, dlkit, 'images_per_s'):>22}  "
            f"{_ratio(dlkit, plain, 'seconds'):>19}  {_ratio(plain, dlkit, 'peak_bytes'):>22}"
        )
    return "\n".join(lines) + "\n"


def _ratio(below: dict, above: dict, key: str) -> str:
    """above[key] / below[key], or n/a where a side failed or has no figure."""
    a, b = below.get(key), above.get(key)
    return "n/a" if not a or not b or below.get("error") or above.get("error") else f"{b / a:.2f}"


if __name__ == "__main__":
    sys.exit(main())
