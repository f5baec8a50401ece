"""`dlkit export`: a run's model in another runtime's format, with its parity report."""

from __future__ import annotations

from pathlib import Path

import typer

from dlkit.cli.common import PluginOption, SetOption, TrustOption, app, err, out, user_errors


@app.command()
@user_errors
def export(
    run: Path = typer.Argument(..., help="A run folder (or runs/latest)."),
    format: str = typer.Option(..., "--format", "-f", help="saved_model, onnx or litert (`dlkit list formats`)."),
    quantize: str | None = typer.Option(
        None, "--quantize", "-q", help="saved_model: int8; onnx: dynamic, int8; litert: dynamic, int8, float16."
    ),
    out_dir: Path | None = typer.Option(None, "--out", "-o", help="The export folder; default RUN/export/FORMAT[-Q]/."),
    max_drop: float = typer.Option(
        0.01, "--max-drop", min=0, help="How much worse than model.keras the export may score on the test split."
    ),
    set_: list[str] | None = SetOption,
    plugin: list[Path] | None = PluginOption,
    trust_plugins: bool = TrustOption,
):
    """Export a run's model (preprocessing inside) and check it against model.keras on the test
    split: outputs, predictions, test figures, size and latency (RUN/export/.../export.json).
    Prints the export folder last; exit 1 if it scores more than --max-drop worse."""
    from rich.table import Table

    from dlkit.core.runs import resolve_run
    from dlkit.export.exporter import check_format

    run_dir = resolve_run(run)
    check_format(format, quantize, run_dir)  # before Keras loads
    from dlkit.export.exporter import export_run

    exported = export_run(run_dir, format, quantize, out_dir, max_drop, set_ or [])
    parity = exported.parity
    title = f"{exported.format}{f' ({exported.quantize})' if exported.quantize else ''}: {parity.runtime}, "
    table = Table("", "model.keras", "export", title=f"{title}{parity.examples} test examples")
    for row in parity.rows():
        table.add_row(*row)
    out.print(table)
    if not parity.passed:
        err.print(
            f"dlkit: error: the export scores {parity.judged_on} {parity.metrics['export'][parity.judged_on]:.4f} "
            f"against model.keras's {parity.metrics['model.keras'][parity.judged_on]:.4f}: worse by more than "
            f"--max-drop {max_drop}; kept in {exported.folder}, marked failed in export.json",
            markup=False,
            highlight=False,
        )
    typer.echo(str(exported.folder))
    if not parity.passed:
        raise typer.Exit(1)
