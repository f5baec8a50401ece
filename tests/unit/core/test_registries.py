"""`dlkit list`: each registry's entries."""


def test_list_shows_each_registry(cli):
    for what, expected in [
        ("layers", "conv2d"),
        ("datasets", "digits"),
        ("preprocess", "rescale"),
        ("callbacks", "early_stopping"),
        ("optimizers", "adamw"),
        ("losses", "huber"),
        ("metrics", "top_k_accuracy"),
    ]:
        result = cli("list", what)
        assert result.exit_code == 0 and expected in result.stdout, what
    assert "convolution2d" in cli("list", "layers").stdout  # aliases are shown
