"""The shipped configs on TensorFlow, JAX and PyTorch: the same parameter counts, and test figures of
JAX and PyTorch within the spread of TensorFlow's over seeds (docs/backends.md, "Measured").

What it runs
  Each config `dlkit train`s in a process of its own with `--backend B --set seed=S`, on local data
  made here (no network): quickstart on scikit-learn's digits as shipped; mnist_cnn on generated
  28x28 images in mnist.npz's format (benchmarks/throughput.py's, 6,000 of them, 3 epochs);
  tabular_csv on breast_cancer written by `dlkit to-csv`; series_regression on the sunspot-like
  series of its header (tests/helpers/regression_targets.py); unet_shapes on 300 generated 32x32
  shapes for 10 epochs (its header's 600 64x64 images for 20 epochs take 7 minutes a seed on
  TensorFlow here, far longer on PyTorch). The same settings on every backend. TensorFlow runs
  `--tf-seeds`, JAX and PyTorch `--seeds`; the parameter count is `dlkit validate --dry-run --json
  --backend B`'s. Each run records wall and CPU seconds and the load average as it ended.
  Results are kept in --out (JSON) as each run ends; a run already there is not run again, so an
  interrupted session goes on where it stopped.

Run (about 20 minutes on 2 CPU cores):
    python benchmarks/backend_parity.py --out /tmp/parity.json
    python benchmarks/backend_parity.py --configs series_regression --backends tensorflow,jax
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BACKENDS = ("tensorflow", "jax", "torch")
#: Each config: (the test figures compared, --set overrides shortening it the same way on every backend).
CONFIGS = {
    "quickstart": (("accuracy",), []),
    "mnist_cnn": (("accuracy",), ["train.epochs=3"]),
    "tabular_csv": (("accuracy", "auc"), []),
    "series_regression": (("mae",), []),
    "unet_shapes": (("mean_iou", "dice"), ["data.options.image_size=[32, 32]", "train.epochs=15"]),
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated config names")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated")
    parser.add_argument("--tf-seeds", default="42,1,7", help="TensorFlow's seeds (comma-separated)")
    parser.add_argument("--seeds", default="42", help="JAX's and PyTorch's seeds (comma-separated)")
    parser.add_argument("--out", type=Path, default=Path("parity.json"), help="results, kept as runs end")
    parser.add_argument("--data", type=Path, default=None, help="where the generated data go (default: a temp dir)")
    args = parser.parse_args(argv)
    args.configs = [c for c in args.configs.split(",") if c]
    args.backends = [b for b in args.backends.split(",") if b]
    for name, chosen, allowed in (("configs", args.configs, CONFIGS), ("backends", args.backends, BACKENDS)):
        if not chosen or set(chosen) - set(allowed):
            parser.error(f"--{name}: one or more of {', '.join(allowed)}; received {','.join(chosen)}")
    args.tf_seeds = [int(s) for s in args.tf_seeds.split(",")]
    args.seeds = [int(s) for s in args.seeds.split(",")]
    return args


def dlkit(*argv: str, cwd: Path = REPO) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run `python -m dlkit ARGV` from this checkout: the process, its wall and CPU seconds."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO)}
    before, start = os.times(), time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "dlkit", *argv], capture_output=True, text=True, env=env, cwd=cwd)
    after = os.times()
    cpu = after.children_user - before.children_user + after.children_system - before.children_system
    return done, time.perf_counter() - start, cpu


def make_data(name: str, folder: Path) -> list[str]:
    """Local data for config `name`, as --set overrides."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "mnist_cnn":
        from throughput import make_data as mnist_like

        path = folder / "mnist.npz"
        if not path.exists():
            mnist_like(path, 6_000)
    elif name == "tabular_csv":
        path = folder / "breast_cancer.csv"
        if not path.exists():
            dlkit("to-csv", "breast_cancer", str(path))
    elif name == "series_regression":
        sys.path.insert(0, str(REPO / "tests"))
        from helpers.regression_targets import yearly_series

        path = yearly_series(folder / "series.csv")
    elif name == "unet_shapes":
        path = folder / "shapes"
        if not path.exists():
            dlkit("make-data", "shapes-segmentation", str(path), "--n", "600", "--size", "32")
    else:
        return []
    return [f"data.options.path={path}"]


def train(name: str, backend: str, seed: int, sets: list[str], runs: Path) -> dict:
    """One run's test figures, wall and CPU seconds, and the load average as it ended."""
    argv = ["train", f"configs/{name}.yaml", "--backend", backend, "--set", f"seed={seed}"]
    done, seconds, cpu = dlkit(*argv, *[a for s in sets for a in ("--set", s)], "--runs-dir", str(runs), "-q")
    row = {"config": name, "backend": backend, "seed": seed, "seconds": round(seconds, 1), "cpu": round(cpu, 1),
           "load": round(os.getloadavg()[0], 1)}  # fmt: skip
    if done.returncode:
        return row | {"error": (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]}
    run_dir = Path(done.stdout.strip().splitlines()[-1])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return row | {"test": metrics.get("test", {}), "run": str(run_dir)}


def params(name: str, backend: str, sets: list[str]) -> int | str:
    argv = ["validate", f"configs/{name}.yaml", "--backend", backend, "--dry-run", "--json"]
    done, _, _ = dlkit(*argv, *[a for s in sets for a in ("--set", s)])
    if done.returncode:
        return (done.stderr.strip().splitlines() or ["failed"])[-1]
    return json.loads(done.stdout)["params"]


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    results = json.loads(args.out.read_text()) if args.out.exists() else {"runs": [], "params": {}}
    with tempfile.TemporaryDirectory(prefix="dlkit-parity-") as tmp:
        data = args.data or Path(tmp) / "data"
        for name in args.configs:
            sets = [*make_data(name, data / name), *CONFIGS[name][1]]
            for backend in args.backends:
                key = f"{name}/{backend}"
                if key not in results["params"]:
                    results["params"][key] = params(name, backend, sets)
                for seed in args.tf_seeds if backend == "tensorflow" else args.seeds:
                    this = (name, backend, seed)
                    done = [r for r in results["runs"] if (r["config"], r["backend"], r["seed"]) == this]
                    if done and "error" not in done[0]:
                        continue
                    results["runs"] = [r for r in results["runs"] if r not in done]
                    row = train(name, backend, seed, sets, Path(tmp) / "runs")
                    results["runs"].append(row)
                    args.out.write_text(json.dumps(results, indent=1))
                    print(json.dumps(row), flush=True)
    args.out.write_text(json.dumps(results, indent=1))
    print(table(results, args.configs))


def table(results: dict, configs: list[str]) -> str:
    """Markdown: per config and figure, TensorFlow's seeds and spread, JAX's and PyTorch's figures and
    whether each falls inside that spread; parameters per backend."""
    lines = [
        "| config | parameters (TF / JAX / PyTorch) | test figure | TensorFlow, seeds | JAX | PyTorch |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name in configs:
        counts = " / ".join(str(results["params"].get(f"{name}/{b}", "-")) for b in BACKENDS)
        for figure in CONFIGS[name][0]:
            cells = {}
            for backend in BACKENDS:
                runs = [r for r in results["runs"] if r["config"] == name and r["backend"] == backend]
                cells[backend] = [(r["seed"], r.get("test", {}).get(figure), r.get("error")) for r in runs]
            tf = [v for _, v, _ in cells["tensorflow"] if v is not None]
            spread = (min(tf), max(tf)) if tf else None
            shown = f"{', '.join(f'{v:.4f}' for v in tf)}: {spread[0]:.4f}-{spread[1]:.4f}" if tf else "-"
            jax, torch = _show(cells["jax"], spread), _show(cells["torch"], spread)
            lines.append(f"| {name} | {counts} | {figure} | {shown} | {jax} | {torch} |")
    return "\n".join(lines)


def _show(runs: list[tuple], spread: tuple[float, float] | None) -> str:
    """Each (seed, figure, error) of a backend, with whether the figure is inside `spread`."""
    shown = []
    for seed, value, error in runs:
        if error or value is None:
            shown.append(f"seed {seed}: failed ({error})")
            continue
        inside = ""
        if spread is not None:
            inside = " (inside)" if spread[0] <= value <= spread[1] else " (outside, below)"
            inside = " (outside, above)" if value > spread[1] else inside
        shown.append(f"{value:.4f}{inside}" + (f" (seed {seed})" if len(runs) > 1 else ""))
    return "; ".join(shown) or "-"


if __name__ == "__main__":
    main()
