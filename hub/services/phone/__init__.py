"""Phone lines (PH): calls become events; call-backs and dialling from the CRM."""
