"""/api: JSON for other dashboards (Bapperida, the province), by session or read-only token."""
