"""Initial schema: feeds, articles, events, places, subscribers, subscriptions, outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Times are stored as UTC: TIMESTAMP WITH TIME ZONE on PostgreSQL, naive UTC text on SQLite.
UTC_TIME = sa.DateTime(timezone=True)
REPRESENTATIVE_FK = "fk_events_representative_article_id_articles"


def upgrade() -> None:
    """Create every table and index."""
    sqlite = op.get_context().dialect.name == "sqlite"
    op.create_table(
        "feeds",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("last_fetch_at", UTC_TIME, nullable=True),
        sa.Column("last_success_at", UTC_TIME, nullable=True),
        sa.Column("consecutive_errors", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("disabled_at", UTC_TIME, nullable=True),
        sa.Column("next_attempt_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_feeds"),
    )
    # events and articles refer to each other. SQLite takes a key to a table not created yet;
    # PostgreSQL gets it once articles exists.
    representative_fk = sa.ForeignKeyConstraint(
        ["representative_article_id"], ["articles.id"], name=REPRESENTATIVE_FK, ondelete="SET NULL"
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.Column("occurred_at", UTC_TIME, nullable=True),
        sa.Column("event_types", sa.JSON(), nullable=False),
        sa.Column("sub_event_types", sa.JSON(), nullable=False),
        sa.Column("governorates", sa.JSON(), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=True),
        sa.Column("place_name", sa.Text(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("precision", sa.SmallInteger(), nullable=True),
        sa.Column("killed", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("source_count", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("representative_article_id", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        *([representative_fk] if sqlite else []),
    )
    op.create_index("ix_events_first_seen_at", "events", ["first_seen_at"])
    op.create_index("ix_events_updated_at", "events", ["updated_at"])

    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.String(64), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("canonical_url", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=True),
        sa.Column("published_at", UTC_TIME, nullable=True),
        sa.Column("fetched_at", UTC_TIME, nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("teaser", sa.Text(), nullable=True),
        sa.Column("syria_related", sa.Boolean(), nullable=False),
        sa.Column("relevance", sa.Float(), nullable=False),
        sa.Column("analysis", sa.JSON(), nullable=True),
        sa.Column("fingerprint", sa.JSON(), nullable=True),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["feed_id"], ["feeds.id"], name="fk_articles_feed_id_feeds"),
        sa.ForeignKeyConstraint(
            ["duplicate_of"], ["articles.id"], name="fk_articles_duplicate_of_articles", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_articles_event_id_events", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
        sa.UniqueConstraint("feed_id", "identity", name="uq_articles_feed_id_identity"),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at"])
    op.create_index("ix_articles_fetched_at", "articles", ["fetched_at"])
    op.create_index("ix_articles_canonical_url", "articles", ["canonical_url"])
    op.create_index("ix_articles_duplicate_of", "articles", ["duplicate_of"])
    op.create_index("ix_articles_event_id", "articles", ["event_id"])
    if not sqlite:
        op.create_foreign_key(
            REPRESENTATIVE_FK,
            "events",
            "articles",
            ["representative_article_id"],
            ["id"],
            ondelete="SET NULL",
        )

    op.create_table(
        "places",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("governorate", sa.String(64), nullable=False),
        sa.Column("district", sa.String(128), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_places"),
    )
    op.create_index("ix_places_lat_lon", "places", ["lat", "lon"])

    op.create_table(
        "event_places",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("governorate", sa.String(64), nullable=False),
        sa.Column("district", sa.String(128), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("first_seen_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_event_places_event_id_events", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["place_id"], ["places.id"], name="fk_event_places_place_id_places"),
        sa.PrimaryKeyConstraint("event_id", "place_id", name="pk_event_places"),
    )
    for column in ("place_id", "governorate", "district"):
        op.create_index(
            f"ix_event_places_{column}_first_seen_at_event_id",
            "event_places",
            [column, "first_seen_at", "event_id"],
        )

    op.create_table(
        "subscribers",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("muted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("digest_hour", sa.SmallInteger(), nullable=True),
        sa.Column("radius_km", sa.Integer(), server_default=sa.text("25"), nullable=False),
        sa.Column("message_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("deactivated_at", UTC_TIME, nullable=True),
        sa.CheckConstraint(
            "kind IN ('private', 'group', 'supergroup', 'channel')", name="ck_subscribers_kind"
        ),
        sa.CheckConstraint(
            "digest_hour IS NULL OR (digest_hour >= 0 AND digest_hour <= 23)",
            name="ck_subscribers_digest_hour",
        ),
        sa.PrimaryKeyConstraint("chat_id", name="pk_subscribers"),
    )

    op.create_table(
        "subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("place_id", sa.String(64), nullable=True),
        sa.Column("governorate", sa.String(64), nullable=True),
        sa.Column("district", sa.String(128), nullable=True),
        sa.Column("event_category", sa.String(64), nullable=True),
        sa.Column("keyword", sa.Text(), nullable=True),
        sa.Column("min_killed", sa.Integer(), nullable=True),
        sa.Column("message_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["subscribers.chat_id"],
            name="fk_subscriptions_chat_id_subscribers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_subscriptions"),
    )
    op.create_index("ix_subscriptions_chat_id", "subscriptions", ["chat_id"])

    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_version", sa.Integer(), nullable=False),
        sa.Column("sent_version", sa.Integer(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_thread_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("status", sa.String(16), server_default=sa.text("'pending'"), nullable=False),
        sa.Column("needs_edit", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'dead')", name="ck_outbox_status"
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name="fk_outbox_event_id_events", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["subscribers.chat_id"], name="fk_outbox_chat_id_subscribers", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_outbox"),
        sa.UniqueConstraint(
            "event_id", "chat_id", "message_thread_id", name="uq_outbox_event_id_chat_id_message_thread_id"
        ),
    )
    op.create_index("ix_outbox_status_next_attempt_at", "outbox", ["status", "next_attempt_at"])
    op.create_index("ix_outbox_chat_id", "outbox", ["chat_id"])


def downgrade() -> None:
    """Drop every table (their indexes go with them)."""
    if op.get_context().dialect.name != "sqlite":
        op.drop_constraint(REPRESENTATIVE_FK, "events", type_="foreignkey")
    tables = (
        "outbox",
        "subscriptions",
        "subscribers",
        "event_places",
        "places",
        "articles",
        "events",
        "feeds",
    )
    for table in tables:
        op.drop_table(table)
