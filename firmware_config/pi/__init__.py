"""Raspberry Pi OS set-up per role (``setup.sh``) and what it reads from the device config."""
