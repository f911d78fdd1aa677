"""MASH Broker: agency referrals in, one routed and explained decision per child out.

The public surface is small on purpose: the domain core (:mod:`mash.domain`) is plain Python,
and everything that touches Kafka, SQL or the terminal is an adapter around it.
"""

__version__ = "0.1.0"
