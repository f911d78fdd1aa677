"""The domain core: plain typed Python, no Kafka, Faust or SQL.

It runs the same offline (``mash route``) and in the stream (``mash worker``).
"""
