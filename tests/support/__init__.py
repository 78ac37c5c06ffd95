"""Code the tests share: backends, roles, database helpers, states, fakes; never collected.

Nothing here is a pytest fixture (fixtures live in the conftests, which hold nothing
else), and no test module imports another test module or a conftest.
"""
