"""`model.backbone` is refused for task gan."""


def test_a_gan_refuses_a_backbone(cli):
    from conftest import REPO

    result = cli("validate", REPO / "configs" / "digits_gan.yaml", "--set", "model.generator.backbone={run: runs/x}")
    assert result.exit_code == 2 and "model.generator.backbone: not used by task gan" in result.stderr
