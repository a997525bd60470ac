"""OMC_HOME: the private directory for the embedded database, keys, logs and pid files."""

from __future__ import annotations

import os
from pathlib import Path

from omc.errors import HomeNotWritable


def ensure_home(path: Path) -> Path:
    """Create ``path`` (mode 0700) if needed and check omc can write there."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise HomeNotWritable(f"OMC_HOME {path} exists but is not a directory") from None
    except OSError as error:
        raise HomeNotWritable(
            f"cannot create OMC_HOME {path}: {error.strerror or error}; "
            "set OMC_HOME to a directory you can write"
        ) from None
    if not path.is_dir():
        raise HomeNotWritable(f"OMC_HOME {path} exists but is not a directory")
    if not os.access(path, os.W_OK | os.X_OK):
        raise HomeNotWritable(
            f"OMC_HOME {path} is not writable; set OMC_HOME to a directory you can write"
        )
    return path
