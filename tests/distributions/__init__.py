"""One test module per family, named as the family's module in ``jaxkl/distributions/``:
its table entries (``CASE``, ``PAIRS``; see ``tests/tables.py``) and its own tests."""
