"""Cherga hub: the customer-relations system and the coordinator of the appliances."""

__version__ = "0.1.0"
