"""Subscribers remember when their last daily digest went out.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add subscribers.last_digest_at."""
    with op.batch_alter_table("subscribers") as batch:
        batch.add_column(sa.Column("last_digest_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop subscribers.last_digest_at."""
    with op.batch_alter_table("subscribers") as batch:
        batch.drop_column("last_digest_at")
