"""Clients (CLI): clients, contact persons, settlement documents, imports."""
