"""Access control (ACC): users and logins, rights per document type and journal."""
