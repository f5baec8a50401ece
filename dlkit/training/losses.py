"""Moved to `dlkit.components.losses` (plug-ins: `dlkit.Loss`); this path stays for one release."""

from dlkit.components.losses import *  # noqa: F403
from dlkit.components.losses import Head, Loss  # noqa: F401
