"""The subnet manager: LIDs, unicast and multicast forwarding tables, SwitchInfo and the
subnet administrator's MCMemberRecord service, behaving like OpenSM 3.3.

Headless and deterministic; every change is published as a typed event and every
management action is recorded as the MAD it would be on the wire.
"""
