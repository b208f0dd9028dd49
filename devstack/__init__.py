"""Local, self-contained service instances for the demo and the tests.

PostgreSQL and mosquitto are started from Debian's binaries on loopback ports,
with their data in a folder of our choosing, and stopped again: no system
service is touched and two runs never collide.
"""
