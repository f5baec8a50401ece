"""`task: segmentation` on `dataset: segmentation_folder`: metrics against a numpy reference, the
folder's errors, colour masks, nearest-neighbour mask resizing, and a run trained, evaluated and
predicted end to end on `dlkit make-data shapes-segmentation`."""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import write_config
from dlkit.data.segmentation_folder import nearest
from dlkit.tasks.segmentation.report import mask_scores

CLASSES = ["background", "circle", "square", "triangle"]


def reference(y_true, y_pred, k):
    """Per-class IoU and Dice by counting pixels class by class; means over the classes present."""
    ious, dices, hits = [], [], 0
    for c in range(k):
        t, p = y_true == c, y_pred == c
        inter, union, total = np.sum(t & p), np.sum(t | p), np.sum(t) + np.sum(p)
        hits += inter
        if union:
            ious.append(inter / union)
            dices.append(2 * inter / total)
    return {"mean_iou": np.mean(ious), "dice": np.mean(dices), "pixel_accuracy": hits / y_true.size}


def seg_config(root, **changes):
    config = {
        "name": "seg",
        "seed": 3,
        "task": "segmentation",
        "data": {
            "dataset": "segmentation_folder",
            "options": {"path": str(root), "image_size": [24, 24], "classes": CLASSES},
            "split": {"validation": 0.2, "test": 0.2},
            "preprocess": [{"type": "rescale", "scale": 1 / 255}],
            "batch_size": 8,
        },
        "model": {
            "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
                {"type": "conv2d", "filters": 4, "kernel_size": 1, "activation": "softmax"},
            ]
        },
        "train": {"epochs": 1, "metrics": ["accuracy", "mean_iou", "dice"]},
    }
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    return config


def pair(root, stem, image_size=(20, 30), mask=None, suffix=".png"):
    """One image and its mask (class ids) under root/images and root/masks."""
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    height, width = image_size
    Image.fromarray(np.full((height, width, 3), 90, "uint8")).save(root / "images" / f"{stem}{suffix}")
    ids = np.zeros((height, width), "uint8") if mask is None else mask
    Image.fromarray(ids, "L").save(root / "masks" / f"{stem}.png")


@pytest.mark.parametrize("head", ["softmax", "sigmoid"])
def test_metrics_equal_numpy_reference(head):
    """The training metrics (`mean_iou`, `dice`, Keras, streamed over batches) and the report's
    figures (`eval.metrics`) both equal a pixel-counting reference to 1e-6."""
    from dlkit.core.registries import LOSSES, METRICS

    rng = np.random.default_rng(0)
    k = 4 if head == "softmax" else 2
    y_true = rng.integers(0, k, (6, 16, 16, 1))
    y_true[:, :4] = 0  # a skewed class balance, and class k-1 never predicted below
    if head == "softmax":
        outputs = rng.dirichlet(np.ones(k), (6, 16, 16)).astype("float32")
        outputs[..., k - 1] = 0.0
        y_pred, loss = outputs.argmax(-1), LOSSES.parse("sparse_categorical_crossentropy")
    else:
        outputs = rng.uniform(0, 1, (6, 16, 16, 1)).astype("float32")
        y_pred, loss = (outputs[..., 0] > 0.5).astype(int), LOSSES.parse("binary_crossentropy")
    expected = reference(y_true[..., 0], y_pred, k)
    for name in ("mean_iou", "dice"):
        metric = METRICS.parse(name).build(loss, k)
        for batch in range(0, 6, 4):  # in two batches, as training streams them
            metric.update_state(y_true[batch : batch + 4], outputs[batch : batch + 4])
        assert float(metric.result()) == pytest.approx(expected[name], abs=1e-6)
    figures = mask_scores(y_true, y_pred, k)
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value, abs=1e-6)


def test_dice_loss_against_numpy():
    """`dice` is 1 - the mean soft Dice over the classes; `crossentropy_dice` adds the cross-entropy."""
    from dlkit.core.registries import LOSSES

    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, (2, 8, 8, 1))
    p = rng.dirichlet(np.ones(3), (2, 8, 8)).astype("float32")
    onehot = np.eye(3)[y[..., 0]]
    soft = (2 * (p * onehot).sum((0, 1, 2)) + 1) / (p.sum((0, 1, 2)) + onehot.sum((0, 1, 2)) + 1)
    dice = 1 - soft.mean()
    ce = -np.log(np.take_along_axis(p, y, axis=-1)).mean()
    assert float(LOSSES.parse("dice").build()(y, p)) == pytest.approx(dice, abs=1e-5)
    assert float(LOSSES.parse("crossentropy_dice").build()(y, p)) == pytest.approx(dice + ce, abs=1e-5)


def test_nearest_resize_never_invents_a_class():
    """Masks of ids {0, 3, 7} resized up and down to odd sizes hold only those ids; a bilinear
    resize of the same mask would make 1, 2, 4... at the borders."""
    rng = np.random.default_rng(2)
    ids = rng.choice(np.array([0, 3, 7], "uint8"), (37, 23))
    for size in ((5, 9), (64, 41), (37, 23), (100, 7)):
        resized = nearest(ids, *size)
        assert resized.shape == size
        assert set(np.unique(resized)) <= {0, 3, 7}
    assert (nearest(ids, 37, 23) == ids).all()


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


def test_colour_masks_through_the_palette(tmp_path):
    """With `palette`, each colour is its class in the palette's order; a colour not in it is an error."""
    from dlkit.core.errors import DataError
    from dlkit.core.registries import DATASETS

    root = tmp_path / "colours"
    pair(root, "a")
    rgb = np.zeros((20, 30, 3), "uint8")
    rgb[5:10, 5:10] = (255, 0, 0)
    rgb[12:15, 20:25] = (0, 0, 255)
    Image.fromarray(rgb).save(root / "masks" / "a.png")
    palette = {"background": [0, 0, 0], "road": [255, 0, 0], "water": [0, 0, 255]}
    loader = DATASETS.parse({"type": "segmentation_folder", "path": root, "image_size": [20, 30], "palette": palette})
    arrays = loader.load()
    assert arrays.class_names == ["background", "road", "water"]
    mask = arrays.y_train[0, ..., 0]
    assert (mask[5:10, 5:10] == 1).all() and (mask[12:15, 20:25] == 2).all() and mask.sum() == 25 + 2 * 15
    del palette["water"]
    loader = DATASETS.parse({"type": "segmentation_folder", "path": root, "image_size": [20, 30], "palette": palette})
    with pytest.raises(DataError, match=r"a\.png: colour\(s\) \[0, 0, 255\] not in data.options.palette"):
        loader.load()


@pytest.fixture(scope="module")
def shapes_run(tmp_path_factory):
    """`dlkit make-data shapes-segmentation` and a run trained on it for 1 epoch (with paired augmentation)."""
    from typer.testing import CliRunner

    from dlkit.cli import app

    folder = tmp_path_factory.mktemp("shapes")
    data, runner = folder / "shapes", CliRunner()
    result = runner.invoke(app, ["make-data", "shapes-segmentation", str(data), "--n", "40", "--size", "32"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == str(data)
    options = {"path": str(data), "image_size": [24, 24], "classes": CLASSES}
    options["augment"] = {"flip": ["horizontal"], "zoom": 1.3}
    config = write_config(folder, seg_config(data, data={"options": options}))
    result = runner.invoke(app, ["train", str(config), "--runs-dir", str(folder / "runs"), "-q"])
    assert result.exit_code == 0, result.output
    return {"data": data, "run": next((folder / "runs").glob("seg-*"))}


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
    from test_serve import free_port, wait_until_serving

    from conftest import REPO

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


def test_mask_file_modes_read_as_class_ids(tmp_path):
    """Grey, palette (P: the indices, not the colours) and 1-bit (0/1, not 0/255) masks."""
    from dlkit.data.segmentation_folder import read_mask

    ids = np.array([[0, 1, 2], [3, 0, 1]], "uint8")
    Image.fromarray(ids, "L").save(tmp_path / "grey.png")
    palette = Image.fromarray(ids, "P")
    palette.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
    palette.save(tmp_path / "palette.png")
    Image.fromarray(ids > 1).save(tmp_path / "bits.png")
    assert (read_mask(tmp_path / "grey.png", None) == ids).all()
    assert (read_mask(tmp_path / "palette.png", None) == ids).all()
    assert Image.open(tmp_path / "bits.png").mode == "1"
    assert (read_mask(tmp_path / "bits.png", None) == (ids > 1)).all()
