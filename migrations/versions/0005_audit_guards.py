"""the audit trail refuses TRUNCATE (PostgreSQL) and its head only moves forward

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Written out here, not imported from the models: a revision records the schema as it was.
GUARDS = {
    "postgresql": [
        """CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event
           FOR EACH STATEMENT EXECUTE FUNCTION event_append_only()""",
        """CREATE OR REPLACE FUNCTION audit_head_forward() RETURNS trigger AS $$
           BEGIN
             IF TG_OP = 'UPDATE' AND NEW.seq >= OLD.seq THEN RETURN NEW; END IF;
             RAISE EXCEPTION 'audit_head only moves forward';
           END; $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER audit_head_forward BEFORE UPDATE OR DELETE ON audit_head
           FOR EACH ROW EXECUTE FUNCTION audit_head_forward()""",
        """CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
           FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward()""",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_head_no_back BEFORE UPDATE ON audit_head WHEN NEW.seq < OLD.seq "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END",
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END",
    ],
}
UNDO = {
    "postgresql": ["DROP TRIGGER event_no_truncate ON event", "DROP TRIGGER audit_head_no_truncate ON audit_head",
                   "DROP TRIGGER audit_head_forward ON audit_head", "DROP FUNCTION audit_head_forward()"],
    "sqlite": ["DROP TRIGGER audit_head_no_back", "DROP TRIGGER audit_head_no_delete"],
}


def upgrade():
    for statement in GUARDS.get(op.get_bind().dialect.name, []):
        op.execute(statement)


def downgrade():
    for statement in UNDO.get(op.get_bind().dialect.name, []):
        op.execute(statement)
