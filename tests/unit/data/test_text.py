"""Text datasets: the vocabulary is fitted on the training split; image steps on text fail at build."""

import numpy as np

from conftest import write_config
from dlkit.core.registries import DATASETS
from helpers.text import reviews, text_config


def test_vocabulary_comes_from_the_training_split_only(tmp_path):
    import keras

    texts, labels = reviews(40)
    dataset = DATASETS.get("text_csv")(path=tmp_path / "x.csv", sequence_length=5)
    inputs, _ = dataset.model_input((), np.array(texts[:10]))
    vectorize = next(layer for layer in keras.Model(inputs, _).layers if layer.name == "vectorize")
    seen = {w.strip("!").lower() for t in texts[:10] for w in t.split()}
    assert set(vectorize.get_vocabulary()[2:]) == seen


def test_image_steps_on_text_fail_at_build(tmp_path, cli):
    config = text_config("text_folder", {"path": str(tmp_path)})
    config["data"]["augment"] = [{"type": "random_flip"}]
    texts, labels = reviews(20)
    for i, (text, label) in enumerate(zip(texts, labels, strict=True)):
        (tmp_path / label).mkdir(exist_ok=True)
        (tmp_path / label / f"{i}.txt").write_text(text)
    result = cli("validate", write_config(tmp_path, config), "--dry-run")
    assert result.exit_code == 2
    assert "data.augment.0 (random_flip): works on images, but text_folder gives text data" in result.stderr
