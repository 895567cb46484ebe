"""Shared by every module: the audit trail, stored files, keyset paging, strict input, the MQTT
outbox, secrets.
"""
