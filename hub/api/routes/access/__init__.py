"""Access control (ACC): logins, users, rights."""
