"""`task: segmentation` on `dataset: segmentation_folder`: metrics against a numpy reference, the
folder's errors, colour masks, nearest-neighbour mask resizing, and a run trained, evaluated and
predicted end to end on `dlkit make-data shapes-segmentation`."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import write_config
from helpers.segmentation import CLASSES, pair, seg_config


def test_folder_mistakes_are_one_line_naming_the_file(tmp_path, cli):
    """An image without a mask, a mask without an image, a mask of another size, a class id of
    K or more: each exit 1 with one line naming the file, and no run folder left."""
    cases = {
        "no_mask": ("a.png", lambda root: (root / "masks" / "a.png").unlink()),
        "no_image": ("b.png", lambda root: (root / "images" / "b.png").unlink()),
        "size": ("c.png", lambda root: pair(root, "c", (20, 30), np.zeros((10, 30), "uint8"))),
        "class_id": ("d.png", lambda root: pair(root, "d", mask=np.full((20, 30), 4, "uint8"))),
    }
    for name, (named, spoil) in cases.items():
        root = tmp_path / name
        for stem in "abcd":
            pair(root, stem)
        spoil(root)
        config = write_config(tmp_path, seg_config(root), f"{name}.yaml")
        result = cli("train", config, "--runs-dir", tmp_path / "runs", "-q")
        assert result.exit_code == 1, (name, result.output)
        line = result.output.strip()
        assert "\n" not in line and named in line and len(line) < 300, (name, line)
        assert not any((tmp_path / "runs").glob("*/*")), name


@pytest.mark.slow
def test_shapes_train_and_eval(shapes_run, cli):
    """make-data writes 40 pairs and the class names; training scores IoU/Dice (equal to the numpy
    report); eval writes per-class IoU/Dice and the best/worst grid."""
    data, run = shapes_run["data"], shapes_run["run"]
    assert len(list((data / "images").iterdir())) == len(list((data / "masks").iterdir())) == 40
    assert (data / "classes.txt").read_text().split() == CLASSES
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"mean_iou", "dice", "pixel_accuracy", "accuracy"} <= set(metrics["test"])
    assert metrics["test"]["accuracy"] == pytest.approx(metrics["test"]["pixel_accuracy"], abs=1e-6)
    result = cli("eval", run)
    assert result.exit_code == 0, result.output
    rows = json.loads((run / "eval" / "per_class.json").read_text())
    assert [row["class"] for row in rows] == CLASSES
    examples = json.loads((run / "eval" / "examples.json").read_text())
    assert examples["worst"][0]["mean_iou"] <= examples["best"][0]["mean_iou"]
    assert Image.open(run / "eval" / "examples.png").size[1] > 300
    assert "per class" in result.output


@pytest.mark.slow
def test_predict_writes_masks_of_each_images_size(shapes_run, cli, tmp_path):
    """An image of another size than training's gets a mask of its own size (a PNG of class ids);
    --json gives the same mask run-length encoded; the shares sum to 1; --overlay draws it."""
    from dlkit.tasks.segmentation.task import decode_rle

    odd = tmp_path / "odd.png"
    Image.open(next((shapes_run["data"] / "images").iterdir())).resize((50, 37)).save(odd)
    result = cli("predict", odd, "--run", shapes_run["run"], "--json", "--overlay")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["predictions"][0]
    mask = np.asarray(Image.open(row["mask_file"]))
    assert mask.shape == (37, 50) and row["mask"]["size"] == [37, 50]
    assert (decode_rle(row["mask"]) == mask).all()
    assert set(np.unique(mask)) <= set(range(len(CLASSES)))
    assert sum(row["shares"].values()) == pytest.approx(1.0) and list(row["shares"]) == CLASSES
    assert Image.open(row["overlay_file"]).size == (50, 37)
    assert cli("predict", odd, "--run", shapes_run["run"], "-o", tmp_path / "p.csv").exit_code == 0
    header, shown = (tmp_path / "p.csv").read_text().splitlines()[:2]  # the table's and CSV's classes: the shares
    assert header == "input,classes,mask,unseen,error"
    assert shown.startswith(f"{odd},") and "%" in shown and max(row["shares"], key=row["shares"].get) in shown
    assert shown.split(",")[-3] == "odd.mask.png"
    table = cli("predict", odd, "--run", shapes_run["run"]).stdout
    assert "classes" in table and "mask" in table and "top 3" not in table and "probability" not in table
    refused = cli("predict", odd, "--run", shapes_run["run"], "-o", tmp_path / "mask.png")
    assert refused.exit_code == 2 and "--output" in refused.stderr and "written as CSV" in refused.stderr
    assert not (tmp_path / "mask.png").exists()


def test_overlay_is_refused_for_other_tasks(trained_run, cli, tmp_path):
    from sklearn.datasets import load_digits

    image = tmp_path / "digit.png"
    Image.fromarray((load_digits().images[0] * 15).astype("uint8")).save(image)
    result = cli("predict", image, "--run", trained_run[0], "--overlay")
    assert result.exit_code == 2
    assert "--overlay draws segmentation masks" in result.output


@pytest.mark.slow
def test_export_and_serve_give_the_mask(shapes_run, cli, tmp_path):
    """The saved_model export scores as model.keras (same masks); `dlkit serve` answers a PNG
    with the mask `dlkit predict --json` gives for it (at the model's size, run-length encoded)."""
    import base64
    import os
    import subprocess
    import sys

    import httpx

    from conftest import REPO
    from helpers.serve import free_port, wait_until_serving

    run = shapes_run["run"]
    result = cli("export", run, "--format", "saved_model")
    assert result.exit_code == 0, result.output
    parity = json.loads((run / "export" / "saved_model" / "export.json").read_text())["parity"]
    assert parity["passed"] and parity["agreement"] == 1.0
    image = tmp_path / "same.png"
    Image.open(next((shapes_run["data"] / "images").iterdir())).resize((24, 24)).save(image)
    expected = json.loads(cli("predict", image, "--run", run, "--json").stdout)["predictions"][0]["mask"]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3"}
    command = [sys.executable, "-m", "dlkit", "serve", str(run), "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        wait_until_serving(client, process)
        body = {"instances": [{"b64": base64.b64encode(image.read_bytes()).decode()}]}
        served = client.post(f"/v1/models/{run.name.split('-')[0]}:predict", json=body)
        assert served.status_code == 200, served.text
        assert served.json()["predictions"][0]["mask"] == expected
    finally:
        process.terminate()
        process.wait(30)


def test_validate_checks_the_last_convolution_and_the_mask_size(tmp_path, cli):
    """`dlkit validate` names the last conv2d's filters against the classes (no TensorFlow needed);
    training refuses a model whose output is not the masks' size; Keras augmentation layers, which
    would move images but not masks, are refused."""
    for stem in "abcdefghij":
        pair(tmp_path / "d", stem)
    config = seg_config(tmp_path / "d")
    config["model"]["layers"][-1]["filters"] = 3
    result = cli("validate", write_config(tmp_path, config))
    assert (
        result.exit_code == 2
        and "model.layers.1.filters: 3 filters" in result.output
        and "set filters: 4" in result.output
    )
    config = seg_config(tmp_path / "d")
    config["model"]["layers"].insert(1, {"type": "max_pooling2d", "pool_size": 2})
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs")
    assert result.exit_code == 2 and "gives 12x12 per image but masks are 24x24" in result.output
    config = seg_config(tmp_path / "d", data={"augment": [{"type": "random_flip"}]})
    result = cli("validate", write_config(tmp_path, config))
    assert result.exit_code == 2 and "data.augment" in result.output and "data.options.augment" in result.output


def test_one_sigmoid_foreground_class(tmp_path, cli):
    """A sigmoid loss makes it one foreground channel: masks of 0/1, two classes; predict's mask
    holds 0 and 1 only. More than two classes with a sigmoid loss is one line naming the loss."""
    rng = np.random.default_rng(0)
    for i in range(10):
        mask = np.zeros((20, 30), "uint8")
        mask[rng.integers(0, 10) :][:, rng.integers(0, 15) :] = 1
        pair(tmp_path / "d", f"{i}", mask=mask)
    options = {"path": str(tmp_path / "d"), "image_size": [16, 16], "classes": ["background", "shape"]}
    config = seg_config(tmp_path / "d", data={"options": options}, train={"loss": "binary_crossentropy_dice"})
    config["model"]["layers"][-1] |= {"filters": 1, "activation": "sigmoid"}
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 0, result.output
    run = Path(result.stdout.strip().splitlines()[-1])
    assert {"mean_iou", "dice"} <= set(json.loads((run / "metrics.json").read_text())["test"])
    predicted = json.loads(cli("predict", tmp_path / "d" / "images" / "0.png", "--run", run, "--json").stdout)
    row = predicted["predictions"][0]
    assert list(row["shares"]) == ["background", "shape"]
    assert set(np.unique(np.asarray(Image.open(row["mask_file"])))) <= {0, 1}
    config["data"]["options"]["classes"] = CLASSES
    result = cli("train", write_config(tmp_path, config), "--runs-dir", tmp_path / "runs", "-q")
    assert result.exit_code == 1 and "4 classes" in result.output and "binary_crossentropy_dice" in result.output
