"""Writing files the way a run folder needs: whole or not at all, never through a symbolic link
inside the run folder, and a failed write (no space left, a read-only disk, a quota) as one line
naming the file. Scratch files are named so that `--resume` can tell and remove them."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
from pathlib import Path

from dlkit.core.errors import WriteError

_UMASK = os.umask(0o022)
os.umask(_UMASK)

#: The names of dlkit's scratch files and folders (`.NAME.<random>.tmp`, `.NAME.<pid>.tmp.keras`,
#: `.NAME.tmp-<pid>`, `.NAME.old-<pid>`): written beside their target and renamed over it, so one
#: left behind is a write that a kill or a full disk stopped.
SCRATCH = re.compile(r"^\..+\.(tmp|tmp\.keras|tmp-\d+|old-\d+)$")

#: Errors of the disk rather than of dlkit: shown as one line wherever they come from.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG, errno.EIO})


def scratch(path: Path, suffix: str = "") -> Path:
    """A scratch name beside `path` for this process (`suffix`: what the writer needs it to end in)."""
    return path.parent / f".{path.name}.{os.getpid()}.tmp{suffix}"


def reason(error: OSError) -> str:
    """The operating system's words for `error` (`No space left on device`), else its message."""
    return error.strerror or " ".join(str(error).split())[:200]


@contextlib.contextmanager
def writing(path: Path, scratch: Path | None = None):
    """Writing `path`: an OSError becomes a WriteError naming `path` (not the scratch file it was
    going to), and on any failure `scratch` (a file or a folder) is removed."""
    try:
        yield
    except BaseException as e:
        if scratch is not None:
            remove(scratch)
        if isinstance(e, OSError):
            raise WriteError(f"{path}: {reason(e)}") from e
        raise


def remove(path: Path) -> None:
    """Remove a file, a link or a folder (its links unfollowed), as far as it can: it is called on
    the way out of a failure, whose own error is the one to show."""
    with contextlib.suppress(OSError):
        if Path(path).is_dir() and not Path(path).is_symlink():
            shutil.rmtree(path)
        else:
            os.unlink(path)


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write to a temporary file beside `path` and rename it over, so `path` is never half-written."""
    with atomic_file(path) as f:
        f.write(content.encode() if isinstance(content, str) else content)


@contextlib.contextmanager
def atomic_file(path: Path, mode: str = "wb"):
    """A temporary file beside `path` to write in steps (`mode` "w": text, UTF-8), renamed over
    `path` when the block ends; a failure inside the block removes it and leaves `path` as it was."""
    path = Path(path)
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": ""}
    import tempfile  # (not at the top: `dlkit --help` imports this module and writes nothing)

    with writing(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with writing(path, scratch=Path(tmp)):
            os.fchmod(fd, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
            with os.fdopen(fd, mode, **text) as f:
                yield f
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)


def overwrite_in_place(path: Path, content: bytes) -> None:
    """Write `content` over the start of the existing file `path`, padded with spaces to its size:
    the file's own blocks are reused, so this needs no free space. Not atomic: for when an atomic
    write has just failed. ValueError if `content` is longer than the file."""
    fd = os.open(path, os.O_WRONLY | os.O_NOFOLLOW)
    try:
        size = os.fstat(fd).st_size
        if len(content) > size:
            raise ValueError(f"{path}: {len(content)} bytes do not fit in its {size}")
        os.pwrite(fd, content.ljust(size, b" "), 0)
        os.fsync(fd)
    finally:
        os.close(fd)


def inside(root: Path, *parts: str, folder: bool = False) -> Path:
    """`root/parts...`: a path dlkit is about to write inside the run folder `root`. No part of it
    below `root` may be a symbolic link: writing through one would change files outside the run
    (`eval -> /elsewhere`), so that is refused in one line rather than followed or replaced (the
    link may be the user's, on purpose). With `folder`, the path is a folder, made if missing."""
    path = Path(root)
    for part in Path(*parts).parts:
        path = path / part
        if path.is_symlink():
            raise WriteError(
                f"{path}: a symbolic link (to {os.readlink(path)}) inside the run folder; dlkit writes only "
                f"real files and folders there, so that nothing outside the run changes: remove the link"
            )
    if folder:
        with writing(path):
            path.mkdir(parents=True, exist_ok=True)
    return path


def remove_scratch(folder: Path) -> list[Path]:
    """Remove the scratch files and folders dlkit left anywhere in `folder` (symbolic links are not
    followed); returns what was removed."""
    removed = []
    for top, folders, files in os.walk(folder):
        for name in [*files, *folders]:
            if SCRATCH.match(name):
                remove(Path(top) / name)
                removed.append(Path(top) / name)
        folders[:] = [name for name in folders if not SCRATCH.match(name)]
    return removed
