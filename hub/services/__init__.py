"""Domain services: plain functions over a database session; no HTTP, MQTT or UI here."""
