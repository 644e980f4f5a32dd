"""/publik: the progress page open to anyone, aggregates only."""
