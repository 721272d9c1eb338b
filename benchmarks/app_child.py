"""The app-level figures, each in a fresh child process started by `python -m benchmarks`.

    python -m benchmarks.app_child bare            a bare Textual app showing one Static
    python -m benchmarks.app_child demo            the `--demo` app (as `timesheet --demo`)
    python -m benchmarks.app_child grid URL TOKEN ORG PERSON [--keys N] [--paced]

`bare` and `demo` print `FRAME` once the first frame (with rows, for the demo) is drawn, so
the parent times process start -> first frame. `grid` runs the real app headless over a
ledger served by another process (`timesheet serve`), loads the whole ledger into the grid
and prints one JSON line: load time, RSS idle/loaded/peak, CPU per key and per cell edit.
CPU is `time.process_time` (this process only: the ledger is elsewhere). With `--paced`
it prints `KEYS` once loaded and presses one key per line read from its stdin (`down`,
`pagedown`, `end`; anything else ends that), printing each press's CPU: the parent
alternates two grids' presses that way (`benchmarks.__main__.paced_grids`).

Finding causes (each off unless set): TIMESHEET_BENCH_PROFILE=DIR (cProfile of the load,
the keys and the edits), TIMESHEET_BENCH_TRACEMALLOC=1 (where the kept memory was
allocated), TIMESHEET_BENCH_SLOW=SECONDS (callbacks that held the loop, see
`log_slow_callbacks`), TIMESHEET_BENCH_MALLOCSTATS=PATH (pymalloc's arenas after the load).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

SIZE = (160, 45)


def rss_mb(field: str = "VmRSS") -> float:
    """A /proc/self/status figure (VmRSS, VmHWM) in MB; resource's maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def settle_memory() -> None:
    """Collect garbage and hand freed heap back to the OS, so RSS shows what is kept."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def app_css() -> str:
    """The app's stylesheet by its full path: a subclass's relative CSS_PATH would be
    looked up next to this file."""
    import tui.app

    return str(Path(tui.app.__file__).with_name(str(tui.app.TimesheetApp.CSS_PATH)))


def profiler(name: str) -> Any:
    """With TIMESHEET_BENCH_PROFILE=DIR, a running cProfile whose stats `stop` writes to
    DIR/NAME-SIZE.prof; else None."""

    folder = os.environ.get("TIMESHEET_BENCH_PROFILE")
    if not folder:
        return None
    import cProfile

    profile = cProfile.Profile()
    profile.bench_path = Path(folder) / f"{name}.prof"  # type: ignore[attr-defined]
    profile.enable()
    return profile


def tracer() -> bool:
    """With TIMESHEET_BENCH_TRACEMALLOC=1, tracemalloc from the load on (the grid child
    then reports where the memory still held after the load was allocated)."""

    if os.environ.get("TIMESHEET_BENCH_TRACEMALLOC") != "1":
        return False
    import tracemalloc

    tracemalloc.start()
    return True


def log_slow_callbacks() -> None:
    """With TIMESHEET_BENCH_SLOW=SECONDS, asyncio's debug mode logs every callback of the
    load that held the loop longer (to TIMESHEET_BENCH_SLOW_LOG, else stderr). Debug mode
    slows everything: for finding the culprit, not for figures."""
    seconds = os.environ.get("TIMESHEET_BENCH_SLOW")
    if not seconds:
        return
    import logging

    logging.basicConfig(level=logging.WARNING, filename=os.environ.get("TIMESHEET_BENCH_SLOW_LOG"))
    loop = asyncio.get_running_loop()
    loop.set_debug(True)
    loop.slow_callback_duration = float(seconds)


def write_malloc_stats() -> None:
    """With TIMESHEET_BENCH_MALLOCSTATS=PATH, pymalloc's arena statistics after the load
    (how much of the RSS is fragmentation) go to PATH."""
    path = os.environ.get("TIMESHEET_BENCH_MALLOCSTATS")
    if not path:
        return
    with open(path, "w") as stats:
        saved = os.dup(2)
        os.dup2(stats.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def stop(profile: Any) -> None:
    if profile is not None:
        profile.disable()
        profile.dump_stats(str(profile.bench_path))


class GcPauses:
    """Full (generation 2) collections while it is open: how many, the longest in ms."""

    def __init__(self) -> None:
        self.count, self.worst_ms, self._started = 0, 0.0, 0.0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - self._started) * 1000)

    def close(self) -> None:
        gc.callbacks.remove(self._seen)


def frame() -> None:
    print("FRAME", flush=True)


def bare() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Static("one Static")

        def on_mount(self) -> None:
            self.call_after_refresh(self.shown)

        def shown(self) -> None:
            frame()
            self.exit()

    Bare().run(headless=True, size=SIZE)


def demo() -> None:
    """`timesheet --demo`'s path (tui.launch.run_app, with no config file), headless, until
    rows are drawn: the same store, and the app made with the same theme, theme folder,
    kept theme choice and profile facts."""
    from tui.config import UiSettings
    from tui.store.open import open_demo_store

    ui = UiSettings()
    with tempfile.TemporaryDirectory(prefix="timesheet-bench-demo-") as folder:
        store = open_demo_store(Path(folder), ui)
        from tui.app import TimesheetApp
        from tui.themes import user_themes_dir
        from tui.widgets.banner import ProfileFacts

        class Demo(TimesheetApp):
            CSS_PATH = app_css()

            def show_first_frame(self) -> None:
                beginning = not self.first_frame_shown
                super().show_first_frame()
                if beginning:
                    self._bench_when_rows()

            def _bench_when_rows(self) -> None:
                # Painting has begun: once the rows are in, the frame drawn next is the
                # first with rows, and a callback queued now runs just after it.
                if self.store.order:
                    self.call_after_refresh(self._bench_shown)
                else:
                    self.set_timer(0.005, self._bench_when_rows)

            def _bench_shown(self) -> None:
                frame()
                self.exit()

        Demo(
            store,
            keymap={},
            theme=ui.theme,
            theme_dir=user_themes_dir(),
            theme_choice=Path(folder) / "theme.toml",
            profile_facts=ProfileFacts(name="demo"),
            demo=True,
        ).run(headless=True, size=SIZE)


KEYS = ("down", "pagedown", "end")
PACED = "KEYS"
"""What a `--paced` grid child prints when it waits for keys on its stdin."""


async def grid(
    url: str, token: str, org: str, person: str, presses: int, *, paced: bool = False
) -> dict[str, Any]:
    from datetime import date, timedelta

    from tui.api.base import EntryQuery
    from tui.api.productive import ProductiveAdapter
    from tui.app import TimesheetApp
    from tui.store.cache import Cache
    from tui.store.journal import Journal
    from tui.store.store import Store
    from tui.widgets.entry_grid import EntryGrid

    folder = Path(tempfile.mkdtemp(prefix="timesheet-bench-grid-"))
    adapter = ProductiveAdapter(
        base_url=url, token=token, organization_id=org, person_id=person, rate_limited=False
    )
    store = Store(adapter, Journal(folder / "state.db"), cache=Cache(folder / "state.db"))
    today = date.today()
    everything = EntryQuery(today - timedelta(days=800), today + timedelta(days=1))
    ready, go, done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    class Bench(TimesheetApp):
        CSS_PATH = app_css()

        async def _load_week(self) -> None:
            # First the week, as the app starts: the app idle, its RSS measured then
            # (models and connections warmed up by a real load). Then the whole ledger
            # (every person, two years), once the benchmark says so.
            await self.store.load(self.week_query())
            ready.set()
            await go.wait()
            await self.store.load(everything)
            done.set()

    app = Bench(store)
    out: dict[str, Any] = {}
    async with app.run_test(headless=True, size=SIZE) as pilot:
        await asyncio.wait_for(ready.wait(), 60)
        await pilot.pause()
        settle_memory()
        out["rss_idle_mb"] = rss_mb()
        view = app.screen.query_one(EntryGrid)
        view.focus()
        await pilot.pause()

        async def answered_ms() -> float:
            """A key (down, or up at the last row) posted to the app as the terminal
            would, until the grid's cursor has moved (the loop's own clock, no pilot)."""
            before = view.cursor_row
            key = "up" if before >= len(store.order) - 1 else "down"
            started = time.perf_counter()
            app.simulate_key(key)
            while view.cursor_row == before:
                await asyncio.sleep(0.001)
            return (time.perf_counter() - started) * 1000

        profile = profiler("load")
        tracing = tracer()
        pauses = GcPauses()
        log_slow_callbacks()
        started, cpu = time.perf_counter(), time.process_time()
        go.set()
        streaming: list[float] = []
        while not done.is_set():  # a key now and then while rows stream in
            await asyncio.sleep(0.25)
            if not done.is_set() and len(store.order) > 2:
                streaming.append(await answered_ms())
        await pilot.pause()  # the frame after the last page
        out["load_s"] = time.perf_counter() - started
        out["load_cpu_s"] = time.process_time() - cpu
        pauses.close()
        out["full_gc_during_load"] = pauses.count
        out["full_gc_worst_ms"] = pauses.worst_ms
        stop(profile)
        out["loaded"] = len(store.order)
        out["streaming_key_ms"] = max(streaming) if streaming else await answered_ms()
        out["streaming_keys"] = len(streaming)
        # The cache is written in a thread after the load: its CPU would count in the key
        # figures below (process time), its JSON rows in the memory.
        cache_started = time.perf_counter()
        cache = store.cache
        assert cache is not None
        await asyncio.to_thread(cache.wait)
        out["cache_write_s"] = time.perf_counter() - cache_started
        settle_memory()
        out["rss_loaded_mb"] = rss_mb()
        write_malloc_stats()
        out["rss_peak_mb"] = rss_mb("VmHWM")
        from benchmarks.store import retained_bytes

        out["store_bytes_per_entry"] = retained_bytes(store) / max(1, len(store.order))
        if tracing:
            import tracemalloc

            top = tracemalloc.take_snapshot().statistics("lineno")[:25]
            tracemalloc.stop()
            out["allocated_at"] = [f"{s.size / 2**20:.1f} MB {s.traceback}" for s in top]
        profile = profiler("keys")
        full_collections = [0]

        def count(phase: str, info: dict[str, int]) -> None:
            if phase == "start" and info["generation"] == 2:
                full_collections[0] += 1

        gc.callbacks.append(count)

        async def cpu_ms(key: str) -> float:
            """CPU from posting `key` as the terminal would to the end of the frame that
            shows it: the app's own hooks, not the pilot's waits (whose polling is CPU
            of this process too)."""
            await pilot.pause()
            before_row = view.cursor_row
            shown = asyncio.Event()
            before = time.process_time()
            app.simulate_key(key)
            waited = 0
            while view.cursor_row == before_row:
                await asyncio.sleep(0.0005)
                waited += 1
                if waited > 20_000:  # 10 s: the key moved nothing
                    raise SystemExit(f"{key!r} did not move the cursor from row {before_row}")
            app.call_after_refresh(shown.set)
            await shown.wait()
            return (time.process_time() - before) * 1000

        async def sample(key: str) -> float:
            if key != "down":  # from the top, so that each press moves a page or to the end
                await pilot.press("home")
            return await cpu_ms(key)

        # From the top (the app opens on today's row, the last one when today has an
        # entry), then the cursor to the view's bottom: each down scrolls.
        await pilot.press("home")
        for _ in range(SIZE[1] + 5):
            await pilot.press("down")
        samples: dict[str, list[float]] = {key: [] for key in KEYS}
        if paced:
            # One press per line the parent sends, answered with its CPU, so that the
            # presses of two grids alternate: this machine's CPU runs by spells at two
            # speeds (the same loop in 9 or 14 ms), which then fall on both alike.
            print(PACED, flush=True)
            while (key := (await asyncio.to_thread(sys.stdin.readline)).strip()) in KEYS:
                samples[key].append(await sample(key))
                print(f"{samples[key][-1]:.4f}", flush=True)
        else:
            for key in KEYS:
                samples[key] = [await sample(key) for _ in range(presses)]
        for key, taken in samples.items():
            # The least: a press's CPU varies by half again from one to the next (a timer's
            # frame, a collection falling in it), and that only ever adds.
            out[f"{key}_ms"] = min(taken)
            out[f"{key}_median_ms"] = statistics.median(taken)

        stop(profile)
        profile = profiler("edit")
        # A cell edit on an editable row (a submitted or approved one opens no editor).
        editable = [
            i for i, entry_id in enumerate(store.order[:200]) if not store.records[entry_id].locked
        ]
        note = view.column_keys.index("note") if "note" in view.column_keys else 0
        edits = []
        for index in editable[: min(presses, 5)]:
            view.cursor_row = index
            view.cursor_column = note
            await pilot.pause()
            before = time.process_time()
            await pilot.press("enter")
            await pilot.press("x")
            await pilot.press("enter")
            edits.append((time.process_time() - before) * 1000)
        out["edit_ms"] = statistics.median(edits)
        stop(profile)
        out["staged"] = store.staged_count
        gc.callbacks.remove(count)
        out["full_gc_during_keys"] = full_collections[0]
        await app.workers.wait_for_complete()
    await adapter.aclose()
    return out


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "bare":
        bare()
    elif mode == "demo":
        gc.disable()  # as `timesheet` does (tui.__main__) until the app's first frame
        demo()
    elif mode == "grid":
        gc.disable()  # as `timesheet` does (tui.__main__) until the app runs
        url, token, org, person = argv[1:5]
        presses = int(argv[argv.index("--keys") + 1]) if "--keys" in argv else 20
        paced = "--paced" in argv
        out = asyncio.run(grid(url, token, org, person, presses, paced=paced))
        print(json.dumps(out), flush=True)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
