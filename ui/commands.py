"""Registry of subcommands beyond ingest; each feature adds its `add_*` function here."""

REGISTER: list = []
