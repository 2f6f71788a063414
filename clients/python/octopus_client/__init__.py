"""octopus_client: Python crabs, subscribers and HTTP reads for an Octopus hub.

asyncio first (`Crab`, `Subscriber`, `HubApi`); `octopus_client.sync` has the same classes for
code without an event loop, `Octopus` is the in-process MVP's shape over a remote hub, and
`octopus_client.notebook.Bell` is the Jupyter view. See clients/python/README.md.
"""
__version__ = "0.1.0"

from . import sync  # noqa: E402
from .adapter import Octopus  # noqa: E402
from .address import read_token, tls_context  # noqa: E402
from .crab import Crab  # noqa: E402
from .errors import (BadConfig, BadName, BadRequest, BadSnapshot, CollectTimeout,  # noqa: E402
                     Conflict, CrabOffline, DuplicateCrab, Forbidden, HubUnavailable, NotFound,
                     OctopusError, QueueFull, RateLimited, SpoolLocked, Unauthorized)
from .events import (Alert, AlertGap, CollectResult, CrabEvent, CrabInfo, Gap,  # noqa: E402
                     Missing, Point, Points, Snapshot)
from .http_api import HubApi, SyncHubApi  # noqa: E402
from .snapshot_codec import Limits  # noqa: E402
from .subscriber import Subscriber  # noqa: E402

__all__ = [
    "Crab", "Subscriber", "HubApi", "SyncHubApi", "Octopus", "sync", "Limits",
    "tls_context", "read_token",
    "Snapshot", "Gap", "AlertGap", "CrabEvent", "Alert", "CrabInfo", "Point", "Points",
    "Missing", "CollectResult",
    "OctopusError", "Unauthorized", "Forbidden", "RateLimited", "BadRequest", "BadName",
    "BadSnapshot", "QueueFull", "HubUnavailable", "NotFound", "Conflict", "CrabOffline",
    "DuplicateCrab", "CollectTimeout", "BadConfig", "SpoolLocked",
]
