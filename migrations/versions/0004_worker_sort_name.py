"""workers keep a sort key beside their name (case folded, titles off), and lists page by it

The revision fills the key with the lower-cased name; `flask --app wsgi seed` (run after every
upgrade) then writes the exact key, titles and accents removed, for every worker whose key
differs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:25:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

INDEXES = {'ix_worker_queue': ['opd_id', 'verification'], 'ix_worker_opd_name': ['opd_id'],
           'ix_worker_desk': ['enrolment', 'verification']}


def upgrade():
    with op.batch_alter_table('worker') as batch_op:
        batch_op.add_column(sa.Column('sort_name', sa.String(length=120), server_default='', nullable=False))
    op.execute("UPDATE worker SET sort_name = lower(full_name)")
    with op.batch_alter_table('worker') as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns + ['sort_name'], unique=False)


def downgrade():
    with op.batch_alter_table('worker') as batch_op:
        for name, columns in INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(name, columns + ['full_name'], unique=False)
        batch_op.drop_column('sort_name')
