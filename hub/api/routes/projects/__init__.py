"""Projects (PRJ) and their attachments."""
