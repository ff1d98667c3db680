"""The desktop UI: the only package (with desktop/app.py) that imports Qt."""
