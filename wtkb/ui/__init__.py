"""Pieces of the Streamlit app (app.py) kept out of it so each module stays short.

Widgets and layout only: every citation, answer and outline comes from the
``index`` library, and every piece of corpus text is escaped (``text.escape_md``).
"""
