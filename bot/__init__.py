"""Coachbot: the application (flows, storage, adapters, composition root and CLI)."""
