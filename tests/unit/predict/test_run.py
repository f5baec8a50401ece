"""`dlkit predict` without any finished run."""


def test_predict_without_any_finished_run(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("predict", "x.png")
    assert result.exit_code == 2 and "no finished run under runs/" in result.stderr
