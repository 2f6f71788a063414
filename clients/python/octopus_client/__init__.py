"""octopus_client: Python crabs, subscribers and HTTP reads for an Octopus hub.

asyncio first (`Crab`, `Subscriber`, `HubApi`); `octopus_client.sync` has the same classes for
code without an event loop, `Octopus` is the in-process MVP's shape over a remote hub, and
`octopus_client.notebook.Bell` is the Jupyter view. See clients/python/README.md.
"""
__version__ = "0.1.0"

from .address import tls_context, read_token  # noqa: E402
from .crab import Crab  # noqa: E402
from .subscriber import Subscriber  # noqa: E402
from .http_api import HubApi, SyncHubApi  # noqa: E402
from . import sync  # noqa: E402
from .adapter import Octopus  # noqa: E402
from .errors import (OctopusError, Unauthorized, Forbidden, RateLimited, BadRequest,  # noqa
                     BadName, BadSnapshot, QueueFull, HubUnavailable, NotFound, Conflict,
                     CrabOffline, DuplicateCrab, CollectTimeout, BadConfig, SpoolLocked)
from .events import (Snapshot, Gap, AlertGap, CrabEvent, Alert, CrabInfo, Point,  # noqa
                     Points, Missing, CollectResult)
from .snapshot_codec import Limits  # noqa: E402
