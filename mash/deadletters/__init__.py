"""Dead letters as work with an owner: a queue of the messages nobody could route.

A dead letter on ``mash.deadletter`` is often the only copy of a referral. Here each one becomes
a work item (:mod:`.model`, pure) that staff claim, replay to the topic it came from once the
cause is fixed, or close with a reason; what they did is an event on ``mash.deadletter.events``
(:mod:`.codec`), and folding both topics from the beginning rebuilds the queue anywhere.
Nothing is ever deleted: a replay that fails again is a new dead letter, linked to the old one
by its ``mash-replay-of`` header.

- :mod:`.model`: the work item, the events, the fold, age and overdue status (no I/O);
- :mod:`.codec`: the events as JSON;
- :mod:`.kafka_io`: reading the topics, publishing events and replays (kafka-python);
- :mod:`.live`: the board's copy of the queue, kept current by a reader thread;
- :mod:`.commands`: ``mash deadletter list|claim|replay|close``.
"""
