"""Every staff page refuses anonymous users (redirect to the login page) and wrong roles (403);
an invigilator sees only the rooms assigned to them. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from exam_server.exams.lifecycle import get_room, get_sitting
from tests.pages.conftest import form_token, make_app, page_login
from tests.support.seed import CANDIDATE_PASSWORD, STAFF_PASSWORD, Seeded, seed_sitting, username

PAGE_BLUEPRINTS = ("account_pages", "exam_pages", "room_pages")


def examiner_gets(s: Seeded) -> list[str]:
    sid = s.sitting_id
    return ["/exams/", f"/exams/sittings/{sid}", f"/exams/sittings/{sid}/status",
            f"/exams/sittings/{sid}/roster", f"/exams/sittings/{sid}/scores"]


def examiner_posts(s: Seeded) -> list[str]:
    sid, rid = s.sitting_id, s.room_ids[0]
    return [f"/exams/sittings/{sid}/open_checkin", f"/exams/sittings/{sid}/start", f"/exams/sittings/{sid}/end",
            f"/exams/sittings/{sid}/rooms/{rid}/start", f"/exams/sittings/{sid}/roster"]


def room_gets(room_id: int) -> list[str]:
    return [f"/rooms/{room_id}", f"/rooms/{room_id}/roster"]


def room_posts(s: Seeded, room_index: int) -> list[str]:
    rid = s.room_ids[room_index]
    reg = s.registration_ids[room_index * 3]  # seed_sitting puts 3 candidates in each room
    return [f"/rooms/{rid}/start", f"/rooms/{rid}/pause", f"/rooms/{rid}/resume",
            f"/rooms/{rid}/candidates/{reg}/login-code", f"/rooms/{rid}/extra-time"]


@pytest.fixture(scope="module")
def seeded(app: Flask) -> Seeded:
    """Shared by the module's tests: none of them may change it (that is what they check)."""
    with app.app_context():
        return seed_sitting(rooms=2, per_room=3, open_checkin=True)


@pytest.fixture(scope="module")
def staff(app: Flask, seeded: Seeded) -> dict[str, str]:
    """Usernames by seed key: admin, examiner, inv1, inv2."""
    with app.app_context():
        return {key: username(seeded, key) for key in seeded.users}


def sitting_state(app: Flask, sitting_id: int) -> str:
    with app.app_context():
        return get_sitting(sitting_id).state


def room_state(app: Flask, room_id: int) -> str:
    with app.app_context():
        return get_room(room_id).state


def test_every_page_view_declares_its_access_rule(app: Flask) -> None:
    pages = [rule for rule in app.url_map.iter_rules() if rule.endpoint.split(".")[0] in PAGE_BLUEPRINTS]
    assert len(pages) >= 15
    for rule in pages:
        access = getattr(app.view_functions[rule.endpoint], "access", None)
        assert access is not None, f"{rule.endpoint} has no access rule"


def test_anonymous_is_sent_to_login(client: FlaskClient, seeded: Seeded) -> None:
    token = form_token(client.get("/login").get_data(as_text=True))
    for url in examiner_gets(seeded) + room_gets(seeded.room_ids[0]) + ["/rooms/"]:
        r = client.get(url)
        assert r.status_code == 302, url
        location = urlsplit(r.headers["Location"])
        assert location.path == "/login", url
        assert parse_qs(location.query)["next"][0].startswith(url), url
    for url in examiner_posts(seeded) + room_posts(seeded, 0):
        r = client.post(url, data={"csrf_token": token})
        assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/login", url


def test_home_redirects_by_role(client: FlaskClient, seeded: Seeded, staff: dict[str, str]) -> None:
    assert urlsplit(client.get("/").headers["Location"]).path == "/login"
    page_login(client, staff["examiner"], STAFF_PASSWORD)
    assert urlsplit(client.get("/").headers["Location"]).path == "/exams/"
    client.post("/logout", data={"csrf_token": form_token(client.get("/exams/").get_data(as_text=True))})
    page_login(client, staff["inv1"], STAFF_PASSWORD)
    assert urlsplit(client.get("/").headers["Location"]).path == "/rooms/"


def test_invigilator_is_refused_examiner_pages(app: Flask, client: FlaskClient, seeded: Seeded, staff: dict[str, str]) -> None:
    token = page_login(client, staff["inv1"], STAFF_PASSWORD)
    for url in examiner_gets(seeded):
        assert client.get(url).status_code == 403, url
    for url in examiner_posts(seeded):
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url
    # Nothing changed: check-in is still open, not started.
    assert sitting_state(app, seeded.sitting_id) == "checkin_open"


def test_invigilator_sees_only_assigned_rooms(app: Flask, client: FlaskClient, seeded: Seeded, staff: dict[str, str]) -> None:
    token = page_login(client, staff["inv1"], STAFF_PASSWORD)
    listing = client.get("/rooms/").get_data(as_text=True)
    assert f'href="/rooms/{seeded.room_ids[0]}"' in listing
    assert f'href="/rooms/{seeded.room_ids[1]}"' not in listing
    for url in room_gets(seeded.room_ids[0]):
        assert client.get(url).status_code == 200, url
    for url in room_gets(seeded.room_ids[1]):
        r = client.get(url)
        assert r.status_code == 403, url
        assert "Không có quyền truy cập" in r.get_data(as_text=True)
    for url in room_posts(seeded, 1):
        assert client.post(url, data={"csrf_token": token, "registration_id": seeded.registration_ids[3],
                                      "minutes": "5", "reason": "thử"}).status_code == 403, url
    # A candidate of room 1 addressed through room 0's URL is not found there.
    r = client.post(f"/rooms/{seeded.room_ids[0]}/candidates/{seeded.registration_ids[3]}/login-code",
                    data={"csrf_token": token})
    assert r.status_code == 404
    assert room_state(app, seeded.room_ids[1]) == "checkin_open"


def test_candidate_is_refused_staff_pages(client: FlaskClient, seeded: Seeded) -> None:
    headers = {"X-CSRFToken": client.get("/api/v1/auth/csrf").get_json()["csrf_token"]}
    r = client.post("/api/v1/auth/candidate-login", headers=headers, json={
        "sitting_id": seeded.sitting_id, "sbd": seeded.sbds[0], "password": CANDIDATE_PASSWORD})
    assert r.status_code == 200, r.get_json()
    for url in examiner_gets(seeded) + room_gets(seeded.room_ids[0]) + ["/rooms/"]:
        assert client.get(url).status_code == 403, url


def test_forms_without_csrf_token_are_refused(app: Flask, client: FlaskClient, seeded: Seeded, staff: dict[str, str]) -> None:
    r = client.post("/login", data={"username": staff["examiner"], "password": STAFF_PASSWORD})
    assert r.status_code == 400
    assert client.get("/exams/").status_code == 302  # not signed in
    page_login(client, staff["examiner"], STAFF_PASSWORD)
    r = client.post(f"/exams/sittings/{seeded.sitting_id}/start")
    assert r.status_code == 400
    assert sitting_state(app, seeded.sitting_id) == "checkin_open"


def test_login_page_is_rate_limited(app: Flask, tmp_path: Path) -> None:
    # A moving window: with the default fixed one, the four posts may straddle a minute boundary.
    limited = make_app(app.config["DATABASE_URL"], tmp_path / "instance", SECURITY_LOGIN_RATE_LIMIT="3 per minute",
                       RATELIMIT_STRATEGY="moving-window")
    client = limited.test_client()
    token = form_token(client.get("/login").get_data(as_text=True))
    for _ in range(3):
        r = client.post("/login", data={"username": "ai-do", "password": "sai", "csrf_token": token})
        assert r.status_code == 200
    r = client.post("/login", data={"username": "ai-do", "password": "sai", "csrf_token": token})
    assert r.status_code == 429
    assert "Quá nhiều yêu cầu" in r.get_data(as_text=True)
    assert client.get("/login").status_code == 200  # reading the page is not limited
