"""mentions.pii: the PII spans found at ingest (types and positions in the original text, never the values)

The original text is not stored, so tagging (which sees only the redacted text) cannot find them again.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("mentions") as b:
        b.add_column(sa.Column("pii", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("mentions") as b:
        b.drop_column("pii")
