"""Alembic migrations of the bot's database (run through `bot.db.upgrade`)."""
