"""The Telegram bot: the I/O edges (feeds, database, Telegram) around the pure `summarizer` core.

Run it with `python -m bot run`. Importing this package does no I/O and reads no environment.
"""
