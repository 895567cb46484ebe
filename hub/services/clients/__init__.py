"""Clients (CLI): clients and contact persons, settlement documents, imports."""
