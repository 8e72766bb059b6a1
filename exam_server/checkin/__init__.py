"""Check-in at the room door: station device tokens and the check-in records they send."""
