"""The phone agent (``cherga phone``): an operator's SIP lines, reported to and driven from the hub.

``lines`` is the call state machine (no I/O), ``sip`` the small SIP interface the agent uses,
``voip`` its one adapter (rfcvoip, the maintained successor of pyVoIP), ``libfixes`` the
library's defects worked around, ``media`` the audio pump and WAV recorder, ``mixer`` who hears
whom (pure), ``sound`` the headset port, ``agent`` the MQTT side, ``cli`` the entry point.
"""
