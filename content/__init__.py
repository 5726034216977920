"""Program format: schema, loader and validator. Pure: no database, no network."""
