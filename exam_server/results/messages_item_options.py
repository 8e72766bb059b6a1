"""Texts of the item report's option tables (each option by its text, its letter per paper code).

Old dict format for this session (see exam_server/i18n.py); converted to coded declarations and
the .po catalogues at integration.
"""

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("results.report.opt.title", "Options of each choice question"),
    coded("results.report.opt.option", "Option"),
    coded("results.report.opt.key", "Key"),
    coded("results.report.opt.chosen", "Candidates choosing it"),
    coded("results.report.opt.upper", "Upper group"),
    coded("results.report.opt.lower", "Lower group"),
    coded("results.report.opt.on_code", "Paper {paper}"),
    coded("results.report.opt.note", "Each option is the bank's option, whatever its letter; a \"Paper …\" cell gives its letter on that paper code (as the candidates saw it) · how many candidates on that code chose it."),
    coded("results.report.opt.omitted", "(omitted)"),
)
