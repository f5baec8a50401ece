"""The errors a user can cause. Each is shown as one line without a traceback (see `dlkit.cli`)."""


class DlkitError(Exception):
    """A problem the user can fix; `exit_code` follows SPEC (1 while running, 2 for usage/config)."""

    exit_code = 1


class ConfigError(DlkitError):
    """The config (or a `--set` override) is wrong; nothing has been run or written."""

    exit_code = 2


class UsageError(DlkitError):
    """A command was called with arguments that cannot work (missing run folder, no finished run)."""

    exit_code = 2


class DataError(DlkitError):
    """The data could not be read or does not fit the config."""

    exit_code = 1


class Interrupted(DlkitError):
    """Training was stopped (Ctrl-C) after saving a checkpoint it can resume from."""

    exit_code = 1

    def __init__(self, run_dir):
        self.run_dir = run_dir
        super().__init__(f"interrupted; the run can go on with: dlkit train --resume {run_dir}")


class WriteError(DlkitError):
    """A file could not be written (no space left, a read-only disk, a quota), or would have been
    written through a symbolic link inside a run folder; what was written before is kept."""

    exit_code = 1
