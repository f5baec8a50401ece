"""`dlkit eval` on what is not a run folder."""


def test_eval_refuses_what_is_not_a_run(tmp_path, cli):
    assert "no such run folder" in cli("eval", tmp_path / "nope").stderr
    result = cli("eval", tmp_path)
    assert result.exit_code == 2 and "not a dlkit run folder" in result.stderr
