"""A test double of Discord (REST API v10 + gateway) for end-to-end bot tests.

See README.md in this package. Entry point: :class:`DiscordDouble`.
"""

from .gateway import GatewaySession, Intents
from .interactions import (
    CommandNotRegistered,
    CommandNotVisible,
    InteractionError,
    InteractionNotAcknowledged,
    InteractionResult,
    InvalidOption,
)
from .permissions import DEFAULT_BOT_PERMISSIONS, DEFAULT_EVERYONE_PERMISSIONS, P
from .rest import RecordedRequest, UploadedFile
from .server import UNSET, DiscordDouble
from .state import (
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
    World,
)
from .waiting import eventually

__all__ = [
    "DEFAULT_BOT_PERMISSIONS",
    "DEFAULT_EVERYONE_PERMISSIONS",
    "UNSET",
    "Attachment",
    "Channel",
    "CommandNotRegistered",
    "CommandNotVisible",
    "DiscordDouble",
    "GatewaySession",
    "Guild",
    "Intents",
    "InteractionError",
    "InteractionNotAcknowledged",
    "InteractionResult",
    "InvalidOption",
    "Member",
    "Message",
    "Overwrite",
    "P",
    "RecordedRequest",
    "Role",
    "ScheduledEvent",
    "UploadedFile",
    "User",
    "World",
    "eventually",
]
