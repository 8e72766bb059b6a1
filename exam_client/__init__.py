"""The invigilator's check-in station: chip read, photo match, handover to the server."""
