"""The HTTP exchange with the target: the session and each test's client (``client``,
``session``, ``connect``), the bounds on every exchange (``bounds``: deadline and size;
``decoding``: the same bounds on a compressed answer) and what a missing answer means
(``no_answer``), the ground types (``exchange``: ``Exchange`` and ``CheckFailure``), OAuth client
credentials (``credentials``), redaction of secrets and bodies (``redaction``), curl lines
(``curl``), the calls left to hang up and the signals that must not lose them (``cleanup``), the
embedded reference server as a target (``embedded``) and the preflight (``preflight``).

Internal to pytest-uapi: the names users need are re-exported by ``pytest_uapi``. This file
imports nothing, so that a light module of the wing (``exchange``) can be imported without httpx.
"""
