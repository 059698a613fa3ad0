"""Measuring the bot: the golden-set answer eval and the BEIR retrieval eval."""
