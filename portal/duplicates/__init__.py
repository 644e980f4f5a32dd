"""/ganda: likely duplicates — one person listed twice under different NIKs."""
