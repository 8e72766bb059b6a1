"""The WSGI entry point for gunicorn (`exam_server.wsgi:app`): the app plus its background jobs."""

from exam_server.app import create_app, start_background_jobs

app = create_app()
start_background_jobs(app)
