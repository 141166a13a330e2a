"""initial schema: mentions, calls, utterances, reviews, themes, alerts, webhooks, keys, jobs + full-text search

Revision ID: 0001
Revises: 
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash')
    )
    op.create_table('calls',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('job_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('agent_id', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('audio_path', sa.String(length=1000), nullable=False),
    sa.Column('redacted_audio_path', sa.String(length=1000), nullable=True),
    sa.Column('duration', sa.Float(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('channels', sa.SmallInteger(), nullable=True),
    sa.Column('silence_share', sa.Float(), nullable=True),
    sa.Column('overtalk_seconds', sa.Float(), nullable=True),
    sa.Column('customer_sentiment', sa.Float(), nullable=True),
    sa.Column('has_pii', sa.Boolean(), nullable=True),
    sa.Column('reviewed', sa.Boolean(), nullable=False),
    sa.Column('metrics', sa.Text(), nullable=True),
    sa.Column('rollups', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_id')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_agent', ['agent_id'], unique=False)
        batch_op.create_index('ix_calls_started_at', ['started_at'], unique=False)

    # A database that ran the transcription worker before the service already has its jobs table: adopt it.
    if "jobs" not in sa.inspect(op.get_bind()).get_table_names():
        op.create_table('jobs',
        sa.Column('id', sa.String(length=36), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=128), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('max_attempts', sa.Integer(), nullable=False),
        sa.Column('claim', sa.String(length=64), nullable=True),
        sa.Column('heartbeat_at', sa.Float(), nullable=True),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('created_at', sa.Float(), nullable=False),
        sa.Column('enqueued_at', sa.Float(), nullable=True),
        sa.Column('not_before', sa.Float(), nullable=True),
        sa.Column('started_at', sa.Float(), nullable=True),
        sa.Column('finished_at', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('completions', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key')
        )
        with op.batch_alter_table('jobs', schema=None) as batch_op:
            batch_op.create_index(batch_op.f('ix_jobs_state'), ['state'], unique=False)

    op.create_table('mentions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('external_id', sa.String(length=300), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ingested_at', sa.DateTime(), nullable=False),
    sa.Column('author_handle', sa.String(length=300), nullable=True),
    sa.Column('author_followers', sa.Integer(), nullable=True),
    sa.Column('author_is_vip', sa.Boolean(), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('nps', sa.SmallInteger(), nullable=True),
    sa.Column('product', sa.String(length=200), nullable=True),
    sa.Column('customer_id', sa.String(length=200), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('lang_hint', sa.String(length=8), nullable=True),
    sa.Column('text_redacted', sa.Text(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('sentiment', sa.String(length=16), nullable=True),
    sa.Column('sentiment_score', sa.Float(), nullable=True),
    sa.Column('emotion', sa.String(length=16), nullable=True),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('tags', sa.Text(), nullable=True),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('theme_id', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'external_id', name='uq_mentions_source_external_id')
    )
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.create_index('ix_mentions_channel_created', ['channel', 'created_at'], unique=False)
        batch_op.create_index('ix_mentions_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_mentions_state', ['state'], unique=False)
        batch_op.create_index('ix_mentions_theme', ['theme_id'], unique=False)

    op.create_table('themes',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=False),
    sa.Column('keyphrases', sa.Text(), nullable=False),
    sa.Column('centroid', sa.LargeBinary(), nullable=False),
    sa.Column('floor', sa.Float(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('first_seen', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_webhooks_state_next', ['state', 'next_at'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('mention_id', sa.String(length=36), nullable=False),
    sa.Column('author_key', sa.String(length=400), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('priority_score', sa.Float(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('escalated_at', sa.DateTime(), nullable=True),
    sa.Column('assignee', sa.String(length=200), nullable=True),
    sa.Column('closed_at', sa.DateTime(), nullable=True),
    sa.Column('last_mention_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_author', ['author_key', 'last_mention_at'], unique=False)
        batch_op.create_index('ix_alerts_status_due', ['status', 'due_at'], unique=False)

    op.create_table('call_labels',
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id', 'kind', 'label')
    )
    with op.batch_alter_table('call_labels', schema=None) as batch_op:
        batch_op.create_index('ix_call_labels_kind_label', ['kind', 'label'], unique=False)

    op.create_table('reviews',
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('checklist', sa.Text(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('corrections', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('call_id')
    )
    op.create_table('utterances',
    sa.Column('id', sa.String(length=48), nullable=False),
    sa.Column('call_id', sa.String(length=36), nullable=False),
    sa.Column('idx', sa.Integer(), nullable=False),
    sa.Column('speaker', sa.String(length=16), nullable=False),
    sa.Column('start', sa.Float(), nullable=False),
    sa.Column('end', sa.Float(), nullable=False),
    sa.Column('text_redacted', sa.Text(), nullable=False),
    sa.Column('sentiment', sa.String(length=16), nullable=True),
    sa.Column('tags', sa.Text(), nullable=True),
    sa.Column('embedding', sa.LargeBinary(), nullable=True),
    sa.Column('theme_id', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('utterances', schema=None) as batch_op:
        batch_op.create_index('ix_utterances_call', ['call_id', 'idx'], unique=False)

    op.create_table('alert_events',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.create_index('ix_alert_events_alert', ['alert_id', 'id'], unique=False)

    op.create_table('alert_mentions',
    sa.Column('alert_id', sa.String(length=36), nullable=False),
    sa.Column('mention_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mention_id'], ['mentions.id'], ),
    sa.PrimaryKeyConstraint('alert_id', 'mention_id'),
    sa.UniqueConstraint('mention_id')
    )
    _full_text_search()


def _full_text_search() -> None:
    """SQLite: one FTS5 index over mention and utterance text, kept by triggers. PostgreSQL: a generated
    tsvector column (the language-neutral 'simple' configuration: texts are Russian and English) + GIN index."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_fts USING fts5(body, doc_kind UNINDEXED, doc_id UNINDEXED, "
                   "tokenize='unicode61 remove_diacritics 2')")
        for table, kind in (("mentions", "mention"), ("utterances", "utterance")):
            op.execute(f"CREATE TRIGGER {table}_fts_ai AFTER INSERT ON {table} BEGIN "
                       f"INSERT INTO search_fts(body, doc_kind, doc_id) VALUES (new.text_redacted, '{kind}', new.id); END")
            op.execute(f"CREATE TRIGGER {table}_fts_ad AFTER DELETE ON {table} BEGIN "
                       f"DELETE FROM search_fts WHERE doc_kind = '{kind}' AND doc_id = old.id; END")
    else:
        for table in ("mentions", "utterances"):
            op.execute(f"ALTER TABLE {table} ADD COLUMN tsv tsvector GENERATED ALWAYS AS "
                       "(to_tsvector('simple', coalesce(text_redacted, ''))) STORED")
            op.execute(f"CREATE INDEX ix_{table}_tsv ON {table} USING gin (tsv)")



def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table('alert_mentions')
    with op.batch_alter_table('alert_events', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_events_alert')

    op.drop_table('alert_events')
    with op.batch_alter_table('utterances', schema=None) as batch_op:
        batch_op.drop_index('ix_utterances_call')

    op.drop_table('utterances')
    op.drop_table('reviews')
    with op.batch_alter_table('call_labels', schema=None) as batch_op:
        batch_op.drop_index('ix_call_labels_kind_label')

    op.drop_table('call_labels')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_status_due')
        batch_op.drop_index('ix_alerts_author')

    op.drop_table('alerts')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_webhooks_state_next')

    op.drop_table('webhook_deliveries')
    op.drop_table('themes')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_index('ix_mentions_theme')
        batch_op.drop_index('ix_mentions_state')
        batch_op.drop_index('ix_mentions_created_at')
        batch_op.drop_index('ix_mentions_channel_created')

    op.drop_table('mentions')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_state'))

    op.drop_table('jobs')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started_at')
        batch_op.drop_index('ix_calls_agent')

    op.drop_table('calls')
    op.drop_table('api_keys')
