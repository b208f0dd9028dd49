"""Zero-touch kiosk enrolment: one-time codes that turn a kiosk with no identity into a registered one.

An installer gets a code for a service point (`mlf-collector admin enrol-code create`, or the API), types
it on the kiosk's screen, drops it on its boot partition or scans its QR; the kiosk sends it over HTTPS to
`POST /v1/enrolment` and gets its kiosk id, service point and MQTT credentials, which the collector's
provisioning (collector/provisioning/) puts into mosquitto's password and ACL files as for any kiosk.
"""
