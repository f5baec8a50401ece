"""`dlkit validate`: check a config without training (--show, --explain, --dry-run)."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import (
    BackendOption,
    PluginOption,
    SetOption,
    TrustOption,
    app,
    err,
    out,
    user_errors,
    with_backend,
)


@app.command()
@user_errors
def validate(
    config: Path = typer.Argument(..., help="The experiment YAML file."),
    set_: list[str] | None = SetOption,
    dry_run: bool = typer.Option(False, "--dry-run", help="Also build the model and report its shapes."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (the resolved config, or the model built)."),
    show: bool = typer.Option(False, "--show", help="Print the resolved config (defaults filled in, --set applied)."),
    explain: bool = typer.Option(
        False, "--explain", help="Print every resolved value and where it came from (file:line, --set, default)."
    ),
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
    backend: str | None = BackendOption,
):
    """Check a config without training: its keys, its data's files and columns (read from the header,
    not loaded), and the last layer against the classes. Prints one line when it is valid (--show:
    the resolved config; --explain: where each value came from; --dry-run: the model built)."""
    import json

    from dlkit.commands.validate import check_data
    from dlkit.config import dump_config, load_config

    set_ = with_backend(set_, backend)
    cfg = load_config(config, set_ or [], plugin or [])
    check_data(cfg, config, set_ or [], dry_run=dry_run)
    if explain:
        from dlkit.config.explain import explain as origins
        from dlkit.config.explain import render
        from dlkit.config.loader import read_config

        rows = origins(cfg, read_config(config, set_ or [])[1])
        if as_json:
            typer.echo(json.dumps([{"key": k, "value": v, "from": w} for k, v, w in rows], indent=2))
        else:
            typer.echo(render(rows), nl=False)
        return
    if not dry_run:
        if as_json:
            typer.echo(json.dumps(cfg.model_dump(mode="json"), indent=2))
        elif show:
            typer.echo(dump_config(cfg), nl=False)
            err.print(f"{config}: valid", style="green", highlight=False)
        else:
            typer.echo(f"{config}: valid ({cfg.task} on {cfg.data.dataset}, {cfg.train.epochs} epochs)")
        return
    from rich.table import Table

    from dlkit.commands.inspect import describe_model

    summary = describe_model(cfg)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    table = Table(
        "layer", "class", "output shape", "params", title=f"{cfg.name}: input {tuple(summary['input_shape'])}"
    )
    for layer in summary["layers"]:
        table.add_row(layer["name"], layer["class"], str(tuple(layer["output_shape"])), f"{layer['params']:,}")
    out.print(table)
    frozen = f", frozen {summary['frozen_params']:,}" if summary["frozen_params"] else ""
    out.print(f"params: {summary['params']:,} (trainable {summary['trainable_params']:,}{frozen})")
