"""LTI 1.3 core."""
