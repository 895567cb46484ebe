"""E-mail: the durable mail outbox and its sender, letters and notices it sends (SET-8, TSK-7,
CLI-4, Q-2a), mail fetched into events (EVT-7) and in-system notifications."""
