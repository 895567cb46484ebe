"""Projects (PRJ): projects, contracts, the discussion and attachments."""
