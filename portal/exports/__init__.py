"""/ekspor: personal data and figures out of the portal, every export audited."""
