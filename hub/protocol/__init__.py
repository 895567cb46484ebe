"""The MQTT contract of Cherga (v1): topics, payload models and the device-side client.

Devices import this package and nothing else from ``hub``; it imports nothing else from ``hub``.
"""

from hub.protocol.errors import ProtocolError
from hub.protocol.topics import PREFIX, Role, Topic, TopicKind

__all__ = ["PREFIX", "ProtocolError", "Role", "Topic", "TopicKind"]
