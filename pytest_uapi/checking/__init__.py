"""The checking layer: the requests the suites send (``request_spec``), the calls they prepare
(``provision``), the checks that judge each answer (``checks``), the requirement marker
(``marks``) and how a failed check reads in a report (``render``).

Internal to pytest-uapi: the names users need are re-exported by ``pytest_uapi``. This file
imports nothing, so that ``marks`` can be imported without the rest.
"""
