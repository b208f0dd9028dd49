"""Zero-touch enrolment: a kiosk started without an identity (no kiosk id in its settings) waits for a
one-time code, trades it with the collector over HTTPS for its kiosk id and MQTT credentials, writes them
into its data folder (`identity.json`, mode 0600) and starts again as an ordinary kiosk.

The code comes from the touch screen (typed, or a QR's text typed by a USB scanner), or from a file on
the boot partition (`[enrol] code_file`), taken once. See deploy/kiosk/README.md, "Enrolment".
"""
