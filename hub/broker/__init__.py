"""The MQTT broker the hub relies on: a Mosquitto process, its files, and their regeneration."""
