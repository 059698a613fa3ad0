"""Cited answers to PM questions, their citations and the answer cache."""
