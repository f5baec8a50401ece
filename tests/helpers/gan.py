"""The tiny GAN config and its config-error helper."""

from conftest import write_config

TINY_GAN = {
    "name": "tiny_gan",
    "seed": 3,
    "task": "gan",
    "data": {
        "dataset": "digits",
        "preprocess": [{"type": "rescale", "scale": 2 / 255, "offset": -1}],
        "batch_size": 64,
    },
    "model": {
        "latent_dim": 8,
        "generator": {
            "layers": [
                {"type": "dense", "units": 32},
                {"type": "batch_normalization"},
                {"type": "leaky_relu", "negative_slope": 0.2},
                {"type": "dense", "units": 64, "activation": "tanh"},
                {"type": "reshape", "target_shape": [8, 8, 1]},
            ]
        },
        "discriminator": {
            "layers": ["flatten", {"type": "dense", "units": 32}, "leaky_relu", {"type": "dense", "units": 1}]
        },
    },
    "train": {"epochs": 2, "sample_every": 1},
}


def _config_error(tmp_path, cli, data) -> str:
    result = cli("validate", write_config(tmp_path, data), "--dry-run")
    assert result.exit_code == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlkit: error: ")
    return lines[0]
