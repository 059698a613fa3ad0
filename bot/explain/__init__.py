"""Pasted errors parsed, matched to the error catalog and explained."""
