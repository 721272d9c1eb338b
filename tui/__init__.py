"""timesheet: log and approve time from the terminal."""

import sys
import types

# httpx imports its own command-line client (`httpx._main`) whenever rich, pygments and
# click are installed, as textual installs them: about 40 ms of every scripting command's
# start, for code this app never runs. A None entry makes that import fail, and httpx
# falls back to the stub it defines for exactly that case.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None blocks an import

# pydantic's plugin loader imports `importlib.metadata` (and through it zipfile, csv and
# email) when the first model is built, then scans every installed package's entry points
# for plugins: about 8 ms of the app's start and of every command's, for plugins this app
# never uses. It calls the loader's `get_plugins` only; this one has none to give.
_no_pydantic_plugins = types.ModuleType("pydantic.plugin._loader")
_no_pydantic_plugins.get_plugins = lambda: ()  # type: ignore[attr-defined]
sys.modules.setdefault("pydantic.plugin._loader", _no_pydantic_plugins)
