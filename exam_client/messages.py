"""The check-in station's gettext catalogue (Vietnamese default, English source texts).

Every code the station shows is declared here once with its English source text; the
translations live in `exam_client/translations/<lang>/LC_MESSAGES/messages.po` (msgctxt = the
code, msgid = the English text), compiled to `.mo` beside it. The station translates:

* every `card_reader` code (errors, verification checks, certificate problems): card_reader is a
  library without UI text, its errors carry a `code` and `params`;
* its own `client.*` codes (decisions, faces, the CLI, the virtual card);
* the server's check-in reasons (`checkin.*`), copied here so that the station never imports the
  server; a code the server adds later is shown with the server's own `message` text
  (`reason_text`), never as a bare key.

Parameters are brace-formatted. A parameter `problem_code`/`problem_params` (or `cause_code`/
`cause_params`) is a nested message, translated and placed where the text says `{problem}`
(`{cause}`), so no sentence mixes languages. Dates (ISO in the parameters) are shown dd/mm/yyyy.
"""

from __future__ import annotations

import datetime as dt
import os
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from exam_common.i18n import (
    DEFAULT_LANGUAGE,
    Catalogue,
    coded,
    format_date,
    format_decimal,
    pick_language,
)

CATALOGUE = Catalogue(Path(__file__).parent / "translations")

CATALOGUE.register(
    coded('card.error', 'Card read error.'),
    coded('card.no_reader', 'No card reader found.'),
    coded('card.no_card', 'No card on the reader.'),
    coded('card.removed', 'The card was removed during the read. Put it back.'),
    coded('card.pcsc_unavailable', 'The smart card service (pcscd) is not available.'),
    coded('card.transmit', 'The reader could not exchange data with the card.'),
    coded('card.no_extended_length', 'The reader does not support extended-length APDUs.'),
    coded('card.status', 'The card answered {command} with status word {sw}.'),
    coded('card.wrong_key',
          'Wrong access key ({sw}): the MRZ, CAN or expiry date does not match the card '
          '(expiry dates tried: {tried}).'),
    coded('card.access_denied', 'The card denied access ({sw}) to {command}.'),
    coded('card.file_not_found', 'The card has no such file ({command}, {sw}).'),
    coded('card.sm_error', 'The secure channel with the card failed.'),
    coded('card.bad_data', 'Invalid data on the card ({where}).'),
    coded('card.bad_key_input', 'The MRZ, CAN or QR text given is not valid.'),
    coded('card.auth_failed', 'Authentication with the chip failed.'),
    coded('card.trust_store', 'Invalid trust store (CSCA).'),
    coded('card.trust_store.missing', 'Trust store file {path} does not exist.'),
    coded('card.trust_store.unreadable', 'Trust store file {path} cannot be read.'),
    coded('card.trust_store.not_trust_data', '{path} is not a certificate, CRL or master list ({problem}).'),
    coded('card.trust_store.empty', '{path} holds no certificate, CRL or master list.'),
    coded('card.trust_store.list_signature',
          'The master list {path} is refused: its signature does not verify ({problem}).'),
    coded('card.trust_store.list_root', 'The master list {path} is refused: {problem}'),
    coded('card.trust_store.bad_root', 'The root certificate {path} cannot be used: {problem}'),
    coded('card.trust_store.builtin_changed',
          'The built-in Vietnam CSCA {path} is not the pinned certificate.'),
    coded('card.check.ca_ok', 'The chip proved its chip-authentication key (DG14).'),
    coded('card.check.ca_failed', 'Chip authentication failed: {cause}'),
    coded('card.check.ca_keys_refused',
          'The chip could not continue with the chip-authentication keys: {cause}'),
    coded('card.check.ca_absent', 'The chip offers no chip authentication (DG14).'),
    coded('card.check.ca_disabled', 'Chip authentication was not asked for.'),
    coded('card.check.aa_ok', 'The chip signed our challenge with its DG15 key.'),
    coded('card.check.aa_failed', 'Active authentication failed: {cause}'),
    coded('card.check.aa_short_apdu',
          "The chip's signature does not fit a short APDU and this reader has no extended length (6700)."),
    coded('card.check.aa_absent', 'The chip has no DG15 (no active authentication key).'),
    coded('card.check.unparseable', '{file} on the chip cannot be read: {cause}'),
    coded('card.check.pace_fallback', 'PACE was refused ({sw}); BAC was used.'),
    coded('card.check.can_refused', 'The CAN was refused; the MRZ keys were tried.'),
    coded('card.check.mrz_digits_ok', 'Every MRZ check digit is right.'),
    coded('card.check.mrz_digits_wrong', '{count} MRZ check digit(s) are wrong.'),
    coded('card.check.id_missing', "DG1 or DG13's ID number is missing."),
    coded('card.check.id_ok', 'DG1 and DG13 agree.'),
    coded('card.check.id_mismatch',
          'DG1 (document number {document_number}, optional data {optional_data}) does not '
          "match DG13's ID {id_number}."),
    coded('card.check.expected_none', 'No expected ID number was given.'),
    coded('card.check.expected_unreadable', "The card's ID number could not be read."),
    coded('card.check.expected_ok', 'The card belongs to the expected candidate.'),
    coded('card.check.expected_mismatch', 'Card ID {id_number} is not the expected {expected}.'),
    coded('card.check_name.data_group_hashes', 'data group hashes'),
    coded('card.check_name.sod_signature', 'EF.SOD signature'),
    coded('card.check_name.csca_chain', 'CSCA chain'),
    coded('cert.unparseable', 'The certificate cannot be parsed.'),
    coded('cert.curve_unsupported', 'The EC key uses unsupported domain parameters.'),
    coded('cert.curve_unknown',
          'Explicit EC domain parameters ({bits} bits) match no known curve and are not valid.'),
    coded('cert.bad_key', "The certificate's public key is invalid."),
    coded('cert.key_unsupported', 'Key algorithm {algorithm} is not supported'),
    coded('cert.signature_algorithm_unsupported', 'Signature algorithm {algorithm} is not supported'),
    coded('cert.signature_invalid', 'The {algorithm} signature does not verify'),
    coded('cert.signature_error', 'The {algorithm} signature could not be checked'),
    coded('cert.key_mismatch', 'A {algorithm} signature cannot be checked with a {key_type} key'),
    coded('cert.odd.explicit_parameters',
          'EC key written with explicit domain parameters (recognised as the named curve they equal)'),
    coded('cert.odd.own_arithmetic',
          "curve not offered by the crypto library: checked with the project's EC arithmetic"),
    coded('cert.odd.non_positive_serial', 'serial number not positive'),
    coded('cert.odd.signature_algorithm_mismatch', 'signature algorithm inside and outside the TBS differ'),
    coded('cert.odd.ecdsa_null_parameters', 'ECDSA signature algorithm with NULL parameters'),
    coded('cms.no_signer_certificate', 'The CMS signed data carries no certificate of its signer'),
    coded('cms.signer_count', 'The CMS signed data has {count} signers, expected 1'),
    coded('cms.no_signed_attributes', 'The CMS signed data has no signed attributes'),
    coded('cms.content_type', 'The content-type attribute is {found}, expected {expected}'),
    coded('cms.message_digest', 'The message-digest attribute does not match the content'),
    coded('ml.unparseable', 'The master list cannot be parsed.'),
    coded('ml.root_expired', "The list signer's root {root} has expired ({not_after})"),
    coded('ml.root_mismatch', 'The list signer {signer} does not chain to the root {root} ({problem})'),
    coded('pa.hash_unsupported', "EF.SOD's hash algorithm {algorithm} is not supported"),
    coded('pa.no_signer_certificate', 'EF.SOD carries no document signer certificate'),
    coded('pa.ds_unusable', 'The document signer certificate cannot be used: {problem}'),
    coded('pa.sod_signature_failed', 'The EF.SOD signature by {signer} (key {key}) is not valid: {problem}'),
    coded('pa.no_csca', 'No CSCA in the trust store for issuer {issuer} (key identifier {aki})'),
    coded('pa.ds_signature_failed',
          'The document signer {ds} is not correctly signed by {csca} (key {key}, algorithm '
          '{algorithm}): {problem}'),
    coded('pa.csca_expired', 'The CSCA {csca} has expired ({not_after})'),
    coded('pa.ds_expired',
          'The document signer {ds} is outside its validity period ({not_before}–{not_after})'),
    coded('pa.crl_invalid', 'A CRL of {issuer} has an invalid signature ({source})'),
    coded('pa.ds_revoked', 'The document signer {ds} (serial {serial}) was revoked on {date} (CRL {source})'),
    coded('pa.no_sod', 'EF.SOD was not read'),
    coded('pa.hashes_failed',
          'Chip data altered: hash differs from EF.SOD for {differ}; not listed in EF.SOD: {unlisted}'),
    coded('pa.hashes_ok', '{groups} match EF.SOD'),
    coded('pa.sod_signature_ok', 'EF.SOD signed by {signer} (key {key}, CSCA key identifier {aki})'),
    coded('pa.chain_not_run_signature',
          'The SOD signature did not verify, so the CSCA chain was not checked'),
    coded('pa.no_trust_store', 'No trust store (CSCA certificates) configured'),
    coded('pa.chain_ok', 'Chains to {csca} (key {key}, signature {algorithm}; from {source})'),
    coded('pa.failed', 'Passive authentication failed: {checks}'),
    coded('pa.ok', 'Data is as signed by a trusted CSCA'),
    coded('pa.not_run', 'The chain to a CSCA could not be checked'),
    coded('client.title', 'Exam room check-in station'),
    coded('client.face.no_face', 'No face found. Ask the candidate to look straight at the camera.'),
    coded('client.face.several_faces',
          'Several faces in the picture. Only one candidate in front of the camera.'),
    coded('client.face.too_small', 'The face is too small. Ask the candidate to come closer to the camera.'),
    coded('client.face.blurred',
          'The picture is blurred. Ask the candidate to hold still; wipe the camera lens.'),
    coded('client.face.too_dark',
          'The picture is too dark. Add light or turn the candidate towards the light.'),
    coded('client.face.chip_photo', 'The chip photo cannot be used: {detail}'),
    coded('client.face.no_camera', 'The camera could not be opened: {detail}'),
    coded('client.face.liveness_failed', 'The candidate has not done what was asked (blink / turn head).'),
    coded('client.liveness.blink',
          'While the card is on the reader, ask the candidate to look at the camera and blink.'),
    coded('client.liveness.turn_head',
          'While the card is on the reader, ask the candidate to turn their head and look back.'),
    coded('client.keys.missing',
          'No card keys yet: show the QR code on the front of the card to the camera, or '
          'type the ID number / MRZ.'),
    coded('client.keys.qr_unreadable',
          'The QR code on the card could not be read. Type the ID number or MRZ.'),
    coded('client.decision.accepted', 'Valid. Seat {seat}.'),
    coded('client.decision.queued',
          'Valid, queued (server unreachable). The login code will come when the connection is back.'),
    coded('client.decision.not_on_roster', "The candidate is not on this room's roster."),
    coded('client.decision.other_room', 'The candidate belongs to room {room}, not this one.'),
    coded('client.decision.chip_failed', 'The chip failed verification: {detail}'),
    coded('client.decision.chip_unreadable', 'The chip could not be read: {detail}'),
    coded('client.decision.face_mismatch',
          'The face does not match the chip photo (distance {distance}, threshold {threshold}).'),
    coded('client.decision.face_unusable', 'The face could not be matched yet: {problem}'),
    coded('client.face.no_chip_photo', 'The chip holds no photo to compare with.'),
    coded('client.decision.already_checked_in', 'The candidate already checked in at {time}.'),
    coded('client.decision.override', 'Override by {user}: {reason}'),
    coded('client.override.reason_required', 'An override needs a reason.'),
    coded('client.override.not_allowed', "No override possible: the candidate is not on this room's roster."),
    coded('client.server.unreachable', 'The server cannot be reached: {detail}'),
    coded('client.server.rejected', 'The server refused: {detail}'),
    coded('client.login.failed', 'Wrong user name or password, or the account is not assigned to this room.'),
    coded('client.login.required', 'An invigilator must log in.'),
    coded('client.queue.pending', '{count} check-ins waiting to be sent'),
    coded('client.status.expected', 'Expected'),
    coded('client.status.checked_in', 'Checked in'),
    coded('client.status.refused', 'Refused'),
    coded('client.status.absent', 'Absent'),
    coded('client.status.queued', 'Queued'),
    coded('client.card.waiting', 'Put the CCCD card on the reader'),
    coded('client.card.reading', 'Reading the card…'),
    coded('client.card.read', 'Card read'),
    coded('client.card.error', 'Card error'),
    coded('client.check.passed', 'Passed'),
    coded('client.check.failed', 'Failed'),
    coded('client.check.not_run', 'Not checked'),
    coded('client.trust.summary',
          'Trust store: {certificates} CSCA certificates, {lists} master lists, {skipped} entries skipped'),
    coded('client.trust.skipped', 'Skipped {subject} ({source}): {reason}'),
    coded('client.trust.test_only', 'WARNING: trusting the TEST CSCA {subject} — not for real exams'),
    coded('client.trust.installed_invalid', 'The installed master list {path} no longer verifies: {problem}'),
    coded('client.trust.older_list',
          '{path} was signed on {signed}, before the installed list ({installed}); use '
          '--force to install it anyway'),
    coded('client.cli.camera_or_image', 'Give exactly one of --camera N or --image FILE.'),
    coded('client.cli.user_or_token', "Give --user (the invigilator's account) or --token."),
    coded('client.cli.no_keys', 'Give --qr-image, --can, --mrz or --expected-id to open the chip.'),
    coded('client.cli.no_qr', '{path}: no readable QR code.'),
    coded('client.cli.password', 'Password'),
    coded('client.cli.station_url', 'Check-in station page: {url}'),
    coded('client.virtual.test_only',
          'TEST-ONLY VIRTUAL CARD — random keys and certificates, not a real card.'),
    coded('client.virtual.inserted', 'Virtual card inserted in reader "{reader}".'),
    coded('client.virtual.identity', 'Holder: {name}, CCCD number {id_number}, born {dob}.'),
    coded('client.virtual.mrz', 'MRZ (for BAC / PACE):'),
    coded('client.virtual.can', 'CAN (PACE): {can}'),
    coded('client.virtual.qr', 'QR code text: {qr}'),
    coded('client.virtual.csca', 'Test CSCA certificate: {path} (read-card --trust {path})'),
    coded('client.virtual.faults', 'Simulated faults: {faults}'),
    coded('client.virtual.stop', 'Press Ctrl+C to remove the card.'),
    coded('client.virtual.removed', 'Virtual card removed.'),
    coded('checkin.accepted', 'Checked in. Seat {seat}.'),
    coded('checkin.bad_credentials', 'Wrong user name or password.'),
    coded('checkin.forbidden_room', 'This account is not assigned to this exam room.'),
    coded('checkin.room_not_found', 'Exam room {room} not found.'),
    coded('checkin.room_ambiguous', "Several rooms are called {room}; use the room's number."),
    coded('checkin.token_invalid', 'The check-in device token is invalid or revoked.'),
    coded('checkin.bad_request', 'Invalid check-in data: {field} {problem}.'),
    coded('checkin.not_on_roster', "The candidate is not on this sitting's roster."),
    coded('checkin.other_room', 'The candidate belongs to room {room}, not this one.'),
    coded('checkin.closed', 'The sitting is not open for check-in (it is {state}).'),
    coded('checkin.override_without_reason', 'An override needs a reason.'),
    coded('checkin.unverified_acceptance', 'Cannot accept: chip or face not verified and no override given.'),
    coded('checkin.id_taken', 'Check-in id {checkin_id} is already used for another room.'),
    coded('checkin.station_refused', 'The check-in station refused the candidate.'),
    coded('checkin.exam_not_found', 'Exam not found.'),
    coded('checkin.state.scheduled', 'not open for check-in yet'),
    coded('checkin.state.checkin_open', 'open for check-in, not started'),
    coded('checkin.state.started', 'in progress'),
    coded('checkin.state.paused', 'paused'),
    coded('checkin.state.ended', 'over'),
)  # end of the declared codes

# Nested messages: the parameter holding the code → (its parameters, where the text places it).
NESTED = {"problem_code": ("problem_params", "problem"), "cause_code": ("cause_params", "cause")}
# Parameters holding an ISO date (card_reader keeps dates machine-readable), and YYMMDD lists.
DATE_PARAMS = frozenset({"not_after", "not_before", "date", "signed", "installed"})
YYMMDD_PARAMS = frozenset({"tried"})
# Parameters listing check names, shown by their label (`card.check_name.<name>`).
CHECK_LIST_PARAMS = frozenset({"checks"})
MISSING = "-"


def language(option: str | None = None, environ: Mapping[str, str] | None = None) -> str:
    """The CLI's language: `--lang`, else the LANG/LANGUAGE environment (`en_GB.UTF-8` → en), else vi."""
    environ = os.environ if environ is None else environ
    candidates: list[str | None] = [option]
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for part in (environ.get(name) or "").split(":"):
            candidates.append(part.split(".")[0].split("_")[0].lower() or None)
    return pick_language(candidates)


def text(code: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    """The message `code` in `lang` with `params` placed; an undeclared code is returned as itself."""
    return describe(code, params, lang)


def describe(code: str, params: Mapping[str, Any] | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """A coded message with its parameters: nested codes translated, dates and lists formatted, and
    a parameter the sender left out shown as "-" rather than failing."""
    if not CATALOGUE.knows(code):
        return code
    params = dict(params or {})
    for code_name, (params_name, placed) in NESTED.items():
        nested_code = params.pop(code_name, None)
        nested_params = params.pop(params_name, None) or {}
        if isinstance(nested_code, str):
            params[placed] = describe(nested_code, nested_params, lang)
    for name, value in list(params.items()):
        params[name] = _shown(name, value, lang)
    template = CATALOGUE.translations(lang).pgettext(code, CATALOGUE.codes()[code])
    for field in _fields(template):
        params.setdefault(field, MISSING)
    return CATALOGUE.text(code, lang, **params)


def error_text(error: Any, lang: str = DEFAULT_LANGUAGE) -> str:
    """An error or problem of card_reader (anything with `code` and `params`) in `lang`."""
    code = getattr(error, "code", None)
    if not isinstance(code, str) or not CATALOGUE.knows(code):
        return str(error)
    return describe(code, getattr(error, "params", {}), lang)


def reason_text(reason: Mapping[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """A reason `{code, params, message?}`: ours when we know the code, else the server's `message`
    (a server newer than this station), else the code itself."""
    code = str(reason.get("code") or "")
    if CATALOGUE.knows(code):
        return describe(code, reason.get("params") or {}, lang)
    return str(reason.get("message") or code)


def check_text(check: Mapping[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """One verification check of a card report (`Check.to_dict()`): its code, else its diagnostic."""
    code = check.get("code")
    return describe(code, check.get("params") or {}, lang) if code else str(check.get("reason") or "")


def with_texts(checks: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, Any]]:
    """Report checks with a `text` in `lang` added to each (what the read-card command prints)."""
    return [{**c, "text": check_text(c, lang)} for c in checks]


def _fields(template: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}
    except ValueError:  # a stray brace in a translation: placed as written
        return set()


def _shown(name: str, value: Any, lang: str) -> Any:
    if name in YYMMDD_PARAMS and isinstance(value, list | tuple):
        return ", ".join(_yymmdd(v, lang) for v in value) or MISSING
    if name in DATE_PARAMS and isinstance(value, str):
        try:
            return format_date(dt.date.fromisoformat(value[:10]), lang)
        except ValueError:
            return value
    if name in CHECK_LIST_PARAMS and isinstance(value, str):
        return ", ".join(_check_name(n.strip(), lang) for n in value.split(",") if n.strip())
    if isinstance(value, float):
        return format_decimal(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or MISSING
    return value


def _yymmdd(value: Any, lang: str) -> str:
    """A MRZ date (YYMMDD; expiry dates are in this century) as dd/mm/yyyy."""
    text = str(value)
    try:
        return format_date(dt.date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6])), lang)
    except (ValueError, IndexError):
        return text


def _check_name(name: str, lang: str) -> str:
    label = f"card.check_name.{name}"
    return CATALOGUE.text(label, lang) if CATALOGUE.knows(label) else name
