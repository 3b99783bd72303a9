"""Enriching an extraction: publication dates, bylines and credits, language, titles."""
