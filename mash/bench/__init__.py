"""``mash bench``: the hub measured against the raw limits of the machine it runs on.

Scenarios (:mod:`mash.bench.config`): a raw Kafka pass-through as the yardstick, the stream
end to end through ``mash worker``, latency at a fixed rate, offline routing on one core, the
decision-log sink, worker restart with full record tables and the worker's peak memory. The
figures go to a table and a JSON document (:mod:`mash.bench.report`) so runs can be compared.
"""
