"""The example plugin the tests install through a real entry point (see support.py)."""
