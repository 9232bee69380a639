"""Settings: the options with their environment and ini twins (``options``), their parsers
(``parsers``), their resolution into one ``Settings`` (``resolve``), and the target profiles: the
deployment's numbers and users by role (``target``, ``profiles/``).

Internal to pytest-uapi. Nothing in this wing imports more than pytest and the standard library,
so the plugin stays cheap to load.
"""
