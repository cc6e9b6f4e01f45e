"""vnvc: versatile neural video coding for human and machine vision (VNVC, TPAMI 2024)."""

__version__ = "0.1.0"
