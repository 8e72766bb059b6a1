"""Messages of background result exports."""

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("results.export_job_not_found", "Export request not found (it may be over 24 hours old and removed)."),
    coded("results.export_interrupted", "The export was interrupted (did the server restart?). Start it again."),
    coded("results.export_failed", "The results could not be exported. Try again or tell the system administrator."),
    coded("results.export_not_ready", "The results file is not ready yet: {percent}% done."),
)
