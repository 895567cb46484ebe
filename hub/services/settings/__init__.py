"""Settings (SET): global parameters, reference books, document numbering, the seed."""
