"""the seeded reason "Lainnya (catatan wajib)" becomes "Lainnya": the hint is the note_required
flag's, shown beside the note, not part of the reason printed in rows, sheets and Berita Acara

Only the seeded label is changed; a label an admin edited is left as it is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

reason = sa.table('reject_reason', sa.column('code', sa.String), sa.column('label', sa.String))


def upgrade():
    op.execute(reason.update().where(reason.c.code == 'LAINNYA', reason.c.label == 'Lainnya (catatan wajib)')
               .values(label='Lainnya'))


def downgrade():
    op.execute(reason.update().where(reason.c.code == 'LAINNYA', reason.c.label == 'Lainnya')
               .values(label='Lainnya (catatan wajib)'))
