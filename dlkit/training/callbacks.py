"""Moved to `dlkit.components.callbacks` (plug-ins: `dlkit.Callback`); this path stays for one release."""

from dlkit.components.callbacks import *  # noqa: F403
from dlkit.components.callbacks import Callback  # noqa: F401
