"""Domain rules in plain Python: no Flask import here, so they are testable with any Session."""


def N_(message: str) -> str:
    """Marks a message for translation; the web layer translates it when showing it."""
    return message
