"""Chat adapters: each translates between one platform and the core's messages. Nothing else."""
