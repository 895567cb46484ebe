"""The electronic queue (Q) and the public booking API."""
