"""Start-up time of the commands that train nothing, and the heavy modules each one imports.

What it measures
  Each command runs `--runs` times (default 7) as a whole process, `python -m dlkit ...` from the
  repository root with this checkout first on the path, after one untimed run that writes the
  bytecode caches. It prints the median wall time and the median CPU time (user + system of the
  child): on a shared machine wall time varies with the load and CPU time much less; the load
  average is printed with the figures.
  Then one more run of each records the heavy modules it imported (TensorFlow, Keras, NumPy,
  pandas, scikit-learn, SciPy, matplotlib, Optuna, pydantic, PyYAML, typer, rich), checked in
  `sys.modules` at exit, so that a module newly imported at the top of a file shows here.
  Also printed: the bare interpreter (`python -c pass`), which every command pays, and the floors
  of the libraries dlkit's command line is made of, without dlkit: a typer app of as many commands
  as dlkit's printing its `--help`, and a typer command of validate's options that reads the YAML
  with PyYAML and checks it with one pydantic model (the least a typer + pydantic + PyYAML command
  line pays for `validate`). The commands take turns, run by run, so that a drift of the machine's
  speed falls on all of them alike.

Goals (issue 30): `validate` < 0.25 s and `--help` < 0.1 s, medians of 5 wall times.

PYTHONDONTWRITEBYTECODE is removed from the commands' environment: with it set, every run compiles
dlkit's sources again (about 0.1 s), which an installed dlkit never does.

Run (under a minute):
    .venv/bin/python benchmarks/startup.py
    .venv/bin/python benchmarks/startup.py --runs 11
    .venv/bin/python benchmarks/startup.py --checkout ../before   # also that checkout's, in turns
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: Modules whose import costs start-up something worth seeing (each a top-level package).
HEAVY = (
    "tensorflow",
    "keras",
    "numpy",
    "pandas",
    "sklearn",
    "scipy",
    "matplotlib",
    "optuna",
    "pydantic",
    "yaml",
    "typer",
    "rich",
)

#: Prints the HEAVY packages loaded when the command exits (TensorFlow's commands leave through
#: os._exit, so they are caught there too).
WRAPPER = """
import atexit, os, runpy, sys
def report():
    loaded = [m for m in {heavy!r} if m in sys.modules]
    os.write(1, ("\\nLOADED " + " ".join(loaded) + "\\n").encode())
atexit.register(report)
_exit = os._exit
os._exit = lambda code: (report(), _exit(code))
sys.argv = ["dlkit", *sys.argv[1:]]
runpy.run_module("dlkit", run_name="__main__")
"""


#: Typer's settings as dlkit's app has them (rich not imported for help or errors).
SETTINGS = "add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None"

#: A typer app with as many commands as dlkit's, each with an option (`--help` lists them all).
FLOOR_HELP = f"""
import typer
app = typer.Typer({SETTINGS})
for i in range(21):
    def command(path: str = typer.Option("", help="A path.")):
        "A command."
    app.command(f"command-{{i}}")(command)
app()
"""

#: A typer command with validate's options reading the YAML and checking it with one pydantic model.
FLOOR_VALIDATE = f"""
from pathlib import Path
import typer, yaml
from pydantic import BaseModel, ConfigDict, Field
app = typer.Typer({SETTINGS})
class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = "run"
    seed: int = Field(42, ge=0)
    task: str = "classification"
    data: dict
    model: dict
    train: dict = {{}}
    eval: dict = {{}}
@app.command()
def validate(config: Path, set_: list[str] | None = typer.Option(None, "--set"), dry_run: bool = False,
             as_json: bool = typer.Option(False, "--json"), show: bool = False, explain: bool = False,
             plugin: list[Path] | None = None, trust_plugins: bool = False, backend: str | None = None):
    cfg = Config.model_validate(yaml.load(config.read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    print(f"{{config}}: valid ({{cfg.task}})")
@app.command()
def other():
    pass
app()
"""


def environment(repo: Path = REPO) -> dict[str, str]:
    """This environment with `repo`'s dlkit first on the path and bytecode caches written."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = os.pathsep.join([str(repo), *filter(None, [env.get("PYTHONPATH")])])
    return env


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run of `command`, in the checkout first on `env`'s path (Python
    puts the working folder first on its path: run elsewhere, `-m dlkit` would find another)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    cwd = env["PYTHONPATH"].split(os.pathsep)[0]
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loaded(args: list[str], env: dict[str, str]) -> list[str]:
    """The HEAVY packages `dlkit ARGS` imported."""
    code = WRAPPER.format(heavy=HEAVY)
    done = subprocess.run(
        [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return next(line.split()[1:] for line in done.stdout.splitlines() if line.startswith("LOADED"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument(
        "--checkout", action="append", default=[], type=Path, help="also time --help and validate from this checkout"
    )
    args = parser.parse_args()
    env = environment()
    with tempfile.TemporaryDirectory() as empty:
        dlkit = {
            "dlkit --help": ["--help"],
            "dlkit validate configs/quickstart.yaml": ["validate", "configs/quickstart.yaml"],
            "dlkit list layers": ["list", "layers"],
            "dlkit runs (an empty folder)": ["runs", empty],
        }
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], env),
            "floor: typer app of 21 commands, --help": ([sys.executable, "-c", FLOOR_HELP, "--help"], env),
            "floor: typer+pydantic+PyYAML validate": (
                [sys.executable, "-c", FLOOR_VALIDATE, "validate", "configs/quickstart.yaml"], env
            ),
            **{name: ([sys.executable, "-m", "dlkit", *argv], env) for name, argv in dlkit.items()},
        }  # fmt: skip
        for checkout in args.checkout:  # the same commands of another checkout, in the same turns
            for name in list(dlkit)[:2]:
                commands[f"{checkout.name}: {name}"] = (
                    [sys.executable, "-m", "dlkit", *dlkit[name]],
                    environment(checkout),
                )
        for command, command_env in commands.values():
            timed(command, command_env)  # writes the bytecode caches
        times = {name: [] for name in commands}
        for _ in range(args.runs):  # in turns
            for name, (command, command_env) in commands.items():
                times[name].append(timed(command, command_env))
        print(f"{'command':50s} {'wall (median)':>14s} {'CPU (median)':>13s}   heavy modules imported")
        for name, runs in times.items():
            walls, cpus = zip(*runs, strict=True)
            heavy = " ".join(loaded(dlkit[name], env)) or "-" if name in dlkit else ""
            print(f"{name:50s} {statistics.median(walls):12.3f} s {statistics.median(cpus):11.3f} s   {heavy}")
    print(f"\n{args.runs} runs each; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
