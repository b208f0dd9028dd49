"""Grafana dashboards and alert rules as code, for offices that already run Grafana.

Generated from Python into committed JSON (`dashboards/generated/`), provisioned from files
(`dashboards/provisioning/`) or pushed through Grafana's HTTP API (`mlf-dashboards push`). Panels read
the collector's rollups and call its SQL functions (`mlf_flag`, `mlf_wilson_low/high`, `mlf_target`):
the flag a panel shows is the one the API computes. See dashboards/README.md.
"""
