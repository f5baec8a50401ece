"""The backends benchmarks' command lines (benchmarks/gpu.py, gpu_plain.py, end_to_end.py,
backend_parity.py): what each side is asked to run, without running it."""

import sys

import pytest

from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
try:
    import backend_parity
    import end_to_end
    import gpu
    import gpu_plain
finally:
    sys.path.remove(str(REPO / "benchmarks"))  # its scripts' names (serve, cv, ...) stay out of other tests' way


def test_gpu_defaults_run_every_cell_within_a_short_slot():
    args = gpu.parse_args([])
    assert list(gpu.cells(args)) == [
        (p, b, m) for p in ("float32", "mixed_bfloat16") for b in ("jax", "torch") for m in ("mnist_cnn", "resnet")
    ]
    assert args.budget + 50 < 8 * 60 and args.reserve > 0  # gpu.sh's install and data fit in what is left
    assert gpu.parse_args(["--cpu"]).budget > args.budget


@pytest.mark.parametrize(
    "option", ["--backends=tensorflow", "--models=vgg", "--precisions=float16", "--sides=", "--sides=x"]
)
def test_gpu_refuses_what_it_does_not_run(option, capsys):
    with pytest.raises(SystemExit) as e:
        gpu.parse_args([option])
    assert e.value.code == 2
    assert option.split("=")[0] in capsys.readouterr().err


@pytest.mark.parametrize("model", gpu.MODELS)
@pytest.mark.parametrize("precision", gpu.PRECISIONS)
def test_gpu_plain_side_is_a_command_gpu_plain_takes(model, precision, tmp_path):
    args = gpu.parse_args(["--cpu"])
    argv = gpu.argv_of("plain", model, precision, "jax", tmp_path / "d.npz", tmp_path, args)
    assert argv[1].endswith("gpu_probe.py") and argv[3].endswith("gpu_plain.py")
    plain = gpu_plain.parse_args(argv[4:])
    assert (plain.model, plain.precision, plain.batch_size) == (model, precision, gpu.BATCH)
    assert plain.epochs == gpu.SIZES["cpu"][model][1]


def test_gpu_dlkit_side_trains_the_shipped_config_on_the_backend(tmp_path):
    args = gpu.parse_args(["--dlkit-set", "train.deterministic=false"])
    argv = gpu.argv_of("dlkit", "resnet", "mixed_bfloat16", "torch", tmp_path / "d.npz", tmp_path, args)
    assert argv[3:6] == ["-m", "dlkit", "train"] and argv[6].endswith("configs/cifar10_resnet.yaml")
    assert argv[argv.index("--backend") + 1] == "torch"
    assert argv[argv.index("--plugin") + 1].endswith("gpu_timer.py")
    sets = [argv[i + 1] for i, a in enumerate(argv) if a == "--set"]
    assert {"train.precision=mixed_bfloat16", "data.dataset=npz", f"data.options.path={tmp_path / 'd.npz'}",
            "train.deterministic=false", f"train.epochs={gpu.SIZES['gpu']['resnet'][1]}"} <= set(sets)  # fmt: skip


def test_gpu_plain_refuses_no_epochs(capsys):
    with pytest.raises(SystemExit):
        gpu_plain.parse_args(["resnet", "d.npz", "m.keras", "r.json", "--epochs", "0"])
    assert "--epochs" in capsys.readouterr().err


def test_gpu_report_compares_the_sides_of_each_cell():
    cell = {"backend": "jax", "model": "resnet", "precision": "float32", "exit": 0, "error": None, "rss_mib": 900}
    plain = cell | {"side": "plain", "images_per_s": 1000.0, "seconds": 30.0, "cpu_seconds": 40.0, "peak_bytes": 2**30}
    dlkit = cell | {"side": "dlkit", "images_per_s": 1100.0, "seconds": 40.0, "cpu_seconds": 50.0, "peak_bytes": 2**29}
    failed = cell | {"precision": "mixed_bfloat16", "side": "dlkit", "exit": 1, "error": "ModuleNotFoundError: x"}
    text = gpu.report("device", [plain, dlkit, failed], 75.0)
    assert "jax   resnet    float32                           1.10                 0.75                    0.50" in text
    assert "FAILED: ModuleNotFoundError: x" in text
    assert text.splitlines()[-1].split()[-3:] == ["n/a", "n/a", "n/a"]


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_end_to_end_runs_both_sides_on_the_backend(backend, tmp_path):
    args = end_to_end.parse_args(["--backend", backend])
    commands = end_to_end.commands(args, tmp_path, {"dlkit": REPO})
    assert commands["plain"][1]["KERAS_BACKEND"] == backend  # the plain script picks it from the environment
    argv, env, _ = commands["dlkit"]
    assert argv[argv.index("--backend") + 1] == backend and env["PYTHONPATH"] == str(REPO)


def test_end_to_end_refuses_another_backend(capsys):
    with pytest.raises(SystemExit):
        end_to_end.parse_args(["--backend", "mxnet"])
    assert "--backend" in capsys.readouterr().err


def test_parity_refuses_an_unknown_config(capsys):
    with pytest.raises(SystemExit):
        backend_parity.parse_args(["--configs", "quickstart,mnist"])
    assert "mnist" in capsys.readouterr().err


def test_parity_table_says_whether_each_figure_is_inside_tensorflows_spread():
    runs = [{"config": "series_regression", "backend": "tensorflow", "seed": s, "test": {"mae": v}}
            for s, v in ((42, 9.0), (1, 9.5), (7, 8.6))]  # fmt: skip
    runs += [{"config": "series_regression", "backend": "jax", "seed": 42, "test": {"mae": 9.2}},
             {"config": "series_regression", "backend": "torch", "seed": 42, "test": {"mae": 10.1}}]  # fmt: skip
    params = {f"series_regression/{b}": 4385 for b in backend_parity.BACKENDS}
    row = backend_parity.table({"runs": runs, "params": params}, ["series_regression"]).splitlines()[-1]
    assert row == (
        "| series_regression | 4385 / 4385 / 4385 | mae | 9.0000, 9.5000, 8.6000: 8.6000-9.5000 | 9.2000 (inside) "
        "| 10.1000 (outside, above) |"
    )
