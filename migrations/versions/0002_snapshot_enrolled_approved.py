"""snapshots keep the enrolled-and-approved count (the coverage numerator)

Rows stored before this revision cannot know it and keep NULL: the trend leaves them out until
`flask --app wsgi snapshot --rebuild` recomputes every past day from the audit trail.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('snapshot') as batch_op:
        batch_op.add_column(sa.Column('enrolled_approved', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('snapshot') as batch_op:
        batch_op.drop_column('enrolled_approved')
