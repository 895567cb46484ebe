"""Appliances (APP): the device registry and devices' certificates."""
