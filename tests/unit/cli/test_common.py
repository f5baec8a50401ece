"""The CLI's error handling: DLKIT_DEBUG shows the traceback a user's mistake otherwise hides."""

from conftest import TINY, write_config


def test_debug_variable_shows_the_traceback(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("DLKIT_DEBUG", "1")
    config = write_config(tmp_path, {**TINY, "trian": {}})
    result = cli("validate", config)
    assert result.exit_code != 0 and type(result.exception).__name__ == "ConfigError"
