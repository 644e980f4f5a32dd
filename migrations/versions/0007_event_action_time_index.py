"""events are found by action and time: the full-NIK trace (/admin/jejak-nik and the notice on
the admin's home) reads the nik_view and export events of a range of days

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.create_index('ix_event_action_time', ['action', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('event') as batch_op:
        batch_op.drop_index('ix_event_action_time')
