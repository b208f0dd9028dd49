"""Public results: what an organisation that opted in publishes, with no key, per month, cells suppressed below
a minimum count."""
