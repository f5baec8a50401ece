"""The one line a refused config prints."""


def refusal(result) -> str:
    """The one line a refused config prints."""
    assert result.exit_code == 2, (result.exit_code, result.stdout)
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dlkit: error: ") and len(lines[0]) < 300, lines
    return lines[0]
