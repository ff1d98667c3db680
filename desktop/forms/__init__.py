"""Instruments as data: instrument packs, their validation and scoring (no Qt).

See docs/instrument-packs.md. Entry points: ``loader.load_pack_file``,
``registry.load_registry``, ``scoring.score``, ``boxall.profile``.
"""
