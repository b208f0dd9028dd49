"""Admission of a batch's ratings against the registry, pure: a kiosk speaks only for its organisation, its
service point and the services offered there; what is unknown is registered only with auto-registration.
(Loading the registry and writing what auto-registration adds: tests/collector/test_ingest_admission.py.)"""

from __future__ import annotations

from datetime import UTC, datetime

from collector.ingest.messages import Inbound, Rejection
from collector.ingest.messages import RatingIn as In
from collector.store.admission import Registry, admit_kiosk, admit_ratings
from tests.fixtures.kiosk_messages import rating

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def registry(**kiosks: tuple[str, str | None]) -> Registry:
    return Registry(
        kiosks=dict(kiosks),
        service_points={"sp-1": "roma", "sp-2": "roma", "sp-m": "milano"},
        services={("roma", "anagrafe"), ("roma", "tributi"), ("milano", "anagrafe")},
        organisations={"roma", "milano"},
    )


def rated(kiosk: str, service_point: str, service: str | None = None, org: str = "roma", seq: int = 1) -> In:
    r = rating(kiosk, seq, service_point=service_point, service=service, pressed_at=NOW)
    return In(Inbound(f"mlf/v1/{org}/{kiosk}/rating", b"", NOW), org, r)


def admit(reg: Registry, ratings: list[In], auto: bool = False) -> tuple[list[In], list[Rejection]]:
    rejections: list[Rejection] = []
    return admit_ratings(ratings, reg, rejections, auto), rejections


def reasons(rejections: list[Rejection]) -> list[str]:
    return [r.reason for r in rejections]


def test_a_kiosk_rating_its_own_service_point_is_admitted_and_nothing_is_registered() -> None:
    reg = registry(k1=("roma", "sp-1"))
    ok = [rated("k1", "sp-1"), rated("k1", "sp-1", "anagrafe", seq=2)]
    assert admit(reg, ok) == (ok, [])
    assert reg.new == set()
    assert reg.assigned == {}


def test_a_kiosk_naming_another_service_point_is_refused_and_its_number_still_counts() -> None:
    reg = registry(k1=("roma", "sp-1"))
    wrong = rated("k1", "sp-2", seq=7)
    for auto in (False, True):
        admitted, rejections = admit(reg, [wrong], auto)
        assert admitted == []
        [rejection] = rejections
        assert rejection.reason == "identity_mismatch"
        assert "'sp-1'" in rejection.detail
        assert "'sp-2'" in rejection.detail
        assert rejection.rating == wrong.rating  # the number is accounted for: it will never be stored
        assert rejection.inbound == wrong.inbound


def test_a_kiosk_of_another_organisation_is_refused() -> None:
    reg = registry(k1=("milano", "sp-m"))
    for auto in (False, True):
        admitted, rejections = admit(reg, [rated("k1", "sp-m")], auto)
        assert (admitted, reasons(rejections)) == ([], ["org_mismatch"])
        assert rejections[0].inbound.topic == "mlf/v1/roma/k1/rating"
        assert "'milano'" in rejections[0].detail
        assert "'roma'" in rejections[0].detail
        assert reg.kiosks["k1"] == ("milano", "sp-m")


def test_an_unknown_kiosk_is_refused_or_registered_where_its_first_rating_says() -> None:
    reg = registry()
    first, second = rated("k9", "sp-2"), rated("k9", "sp-1", seq=2)
    admitted, rejections = admit(reg, [first], auto=False)
    assert (admitted, reasons(rejections)) == ([], ["unknown_kiosk"])
    assert rejections[0].inbound == first.inbound  # quarantined as it came
    assert rejections[0].rating is None
    assert "'k9'" in rejections[0].detail
    assert "k9" not in reg.kiosks
    assert reg.new == set()

    admitted, rejections = admit(reg, [first, second], auto=True)
    assert admitted == [first]
    assert reasons(rejections) == ["identity_mismatch"]  # held to the service point of its first rating
    assert reg.kiosks["k9"] == ("roma", "sp-2")
    assert reg.new == {("kiosks", "k9")}
    assert reg.assigned == {}  # a new kiosk is inserted with its service point


def test_a_known_kiosk_without_a_service_point_gets_the_one_of_its_first_rating_only_with_auto_registration() -> None:
    reg = registry(k1=("roma", None))
    admitted, rejections = admit(reg, [rated("k1", "sp-1")], auto=False)
    assert (admitted, reasons(rejections)) == ([], ["identity_mismatch"])
    assert "no service point" in rejections[0].detail
    assert reg.kiosks == {"k1": ("roma", None)}

    first, other = rated("k1", "sp-2"), rated("k1", "sp-1", seq=2)
    admitted, rejections = admit(reg, [first, other], auto=True)
    assert admitted == [first]
    assert reasons(rejections) == ["identity_mismatch"]
    assert reg.kiosks["k1"] == ("roma", "sp-2")
    assert reg.assigned == {"k1": "sp-2"}
    assert reg.new == set()


def test_only_the_services_offered_at_the_kiosk() -> None:
    reg = registry(k1=("roma", "sp-1"), k2=("roma", "sp-2"))
    reg.offered = {"k1": {"anagrafe"}, "k2": set()}
    offered, not_offered, none = rated("k1", "sp-1", "anagrafe"), rated("k1", "sp-1", "tributi"), rated("k1", "sp-1")
    any_service = rated("k2", "sp-2", "tributi")
    admitted, rejections = admit(reg, [offered, not_offered, none, any_service], auto=True)
    assert admitted == [offered, none, any_service]
    assert reasons(rejections) == ["identity_mismatch"]
    assert "'tributi'" in rejections[0].detail
    assert "'k1'" in rejections[0].detail


def test_an_unknown_service_point_or_service_is_refused_or_registered() -> None:
    reg = registry(k1=("roma", None), k2=("roma", "sp-new"))
    unknown_sp = rated("k2", "sp-new")
    admitted, rejections = admit(reg, [unknown_sp], auto=False)
    assert (admitted, reasons(rejections)) == ([], ["unknown_service_point"])
    assert "'sp-new'" in rejections[0].detail
    unknown_service = rated("k1", "sp-1", "cimiteri")
    reg.kiosks["k1"] = ("roma", "sp-1")
    admitted, rejections = admit(reg, [unknown_service], auto=False)
    assert (admitted, reasons(rejections)) == ([], ["unknown_service"])
    assert "'cimiteri'" in rejections[0].detail
    assert "'roma'" in rejections[0].detail
    assert reg.new == set()
    assert "sp-new" not in reg.service_points

    admitted, rejections = admit(reg, [unknown_sp, unknown_service, rated("k1", "sp-1", "anagrafe")], auto=True)
    assert len(admitted) == 3
    assert rejections == []
    assert reg.service_points["sp-new"] == "roma"
    assert ("roma", "cimiteri") in reg.services
    assert reg.new == {("service_points", "sp-new"), ("services", "roma/cimiteri")}


def test_another_organisations_service_point_is_refused_even_with_auto_registration() -> None:
    reg = registry(k1=("roma", "sp-m"))
    for auto in (False, True):
        admitted, rejections = admit(reg, [rated("k1", "sp-m")], auto)
        assert (admitted, reasons(rejections)) == ([], ["foreign_service_point"])
        assert "'milano'" in rejections[0].detail
    assert reg.service_points["sp-m"] == "milano"


def test_a_service_is_the_organisation_of_the_rating() -> None:
    """'anagrafe' exists at milano, not a reason to admit it for roma without auto-registration."""
    reg = registry(k1=("roma", "sp-1"))
    reg.services.discard(("roma", "anagrafe"))
    admitted, rejections = admit(reg, [rated("k1", "sp-1", "anagrafe")])
    assert (admitted, reasons(rejections)) == ([], ["unknown_service"])


def test_admitting_a_heartbeats_kiosk() -> None:
    reg = registry(k1=("roma", "sp-1"))
    rejections: list[Rejection] = []
    assert admit_kiosk(rated("k1", "sp-1"), reg, rejections, auto_register=False)
    assert not admit_kiosk(rated("k1", "sp-1", org="milano"), reg, rejections, auto_register=True)
    assert reasons(rejections) == ["org_mismatch"]
    assert admit_kiosk(rated("k5", "sp-1", org="milano"), reg, rejections, auto_register=True)
    assert reg.kiosks["k5"] == ("milano", None)


def test_a_refused_kiosk_does_not_hold_up_the_rest_of_the_batch() -> None:
    reg = registry(k1=("roma", "sp-1"), k2=("milano", "sp-m"))
    good = rated("k1", "sp-1")
    admitted, rejections = admit(reg, [rated("k7", "sp-1"), rated("k2", "sp-m"), good])
    assert admitted == [good]
    assert reasons(rejections) == ["unknown_kiosk", "org_mismatch"]
