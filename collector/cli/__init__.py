"""The operator's shell commands: `mlf-collector admin ...` and `mlf-collector documents ...`."""
