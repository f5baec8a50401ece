"""The model's size checked before its weights are allocated: `train.max_params`, both GAN networks,
the model left as it was."""

from conftest import REPO, TINY, write_config
from helpers.hostile_config import refusal


def test_max_params_guards_the_model(tmp_path, cli):
    path = write_config(tmp_path, TINY)
    line = refusal(cli("validate", path, "--dry-run", "--set", "train.max_params=1000"))
    assert line == (
        "dlkit: error: model.layers.2 (dense) holds 2,890 of the model's 2,970 parameters, "
        "over train.max_params (1,000)"
    )
    assert cli("validate", path, "--dry-run", "--set", "train.max_params=2970").exit_code == 0


def test_the_size_check_covers_both_gan_networks(cli):
    config = REPO / "configs" / "digits_gan.yaml"
    line = refusal(cli("validate", config, "--dry-run", "--set", "model.discriminator.layers.1.units=1000000000"))
    assert line.startswith("dlkit: error: model.discriminator.layers.4 (dense) holds 128,000,000,128 of the model's ")


def test_the_size_check_leaves_the_model_as_it_was(tmp_path, cli):
    """The check builds the layers once without allocating them; the model built after it has
    the names a model built alone has (checkpoints name layers) and real, initialized weights."""
    import json

    from dlkit.core.backend import keras

    keras().backend.clear_session()  # Keras numbers layer names per process: start from none
    result = cli("validate", write_config(tmp_path, TINY), "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    names = [layer["name"] for layer in json.loads(result.stdout)["layers"]]
    assert names[-3:] == ["conv2d", "flatten", "dense"]
