"""Appliances (APP): the device registry."""
