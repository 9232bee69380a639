"""The shipped contract suites, parametrized from the contract data.

``pytest --uapi-url URL`` collects these modules; ``--pyargs pytest_uapi.suites`` runs them next
to a project's own tests.
"""
