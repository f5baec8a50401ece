"""`dlkit schema`: the JSON Schema of experiment files, for editors (yaml-language-server)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, app, err, user_errors


@app.command()
@user_errors
def schema(
    output: Path | None = typer.Option(None, "--output", "-o", help="Write it to this file; default: stdout."),
    plugin: list[Path] | None = PluginOption,
):
    """Print the JSON Schema (draft 7) of a config file: every key with its type and description,
    each layer's arguments, each dataset's options, the registries' names (with --plugin, yours too).
    An editor reads it from a first line `# yaml-language-server: $schema=dlkit.schema.json`."""
    import os

    from dlkit.commands.schema import dumps, schema
    from dlkit.core.errors import UsageError

    text = dumps(schema())
    if output is None:
        typer.echo(text, nl=False)
        return
    if not output.parent.is_dir():
        raise UsageError(f"dlkit schema -o {output}: no folder {output.parent}")
    partial = output.with_name(f".{output.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, output)  # never a half-written schema
    err.print(f"{output}: JSON Schema of dlkit configs written", markup=False, highlight=False)
