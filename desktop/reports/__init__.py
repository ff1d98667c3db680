"""Reports made on the laptop, offline, with reportlab (no Qt): see document.py."""
