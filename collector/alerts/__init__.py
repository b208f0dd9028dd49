"""Alerts that reach people: evaluation (what changed), events and subscriptions, delivery by webhook and e-mail."""
