"""Retrieval evaluation as a library capability: the shells (``wtkb eval``, the
app's Evaluation page, ``make bench``) reach it through ``index``'s public API."""
