"""The hub's stream processor (``mash worker``): a Faust app around the domain core.

Layout: :mod:`.pipeline` is the per-message logic as plain functions (decode, normalise,
route, dead-letter); :mod:`.ingest` the loop that reads the agency topics in batches;
:mod:`.records` the feed that keeps every worker's record index current; :mod:`.sender` the
send-and-confirm step; :mod:`.app` the factory that wires them; :mod:`.commands` the CLI.

Processing guarantee: **at-least-once, with deterministic decision ids and idempotent
consumers.** Each ingest step sends everything made from its input batch and waits for every
broker acknowledgement (``acks=all``) before it commits the batch's offsets. A worker killed at any
point therefore loses nothing: whatever was not committed is read again. What it read again
may already have been published, so the topics can hold a copy; the copy is the same decision
(its id is derived from agency, referral id, child index and rule-set version, and its receipt
time is the Kafka timestamp of the agency's message), and the decision log
(:meth:`mash.audit.store.DecisionLog.append`) and the hub's queues keep one entry per decision
id. "Each child decided exactly once" holds in the log, which is where it matters.

Why not Faust's ``exactly_once`` (measured on this project's Kafka 4.1.1, faust-streaming
0.15.3, aiokafka 0.14.0; a 1:1 pass-through, 20,000 messages over 4 partitions, the worker
SIGKILLed four times, the output read back with ``isolation_level=read_committed``):
at_least_once gave 0 lost and 2,389 duplicates; exactly_once gave 0 lost and **1,807
duplicates**, visible to read_committed readers. The transactions themselves work on Kafka
4.1 (an aborted or open aiokafka transaction is invisible to a read_committed reader, checked
separately); Faust is what breaks them: it derives the transactional id of a send from the
*output* topic's partition, which the consumer's metadata does not even know, so sends leave
through the plain producer, outside the transaction that commits the input offsets
(faust-streaming issues #177 and #517 report the same). A guarantee that silently degrades is
worse than an honest at-least-once with idempotent readers, and transactions would also cost
a commit round trip per partition per step.

Cross-agency records: see :mod:`.records` (a group-less consumer over every partition, not a
Faust GlobalTable: measured broken on this stack with two workers).
"""
