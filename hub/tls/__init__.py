"""Encryption on the office network: the hub's certificate authority and its files."""
