"""Core headless commands: demo data and store information."""
from __future__ import annotations


def register(subparsers) -> None:
    from desktop import demo

    demo.register(subparsers)
