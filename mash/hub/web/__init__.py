"""The hub board's routes, one router per concern (FastAPI), assembled by
:func:`mash.hub.board.create_app`.

- :mod:`.signin`: signing in and out.
- :mod:`.queues`: the queues page and its live fragment.
- :mod:`.items`: one item's page, and claiming, confirming and overriding it.
- :mod:`.operations`: Prometheus metrics, the health check and the static files.

What every route shares (the :class:`~.shared.Board`, the signed-in member of staff, the CSRF
token, page rendering) comes in through FastAPI dependencies (:mod:`.shared`), not closures.
"""
