"""``mash chaos``: prove that nothing is lost or logged twice when things break.

The way Kafka's own system tests do it: real processes (``mash worker``, ``mash sink``, Kafka
brokers), real faults (SIGKILL at random points, a broker killed and restarted, garbage and
poison input), and a count against the decision log at the end. :mod:`.scenarios` holds the
faults, :mod:`.tally` the pure counting, :mod:`.harness` and :mod:`.processes` the shell
(shared with the end-to-end tests), :mod:`.commands` the CLI.
"""
