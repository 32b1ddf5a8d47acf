"""Delivery of alerts through Apprise, durable and concurrent."""
