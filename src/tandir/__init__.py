"""Tandir: a management system for micro-enterprise development programmes and microfinance."""

__version__ = "0.1.0"
