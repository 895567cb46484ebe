"""``cherga demo``: an example office with every appliance on one machine (docs/demo.md).

``office`` makes the example office through the hub's services, ``devices`` provisions the
appliances as real ones are, ``supervisor`` runs the programs, ``visitors`` is the scripted
crowd and ``run`` puts them together. Only ``cherga demo`` imports this package: a hub started
any other way never makes the example office.
"""
