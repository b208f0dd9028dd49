"""Ingest: MQTT messages in, committed rows and acknowledgements out.

`messages` decides what each message is (pure), `pipeline` and `writers` store batches and acknowledge
them after the commit, `gaps` and `watermarks` account each kiosk's sequence numbers, `identity` tells
two devices behind one kiosk id apart, and `mqtt_link`, `mqtt_client`, `mqtt_tls` and `transport` are the
broker connection.
"""
