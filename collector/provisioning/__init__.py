"""What kiosks get from the registry: broker credentials and ACL, and their retained configuration."""
