"""Moved to `dlkit.components.metrics` (plug-ins: `dlkit.Metric`); this path stays for one release."""

from dlkit.components.metrics import *  # noqa: F403
from dlkit.components.metrics import Metric  # noqa: F401
