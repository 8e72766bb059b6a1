"""Exam server: the Flask application, models, API, Socket.IO and pages."""
