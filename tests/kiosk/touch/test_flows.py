"""The real touch app, headless: simulated touches and keys walk every path; outbox rows and the screen are checked."""

from __future__ import annotations

import threading
from collections.abc import Callable

from kivy.uix.label import Label

from kiosk.core.face_api import Face, Step
from kiosk.touch.app import TouchKioskApp
from tests.kiosk.touch.driver import LANDSCAPE, Driver, TouchRig, remote_config

Rig = Callable[..., TouchRig]


def idle_faces(d: Driver) -> list:  # type: ignore[type-arg]
    faces = d.app.root.ids.screens.get_screen("idle").faces()
    assert faces is not None, "the idle screen shows no faces"
    return list(faces.buttons())


def screen_of(d: Driver, name: str):  # type: ignore[no-untyped-def]
    return d.app.root.ids.screens.get_screen(name)


def test_one_service_each_face_reason_and_skip(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure()

    async def script(d: Driver) -> None:
        assert d.screen == "idle"
        assert [b.label for b in idle_faces(d)] == ["Positivo", "Sufficiente", "Negativo"]
        for face in (0, 1):
            await d.tap(idle_faces(d)[face])
            await d.until(lambda: d.screen == "thank_you", what="thank you")
            assert screen_of(d, "thank_you").ids.thanks.text == "Grazie!"
            await d.later(0.9)
            assert d.screen == "thank_you"
            await d.later(0.1)
            await d.until(lambda: d.screen == "idle", what="back to idle")
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "reason")
        await d.tap(list(reversed(d.app.root.ids.languages.children))[1])  # where "English" is, hidden
        assert d.app.language == "it"
        tiles = screen_of(d, "reason").tiles()
        assert [t.text for t in tiles][-1] == "Salta  \u203a"
        assert tiles[0].text == "Tempo di attesa"
        await d.tap(tiles[1])
        await d.until(lambda: d.screen == "thank_you")
        await d.later(1)
        await d.until(lambda: d.screen == "idle")
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "reason")
        await d.tap(screen_of(d, "reason").tiles()[-1])  # skip
        await d.until(lambda: d.screen == "thank_you")

    kiosk.run(LANDSCAPE, script)
    rows = [(r.face, r.reason, r.service) for r in kiosk.rows()]
    assert rows == [
        (Face.POSITIVE, None, None),
        (Face.NEUTRAL, None, None),
        (Face.NEGATIVE, "staff-courtesy", None),
        (Face.NEGATIVE, None, None),
    ]


def test_several_services_then_faces_and_back(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure(services=3)

    async def script(d: Driver) -> None:
        idle = screen_of(d, "idle")
        assert idle.ids.question.text == "Quale servizio ha usato oggi?"
        assert [t.text for t in idle.tiles()] == ["Anagrafe", "Carta d'identità", "Tributi (IMU, TARI)"]
        await d.tap(idle.tiles()[1])
        await d.until(lambda: d.screen == "face")
        assert screen_of(d, "face").ids.service.text == "Carta d'identità"
        await d.tap(screen_of(d, "face").ids.back)
        await d.until(lambda: d.screen == "idle")
        await d.tap(idle.tiles()[2])
        await d.until(lambda: d.screen == "face")
        await d.tap(screen_of(d, "face").ids.faces.buttons()[0])
        await d.until(lambda: d.screen == "thank_you")

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.service) for r in kiosk.rows()] == [(Face.POSITIVE, "tributi")]


def test_keys_1_2_3_work_as_faces_and_pick_reasons(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure()

    async def script(d: Driver) -> None:
        for key, _face in ((49, "positive"), (258, "neutral")):  # "1", then keypad "2"
            await d.key(key)
            await d.until(lambda: d.screen == "thank_you")
            await d.later(1)
            await d.until(lambda: d.screen == "idle")
        await d.key(51)  # "3"
        await d.until(lambda: d.screen == "reason")
        await d.key(52)  # "4": the fourth reason
        await d.until(lambda: d.screen == "thank_you")
        await d.later(1)
        await d.until(lambda: d.screen == "idle")
        await d.key(51)
        await d.until(lambda: d.screen == "reason")
        await d.key(48)  # "0": skip
        await d.until(lambda: d.screen == "thank_you")

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.reason) for r in kiosk.rows()] == [
        (Face.POSITIVE, None),
        (Face.NEUTRAL, None),
        (Face.NEGATIVE, "must-come-back"),
        (Face.NEGATIVE, None),
    ]


def test_a_timeout_on_every_step(rig: Rig) -> None:
    kiosk = rig(face_timeout_s=0.6, service_timeout_s=0.6, reason_timeout_s=0.6, thank_you_s=0.3)
    kiosk.configure(services=2)

    async def script(d: Driver) -> None:
        await d.tap(screen_of(d, "idle").tiles()[0])
        await d.until(lambda: d.screen == "face")
        await d.later(0.5)
        assert d.screen == "face"
        await d.later(0.1)
        await d.until(lambda: d.screen == "idle", what="face step timeout")
        kiosk.kiosk.begin()  # the service step, as a keypad's first key would open it
        assert kiosk.kiosk.step is Step.SERVICE
        await d.later(0.6)
        await d.until(lambda: kiosk.kiosk.step is Step.IDLE, what="service step timeout")
        await d.tap(screen_of(d, "idle").tiles()[1])
        await d.until(lambda: d.screen == "face")
        await d.tap(screen_of(d, "face").ids.faces.buttons()[2])
        await d.until(lambda: d.screen == "reason")
        await d.later(0.5)
        assert d.screen == "reason"
        await d.later(0.1)
        await d.until(lambda: d.screen == "thank_you", what="reason step timeout")
        await d.later(0.3)
        await d.until(lambda: d.screen == "idle", what="thank-you ends")

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.reason, r.service) for r in kiosk.rows()] == [(Face.NEGATIVE, None, "carta-identita")]


def test_language_switch_and_back_to_italian_for_the_next_citizen(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure()

    async def script(d: Driver) -> None:
        bar = d.app.root.ids.languages
        names = [t.text for t in reversed(bar.children)]
        assert names == ["Italiano", "English", "Français", "Deutsch", "Español"]
        await d.tap(list(reversed(bar.children))[2])
        assert screen_of(d, "idle").ids.question.text == "Comment évaluez-vous le service reçu ?"
        assert [b.label for b in idle_faces(d)] == ["Bien", "Passable", "Mauvais"]
        normal = idle_faces(d)[0].font_size
        await d.tap(d.app.root.ids.larger)
        assert d.app.font_scale > 1
        assert idle_faces(d)[0].font_size > normal
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "reason")
        assert screen_of(d, "reason").tiles()[0].text == "Temps d'attente"  # the collector sent it/en: catalogue
        assert screen_of(d, "reason").tiles()[-1].text == "Passer  \u203a"
        assert not d.app.root.show_topbar  # the reasons take the room: language and A+ were chosen before
        await d.tap(screen_of(d, "reason").tiles()[0])
        await d.until(lambda: d.screen == "thank_you")
        assert screen_of(d, "thank_you").ids.thanks.text == "Merci !"
        await d.later(1)
        await d.until(lambda: d.screen == "idle")
        assert screen_of(d, "idle").ids.question.text == "Come valuta il servizio ricevuto?"
        assert d.app.font_scale == 1

    kiosk.run(LANDSCAPE, script)


def test_remote_config_arriving_mid_use_applies_at_once(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure(reasons=2)

    def arrive(**kwargs: object) -> None:  # on another thread, as the MQTT thread delivers it
        thread = threading.Thread(target=kiosk.kiosk.config.receive, args=(remote_config(**kwargs),))  # type: ignore[arg-type]
        thread.start()
        thread.join()

    async def script(d: Driver) -> None:
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "reason")
        assert len(screen_of(d, "reason").tiles()) == 3
        arrive(revision=2, reasons=5, languages=["it", "de"])
        await d.until(lambda: len(screen_of(d, "reason").tiles()) == 6, what="new reasons")
        assert [t.text for t in reversed(d.app.root.ids.languages.children)] == ["Italiano", "Deutsch"]
        await d.tap(screen_of(d, "reason").tiles()[4])
        await d.until(lambda: d.screen == "thank_you")
        arrive(revision=3, services=2, languages=["it"])
        await d.later(1)
        await d.until(lambda: d.screen == "idle" and screen_of(d, "idle").tiles(), what="services on idle")
        assert not d.app.root.ids.languages.children  # one language: no chooser

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.reason) for r in kiosk.rows()] == [(Face.NEGATIVE, "opening-hours")]


def test_cooldown_notice_and_a_full_disk_screen(rig: Rig) -> None:
    kiosk = rig(thank_you_s=0.2)
    kiosk.configure(cooldown_s=30)

    async def script(d: Driver) -> None:
        await d.tap(idle_faces(d)[0])
        await d.later(0.2)
        await d.until(lambda: d.screen == "idle", what="back to idle")
        await d.tap(idle_faces(d)[1])
        await d.until(lambda: d.app.root.notice, what="the cooldown notice")
        assert d.app.root.notice.startswith("Un attimo, prego")
        assert d.screen == "idle"
        await d.later(5)  # message_s
        await d.until(lambda: not d.app.root.notice, what="the notice goes")
        await d.later(25)  # 30 s after the first press: it counts again
        await d.tap(idle_faces(d)[1])
        await d.until(lambda: d.screen == "thank_you")

    kiosk.run(LANDSCAPE, script)
    assert [r.face for r in kiosk.rows()] == [Face.POSITIVE, Face.NEUTRAL]

    full = rig()
    full.configure()

    async def fill(d: Driver) -> None:
        conn = full.kiosk.outbox._connection()  # the UI thread's connection: the one a press writes with
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
        for _ in range(40):
            await d.tap(idle_faces(d)[0])
            if d.screen == "not_stored":
                break
            await d.later(1)
            await d.until(lambda: d.screen == "idle")
        assert d.screen == "not_stored"
        assert full.kiosk.step is Step.IDLE  # the flow is ready for the next citizen
        shown = screen_of(d, "not_stored").ids
        assert (shown.title.text, shown.message.text) == (
            "Ci scusi",
            "Il chiosco ora non può ricevere voti. Avvisi il personale.",
        )
        await d.later(4.9)
        assert d.screen == "not_stored"
        await d.later(0.1)
        await d.until(lambda: d.screen == "idle", what="back to idle after message_s")

    full.run(LANDSCAPE, fill)


def test_an_unexpected_error_returns_to_idle(rig: Rig) -> None:
    kiosk = rig()
    kiosk.configure()
    broken = {"once": True}
    original = kiosk.kiosk.offered_reasons

    def fails_once():  # type: ignore[no-untyped-def]
        if broken.pop("once", False):
            raise RuntimeError("a bug")
        return original()

    kiosk.kiosk.offered_reasons = fails_once  # type: ignore[method-assign]

    async def script(d: Driver) -> None:
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "idle", what="recovered")
        await d.later(1)  # the red face given was kept, with its thank-you time
        await d.until(lambda: kiosk.kiosk.step is Step.IDLE, what="the flow at rest")
        await d.tap(idle_faces(d)[2])
        await d.until(lambda: d.screen == "reason", what="working again")

    kiosk.run(LANDSCAPE, script)
    assert [(r.face, r.reason) for r in kiosk.rows()] == [
        (Face.NEGATIVE, None),
    ]


def test_maintenance_pin_right_wrong_and_locked(rig: Rig) -> None:
    kiosk = rig(touch={"pin_attempts": 2, "pin_lockout_s": 60})
    kiosk.configure()

    async def corner(d: Driver) -> None:
        for _ in range(5):
            await d.tap_at(10, d.app.root.height - 10)

    async def type_pin(d: Driver, pin: str) -> None:
        for digit in pin:
            await d.key(48 + int(digit))
        await d.key(13)

    async def script(d: Driver) -> None:
        app: TouchKioskApp = d.app
        await corner(d)
        await d.until(lambda: d.screen == "maintenance")
        maintenance = app.maintenance
        shown = [w.text for w in screen_of(d, "maintenance").walk(restrict=True) if isinstance(w, Label)]
        assert maintenance.prompt in shown  # beside the keypad on a landscape screen
        assert maintenance.prompt.startswith("Inserisca il PIN di manutenzione\n")
        assert "Enter the maintenance PIN" in maintenance.prompt  # English under the Italian, for an installer
        await type_pin(d, "1111")
        assert maintenance.prompt.startswith("PIN errato - Inserisca")
        assert "Wrong PIN - Enter" in maintenance.prompt
        await type_pin(d, "1357")
        assert maintenance.prompt.startswith("Troppi PIN errati: la tastiera è bloccata\n")
        assert "Riprovi tra 1:00\n" in maintenance.prompt
        await type_pin(d, "2468")  # the right PIN, but locked: refused
        assert not maintenance.unlocked
        await d.later(50)
        await d.until(lambda: "Riprovi tra 0:10" in maintenance.prompt, what="the countdown")
        assert "Try again in 0:10" in maintenance.prompt
        await type_pin(d, "2468")
        assert not maintenance.unlocked
        await d.later(10)
        await d.until(lambda: "Troppi PIN" not in maintenance.prompt, what="the lock ends")
        await type_pin(d, "2468")
        await d.until(lambda: maintenance.state is not None, what="the kiosk's state")
        assert maintenance.table is not None
        shown = [w.text for w in maintenance.table.children]
        assert "touch-k1 (test)" in shown
        assert "revisione 1" in shown
        assert "Voti in attesa del collector" in shown
        english = [t for t in screen_of(d, "maintenance").ids.actions.children if t.text == "English"]
        await d.tap(english[0])  # the state in English, for an installer who reads no Italian
        shown = [w.text for w in maintenance.table.children]
        assert "Ratings waiting for the collector" in shown
        assert "revision 1" in shown
        assert [t.text for t in screen_of(d, "maintenance").ids.actions.children][-1] == "Italiano"
        await d.key(27)
        await d.until(lambda: d.screen == "idle")
        await corner(d)  # a minute without a touch closes it
        await d.until(lambda: d.screen == "maintenance")
        await d.later(59)
        assert d.screen == "maintenance"
        await d.later(1.5)
        await d.until(lambda: d.screen == "idle", what="maintenance closes by itself")

    kiosk.run(LANDSCAPE, script)
