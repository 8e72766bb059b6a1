"""Messages of the accounts domain."""

from exam_server.i18n import CATALOGUE, coded

CATALOGUE.register(
    coded("accounts.staff_not_found", "Staff account not found."),
    coded("accounts.bad_username", "Invalid username (not empty, no spaces, at most 100 characters)."),
    coded("accounts.not_yourself", "You cannot deactivate your own account or change your own role."),
    coded("accounts.bad_rooms", "The room assignment names a room that does not exist."),
    coded("accounts.login_required", "Please log in."),
    coded("accounts.forbidden", "You are not allowed to do this."),
    coded("accounts.bad_credentials", "Wrong username or password."),
    coded("accounts.csrf_failed", "The session expired or the CSRF token is missing. Please reload the page."),
    coded("accounts.rate_limited", "Too many attempts. Please wait a moment and try again."),
    coded("accounts.bad_role", "Invalid role: {role}."),
    coded("accounts.password_too_short", "The password must have at least 8 characters."),
    coded("accounts.username_taken", "The username {username} already exists."),
    coded("accounts.registration_not_found", "Candidate not found."),
    coded("accounts.code_invalid", "The login code is wrong, used or expired."),
    coded("accounts.code_wrong_seat", "This login code cannot be used at workstation {seat}. Sit at the workstation you were given or ask the invigilator."),
    coded("accounts.code_seat_required", "This code works only at the workstation you were given: enter the seat number shown on the desk."),
    coded("accounts.session_revoked", "This login has ended (logged out, logged in elsewhere or moved to another workstation). Please log in again."),
    coded("accounts.password_wrong", "The current password is wrong."),
    coded("accounts.password_changed", "Password changed. The other logins of this account have ended."),
    coded("accounts.api_token_not_found", "API token not found."),
    coded("accounts.api_token_bad_expiry", "A token must expire after 1 to {max} days."),
    coded("accounts.api_token_name_required", "Give the token a name (for example the school system's name)."),
    coded("accounts.demo_database_not_empty", "The database holds data that is not the demo's ({what}). The demo adds accounts with published passwords; run it with --force only on a test machine."),
    coded("accounts.password_login_disabled", "This sitting does not allow password login."),
    coded("accounts.sitting_not_open", "The sitting is not open or has ended."),
    coded("accounts.already_submitted", "The attempt has already been submitted."),
    coded("accounts.too_late", "The late-entry window has closed."),
)
