"""Texts of the staff page frame and the login page (English source texts; the Vietnamese are in translations/vi/LC_MESSAGES/messages.po)."""

from __future__ import annotations

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("pages.staff.created", "Account {username} created. Temporary password (shown once; hand it to the user): {password}"),
    coded("pages.staff.saved", "Account {username} saved."),
    coded("pages.staff.reset_done", "New password of {username} (shown once): {password}. All their old logins have ended."),
    coded("pages.staff.deactivated", "Account {username} deactivated; all their logins have ended."),
    coded("pages.staff.activated", "Account {username} reactivated."),
    coded("pages.role.admin", "Administrator"),
    coded("pages.role.examiner", "Examiner"),
    coded("pages.role.invigilator", "Invigilator"),
    coded("pages.role.candidate", "Candidate"),
    coded("pages.login.failed", "Wrong username or password."),
    coded("pages.login.missing", "Enter both your username and your password."),
    coded("pages.login.logged_out", "You have signed out."),
    coded("pages.error.403", "Access denied"),
    coded("pages.error.403_detail", "Your account is not allowed to see this page."),
    coded("pages.error.404", "Page not found"),
    coded("pages.error.404_detail", "The page or record you are looking for does not exist."),
    coded("pages.error.400", "Bad request"),
    coded("pages.error.409", "Not possible now"),
    coded("pages.error.429", "Too many requests"),
)
