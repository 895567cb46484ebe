"""Tasks (TSK): tasks, executors, dependencies, recurrence, registries."""
