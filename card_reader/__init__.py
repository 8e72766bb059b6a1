"""CCCD / eMRTD reading and verification over PC/SC, and a virtual CCCD chip."""
