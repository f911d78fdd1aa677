"""Local Kafka broker lifecycle (from Maven Central jars) and topic set-up.

Public surface:
- :class:`BrokerConfig` (``BrokerConfig.from_settings()`` reads ``MASH_*``), and
  :func:`start` / :func:`stop` / :func:`status` of one local KRaft broker;
- :func:`create_topics` (every topic of :class:`mash.topics.Topics`, idempotent) and
  :func:`list_topics`.

Nothing here imports kafka-python at module level, so ``mash --help`` stays fast.
"""

from mash.broker.config import BrokerConfig
from mash.broker.lifecycle import BrokerStatus, StartResult, start, status, stop
from mash.broker.topics import TopicInfo, TopicSpec, create_topics, list_topics, topic_plan

__all__ = [
    "BrokerConfig",
    "BrokerStatus",
    "StartResult",
    "TopicInfo",
    "TopicSpec",
    "create_topics",
    "list_topics",
    "start",
    "status",
    "stop",
    "topic_plan",
]
