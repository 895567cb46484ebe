"""Keeping an office's data safe: backups, restores, and knowing whether a hub is running."""
