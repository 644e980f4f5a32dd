"""/publik: the progress page open to anyone, aggregates only."""
from portal.public.views import bp as bp
