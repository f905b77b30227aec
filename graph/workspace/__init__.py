"""The editing workspace: accounts, change sets from the shapes' forms, review, publication, history, releases.

Used only when the setting `editing` is on. Everything here keeps its state in the state database
(`state.py`: SQLite in the state folder, or a SQLAlchemy URL) and in the history repository; the data folder's
Turtle files stay the one source of the published graph, rewritten only by a publication.
"""
