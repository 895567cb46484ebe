"""The hub's MQTT side: device requests to the queue's services, the outbox to the broker."""
