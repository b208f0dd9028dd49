"""The touchscreen face (Kivy): three faces a citizen understands at a glance, in five languages."""
