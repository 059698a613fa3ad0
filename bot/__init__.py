"""PM Copilot: a Slack assistant for product managers who ship AI features."""

__version__ = "0.1.0"
