"""The real Kivy app, headless: SDL's offscreen driver (GL through Mesa), a private KIVY_HOME, no window manager.

Set before Kivy is first imported (this module is imported before the tests of this folder).
The window starts as large as the largest screen tested and each test sets its own size
(the offscreen driver cannot grow a window past its first size).
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("SDL_VIDEODRIVER", "offscreen")
os.environ.setdefault("LP_NUM_THREADS", "0")  # as the program sets it (kiosk/touch/main.py): flat memory
os.environ["KIVY_HOME"] = tempfile.mkdtemp(prefix="mlf-kivy-home-")
os.environ["KIVY_NO_ARGS"] = "1"
os.environ["KIVY_LOG_MODE"] = "PYTHON"
os.environ["KIVY_NO_FILELOG"] = "1"

from kivy.config import Config

Config.set("graphics", "width", "1920")
Config.set("graphics", "height", "1920")
Config.set("kivy", "exit_on_escape", "0")
Config.set("input", "mouse", "mouse,disable_multitouch")

from tests.kiosk.touch.driver import rig  # noqa: E402, F401 - the fixture, after the environment above
