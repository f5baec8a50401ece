"""Task gan's config checks: mistakes are one line at their key; its keys refused for other tasks."""

import json

import pytest

from helpers.gan import TINY_GAN, _config_error


def _with(section: str, **values) -> dict:
    data = json.loads(json.dumps(TINY_GAN))
    data[section] = {**data[section], **values}
    return data


@pytest.mark.parametrize(
    "data, message",
    [
        (_with("model", discriminator=None), "model.discriminator: Input should be a valid dictionary"),
        ({**TINY_GAN, "model": {k: v for k, v in TINY_GAN["model"].items() if k != "discriminator"}},
         "model.discriminator: required for task gan"),
        (_with("model", layers=["flatten"]), "model.layers: not used by task gan"),
        (_with("train", loss="binary_crossentropy"), "train.loss: not used by task gan"),
        (_with("train", optimizer="adam"), "train.optimizer: not used by task gan"),
        (_with("train", checkpoint={"monitor": "val_loss"}), "train.checkpoint.monitor: 'val_loss' is not logged"),
        (_with("data", split={"validation": 0.1}), "data.split.validation: task gan trains without validation"),
        ({**TINY_GAN, "task": "classification"}, "model.discriminator: only for task gan"),
    ],
)  # fmt: skip
def test_config_mistakes_are_one_line_at_their_key(data, message, tmp_path, cli):
    assert message in _config_error(tmp_path, cli, data)


def test_gan_keys_are_refused_for_other_tasks(tmp_path, cli):
    from conftest import TINY

    data = {**TINY, "train": {**TINY["train"], "sample_every": 3}}
    assert "train.sample_every: only for task gan" in _config_error(tmp_path, cli, data)
