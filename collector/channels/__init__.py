"""Channels that are not kiosks: the channel ratings API, the public web rating page, QR posters, phone.

Every channel rating is validated here (`validate`), checked against the abuse limits (`abuse`) and
stored by `collector.store.channel_ratings` in the tables and rollups kiosk ratings use, so the figures
of every channel sit side by side.
"""
