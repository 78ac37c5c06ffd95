"""Long-term memory across threads: items keyed by (namespace, key) with full-text and
vector search, under Locus's and LangGraph's store contracts.

- ``items.py``: `MemoryItems`, the repository both contracts use;
- ``statements.py``: its statements; ``namespaces.py``: how a namespace tuple is stored;
- ``locus_store.py``: Locus's ``BaseStore`` (``store.memory()``);
- ``langgraph_store.py``: LangGraph's ``BaseStore`` (``store.langgraph_store()``).
"""
