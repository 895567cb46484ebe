"""Settings (SET): parameters, reference books, numbering."""
