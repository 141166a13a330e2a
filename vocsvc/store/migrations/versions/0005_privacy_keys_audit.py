"""Privacy and key hygiene: the audit log; key expiry, last use, rotation and per-key limits; calls remember
when retention removed their audio.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as b:
        b.add_column(sa.Column("expires_at", sa.DateTime))
        b.add_column(sa.Column("last_used_at", sa.DateTime))
        b.add_column(sa.Column("rotated_to", sa.String(16)))
        b.add_column(sa.Column("rate_limit_per_minute", sa.Integer))
        b.add_column(sa.Column("uploads_per_day", sa.Integer))
        b.add_column(sa.Column("max_upload_bytes", sa.BigInteger))
    with op.batch_alter_table("calls") as b:
        b.add_column(sa.Column("audio_deleted_at", sa.DateTime))
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("key_id", sa.String(16)),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(24)),
        sa.Column("object_id", sa.String(64)),
        sa.Column("status", sa.SmallInteger),
        sa.Column("detail", sa.Text))
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_index("ix_audit_key_action_at", "audit_log", ["key_id", "action", "at"])
    op.create_index("ix_audit_object", "audit_log", ["object_type", "object_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("calls") as b:
        b.drop_column("audio_deleted_at")
    with op.batch_alter_table("api_keys") as b:
        for c in ("max_upload_bytes", "uploads_per_day", "rate_limit_per_minute", "rotated_to", "last_used_at",
                  "expires_at"):
            b.drop_column(c)
