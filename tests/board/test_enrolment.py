"""The board's "Enrol a kiosk" page, server-side: who sees it and what each key may do (an administrator of the
town hall, of every organisation, a reader, nobody), the code shown once and never again, the form's
messages with nothing typed lost, revocation, and a code made here redeemed by a kiosk then listed as used."""

from __future__ import annotations

import re

from tests.board.test_twins import twin
from tests.fixtures.fix_api import make_key
from tests.fixtures.fix_board import Board

POINT = "comune-anagrafe-1"
MAKE = "/board/organisations/{org}/enrolment-codes"
CODE = re.compile(r'<span class="code-group">(\d{4})</span>' * 4)
LINK = 'href="/board/enrolment"'


def codes(board: Board, org: str = "comune") -> list[dict[str, object]]:
    answer: list[dict[str, object]] = board.api(f"/v1/organisations/{org}/enrolment-codes", board.admin)
    return answer


def make(board: Board, org: str = "comune", lang: str = "en", **fields: str | list[str]) -> tuple[int, str]:
    form = {"service_point": POINT, "days": "2", "note": "Pi 4 sportello 1", **fields}
    answer = board.client.post(MAKE.format(org=org), data=form, headers={"Accept-Language": lang})
    return answer.status_code, answer.text


def test_a_reader_sees_neither_the_page_nor_its_link(board: Board) -> None:
    for token in (board.reader, board.bound_reader):
        board.signed_in(token)
        assert LINK not in board.client.get("/board").text
        refused = board.client.get("/board/enrolment", headers={"Accept-Language": "en"})
        assert refused.status_code == 403
        assert "only an administrator enrols kiosks" in refused.text
        status, _html = make(board)
        assert status == 403
        revoke = board.client.post("/board/organisations/comune/enrolment-codes/1/revoke", follow_redirects=False)
        assert revoke.status_code == 403
    board.signed_in(board.admin)
    assert LINK in board.client.get("/board").text


def test_without_a_session_the_page_asks_to_sign_in(board: Board) -> None:
    board.client.cookies.clear()
    page = board.client.get("/board/enrolment", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/board/sign-in?next=%2Fboard%2Fenrolment")
    made = board.client.post(MAKE.format(org="comune") + "?format=json", data={"service_point": POINT})
    assert made.status_code == 401
    assert codes(board) == []


def test_an_admin_makes_a_code_sees_it_once_then_revokes_it(board: Board) -> None:
    board.signed_in(board.admin)
    status, html = make(board, service=["anagrafe"])
    assert status == 201, html
    shown = CODE.search(html)
    assert shown is not None
    code = "-".join(shown.groups())
    assert f'<span class="visually-hidden">{code}</span>' in html
    assert '<svg role="img" aria-label="QR code of the enrolment code"' in html
    assert "Works once, until" in html
    assert "Scan this QR code" in html  # an English page, with Italian alongside:
    assert "Collega il chiosco alla rete" in html
    listed = codes(board)[0]  # newest first
    assert listed["state"] == "pending"
    assert listed["services"] == ["anagrafe"]
    assert listed["note"] == "Pi 4 sportello 1"
    assert f'id="code-{listed["id"]}"' in html  # already in the list below the sheet

    page = board.client.get("/board/enrolment?org=comune", headers={"Accept-Language": "it"})
    assert page.status_code == 200
    assert code not in page.text
    assert code.replace("-", "") not in page.text
    assert not CODE.search(page.text)
    assert "In attesa di un chiosco" in page.text
    assert twin(board, "/board/enrolment", org="comune")["codes"] == codes(board)

    confirm = re.search(rf'action="(/board/organisations/comune/enrolment-codes/{listed["id"]}/revoke)"', page.text)
    assert confirm is not None
    revoked = board.client.post(confirm.group(1), follow_redirects=False)
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/board/enrolment?org=comune&notice=revoked#codes"
    after = board.client.get(revoked.headers["location"], headers={"Accept-Language": "en"}).text
    assert "The code has been revoked" in after
    assert codes(board)[0]["state"] == "revoked"
    assert confirm.group(1) not in after  # nothing left to revoke


def test_bad_input_gets_its_message_and_nothing_typed_is_lost(board: Board) -> None:
    board.signed_in(board.admin)
    before = codes(board)
    for fields, field, message in (
        ({"service_point": "nowhere-1"}, "service-point", "This organisation has no service point with this id."),
        ({"service_point": "asl-cup-1"}, "service-point", "This organisation has no service point with this id."),
        ({"service_point": ""}, "service-point", "Choose a service point of this organisation."),
        ({"days": "0"}, "days", "Between 0.01 days (a quarter of an hour) and 90 days."),
        ({"days": "91"}, "days", "Between 0.01 days (a quarter of an hour) and 90 days."),
        ({"days": "soon"}, "days", "Between 0.01 days (a quarter of an hour) and 90 days."),
        ({"service": ["cup"]}, "services", "Choose services of this organisation only."),
        ({"note": "x" * 201}, "note", "At most 200 characters, on one line."),
    ):
        status, html = make(board, **fields)
        assert status == 422, (fields, html[:300])
        assert f'<p class="field-error" id="e-{field}">{message}</p>' in html, fields
        assert 'role="alert"' in html
        assert 'value="Pi 4 sportello 1"' in html or fields.get("note"), fields  # the note is kept
        if "days" not in fields:
            assert 'value="2"' in html  # the days are kept
        else:
            assert f'value="{fields["days"]}"' in html
        if fields.get("service_point"):
            assert f'value="{fields["service_point"]}" selected' in html
    status, html = make(board, lang="it", days="0")
    assert "Tra 0,01 giorni" in html
    assert codes(board) == before  # nothing made


def test_an_admin_of_the_town_hall_sees_and_touches_only_the_town_hall(board: Board) -> None:
    bound = make_key(board.database_url, "admin", org="comune", name="town hall admin")
    board.signed_in(bound)
    page = twin(board, "/board/enrolment")
    assert [o["id"] for o in page["organisations"]] == ["comune"]
    assert page["organisation"]["id"] == "comune"
    assert 'id="f-org"' not in board.client.get("/board/enrolment").text  # nothing to choose
    assert board.client.get("/board/enrolment?org=asl").status_code == 403
    status, _html = make(board, org="asl", service_point="asl-cup-1")
    assert status == 403
    status, _html = make(board, service_point="asl-cup-1")  # another organisation's point, under its own
    assert status == 422
    assert codes(board, "asl") == []

    board.signed_in(board.admin)  # the all-organisation admin chooses, and makes a code for the health authority
    html = board.client.get("/board/enrolment?org=asl").text
    assert 'id="f-org"' in html
    status, _html = make(board, org="asl", service_point="asl-cup-1", note="")
    assert status == 201
    (theirs,) = codes(board, "asl")

    board.signed_in(bound)  # the town hall's admin cannot revoke it, by either organisation
    assert board.client.post(f"/board/organisations/asl/enrolment-codes/{theirs['id']}/revoke").status_code == 403
    sneaky = board.client.post(f"/board/organisations/comune/enrolment-codes/{theirs['id']}/revoke")
    assert sneaky.status_code == 404
    assert codes(board, "asl")[0]["state"] == "pending"
    assert all(c["organisation"] == "comune" for c in twin(board, "/board/enrolment")["codes"])


def test_a_post_from_another_site_is_refused(board: Board) -> None:
    board.signed_in(board.admin)
    before = codes(board)
    refused = board.client.post(
        MAKE.format(org="comune"), data={"service_point": POINT}, headers={"Origin": "https://evil.example"}
    )
    assert refused.status_code == 403
    assert codes(board) == before


def test_a_code_made_here_enrols_a_kiosk_and_the_page_names_it(board: Board) -> None:
    board.signed_in(board.admin)
    status, html = make(board, service=["anagrafe"], note="")
    assert status == 201
    shown = CODE.search(html)
    assert shown is not None
    enrolled = board.client.post("/v1/enrolment", json={"code": "".join(shown.groups())})
    assert enrolled.status_code == 200, enrolled.text
    kiosk = enrolled.json()["kiosk"]
    assert kiosk.startswith(f"{POINT}-k")
    page = board.client.get("/board/enrolment?org=comune", headers={"Accept-Language": "en"}).text
    row = re.search(r'<tr id="code-\d+" class="code-used">.*?</tr>', page, re.S)
    assert row is not None
    assert f"by kiosk {kiosk}" in row.group(0)
    assert "Revoke" not in row.group(0)
    used = next(c for c in codes(board) if c["state"] == "used")
    assert used["redeemed_kiosk_id"] == kiosk
    late = board.client.post(f"/board/organisations/comune/enrolment-codes/{used['id']}/revoke", follow_redirects=False)
    assert late.headers["location"] == "/board/enrolment?org=comune&notice=used#codes"
    told = board.client.get(late.headers["location"], headers={"Accept-Language": "en"}).text
    assert "This code was used already: it cannot be revoked." in told
    assert next(c for c in codes(board) if c["id"] == used["id"])["state"] == "used"


def test_a_code_for_the_new_device_of_a_kiosk(board: Board) -> None:
    """ "Replaces kiosk": the organisation's kiosks, grouped by service point; the code gives that kiosk's id to the
    new device, and the sheet and the list say which kiosk it replaces."""
    board.signed_in(board.admin)
    form = board.client.get("/board/enrolment?org=comune", headers={"Accept-Language": "it"}).text
    select = re.search(r'<select id="f-kiosk" name="kiosk".*?</select>', form, re.S)
    assert select is not None
    assert '<option value="">Nessuno: nuovo chiosco</option>' in select.group(0)  # the default
    assert '<optgroup label="Anagrafe, sportello 1">' in select.group(0)
    assert 'value="comune-cie-1-k1">comune-cie-1-k1 · Scollegato</option>' in select.group(0)  # the broken one
    assert "asl-" not in select.group(0)  # another organisation's kiosks are not offered

    old = "comune-anagrafe-1-k1"
    status, html = make(board, kiosk=old, note="", lang="it")
    assert status == 201, html
    assert f"Sostituisce il chiosco {old}: quando il codice viene usato, il vecchio dispositivo smette" in html
    made = codes(board)[0]
    assert made["kiosk_id"] == old
    row = re.search(rf'<tr id="code-{made["id"]}" class="code-pending">.*?</tr>', html, re.S)
    assert row is not None
    assert f"<strong>Sostituisce {old}</strong>" in row.group(0)
    shown = CODE.search(html)
    assert shown is not None
    enrolled = board.client.post("/v1/enrolment", json={"code": "".join(shown.groups())})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["kiosk"] == old  # the same kiosk, a new device
    page = board.client.get("/board/enrolment?org=comune", headers={"Accept-Language": "en"}).text
    row = re.search(rf'<tr id="code-{made["id"]}" class="code-used">.*?</tr>', page, re.S)
    assert row is not None
    assert f"by kiosk {old}" in row.group(0)
    assert f"<strong>Replaces {old}</strong>" in row.group(0)
    assert next(c for c in codes(board) if c["id"] == made["id"])["replaces"] is True


def test_a_used_code_for_a_new_kiosk_id_stays_a_new_kiosk(board: Board) -> None:
    """A code made (through the API, as the CLI can too) for a kiosk id nobody has yet makes that kiosk when it is
    used: the list goes on saying "New kiosk", never "Replaces", though the kiosk exists by then. A second code
    for the same id, made before the first was used, would take that kiosk over: while it waits, it says so."""
    board.signed_in(board.admin)
    fresh = "comune-anagrafe-1-nuovo"
    made = [
        board.client.post(
            MAKE.replace("/board/", "/v1/").format(org="comune"),
            json={"service_point": POINT, "kiosk_id": fresh, "note": "nuovo"},
            headers={"Authorization": f"Bearer {board.admin}"},
        ).json()
        for _ in range(2)
    ]
    assert [m["replaces"] for m in made] == [False, False]
    enrolled = board.client.post("/v1/enrolment", json={"code": made[0]["code"]})
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["kiosk"] == fresh  # the kiosk exists now
    listed = {c["id"]: c for c in codes(board)}
    assert (listed[made[0]["id"]]["state"], listed[made[0]["id"]]["replaces"]) == ("used", False)
    assert (listed[made[1]["id"]]["state"], listed[made[1]["id"]]["replaces"]) == ("pending", True)
    words = {"it": ("Chiosco", "Nuovo chiosco", "Sostituisce"), "en": ("Kiosk", "New kiosk", "Replaces")}
    for lang, (column, new_kiosk, replaces) in words.items():
        page = board.client.get("/board/enrolment?org=comune", headers={"Accept-Language": lang}).text
        used = re.search(rf'<tr id="code-{made[0]["id"]}" class="code-used">.*?</tr>', page, re.S)
        assert used is not None
        cell = re.search(rf'<td data-label="{column}">\s*(.*?)\s*</td>', used.group(0), re.S)
        assert cell is not None
        assert cell.group(1) == f'{new_kiosk}<span class="sub">{fresh}</span>'
        assert replaces not in used.group(0)
        waiting = re.search(rf'<tr id="code-{made[1]["id"]}" class="code-pending">.*?</tr>', page, re.S)
        assert waiting is not None
        assert f"<strong>{replaces} {fresh}</strong>" in waiting.group(0)
    revoked = board.client.post(f"/board/organisations/comune/enrolment-codes/{made[1]['id']}/revoke")
    assert revoked.status_code == 200


def test_a_kiosk_of_another_organisation_is_refused_at_its_field(board: Board) -> None:
    """An administrator of the town hall naming the health authority's kiosk, by hand: the message at the field,
    what was typed kept, nothing issued (in either organisation). So for the all-organisation administrator
    posting under the town hall, a kiosk elsewhere in the town hall, and services with a replacement."""
    bound = make_key(board.database_url, "admin", org="comune", name="town hall admin")
    before = {org: codes(board, org) for org in ("comune", "asl")}
    for token in (bound, board.admin):
        board.signed_in(token)
        for fields, field, message in (
            (
                {"kiosk": "asl-cup-1-k1"},
                "kiosk",
                "This organisation has no kiosk with this id: choose one of its kiosks, or a new kiosk.",
            ),
            (
                {"kiosk": "nowhere-k1"},
                "kiosk",
                "This organisation has no kiosk with this id: choose one of its kiosks, or a new kiosk.",
            ),
            (
                {"kiosk": "comune-tributi-1-k1"},
                "kiosk",
                "This kiosk stands at another service point: choose that service point, or a new kiosk.",
            ),
            (
                {"kiosk": "comune-anagrafe-1-k1", "service": ["anagrafe"]},
                "services",
                "A new device keeps the services of the kiosk it replaces: untick them, or choose a new kiosk.",
            ),
        ):
            status, html = make(board, **fields)
            assert status == 422, (fields, html[:300])
            assert f'<p class="field-error" id="e-{field}">{message}</p>' in html, fields
            assert 'role="alert"' in html
            assert f'value="{fields["kiosk"]}" selected' in html  # what was chosen, kept
            assert 'value="Pi 4 sportello 1"' in html
        json = board.client.post(
            MAKE.format(org="comune") + "?format=json", data={"service_point": POINT, "kiosk": "asl-cup-1-k1"}
        )
        assert json.status_code == 422
        assert json.json() == {
            "errors": {
                "kiosk": "This organisation has no kiosk with this id: choose one of its kiosks, or a new kiosk."
            }
        }
    status, html = make(board, lang="it", kiosk="asl-cup-1-k1")
    assert "Questa organizzazione non ha un chiosco con questo identificativo" in html
    assert {org: codes(board, org) for org in ("comune", "asl")} == before  # nothing issued
