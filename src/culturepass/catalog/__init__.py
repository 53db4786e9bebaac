"""Offer catalogue: categories and subcategories as code data (see catalogue.py)."""
