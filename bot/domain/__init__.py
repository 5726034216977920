"""Platform-neutral messages and errors: what flows and adapters exchange."""
