"""Review the staged diff, save it in bulk, and settle what the save could not do.

Phases: *review* (the diff; `y`/`enter` saves, `n`/`escape` closes and keeps everything
staged), *saving* (a progress bar; nothing cancels a save, `escape` included), *done*
(what was saved, what failed and why, and the conflicts). A conflict is an entry the
server changed since it was loaded: the list shows every difference (fields, approval
state), `m` / `t` keep mine / theirs for the conflict under the cursor, `M` / `T` for all of
them. Keeping mine stages my values again over the server's copy (ctrl+s saves them); it is
not offered where the server would refuse it (approved or deleted there meanwhile), and the
list says why. Keeping theirs drops my change. All server text is shown literally.

A new row that cannot be sent yet (no service, no time) is flagged in the review as
"incomplete: no service" before anything is sent; saving sends the rest and keeps it
staged (the other changes do not depend on it, and a half-filled row is a draft, as in a
spreadsheet). With nothing but incomplete rows there is nothing to send, and it says so.
"""

from __future__ import annotations

import enum
from collections import Counter
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from tui.actions import Scope, bindings
from tui.store.changes import ProblemKind
from tui.store.conflicts import differences, keep_mine_refusal
from tui.store.present import entry_text, one_line, plural, value_text
from tui.store.staging import Kind
from tui.store.values import format_minutes

if TYPE_CHECKING:
    from tui.store.changes import DiffItem, SaveReport
    from tui.store.records import EntryRecord
    from tui.store.store import Store

MAX_LINES = 500
"""Diff items listed; the rest are counted ("... and N more")."""

_MARK = {
    Kind.create: ("+", "$text-success"),
    Kind.update: ("~", "$text-warning"),
    Kind.delete: ("-", "$text-error"),
}
_KIND_WORD = {Kind.create: "new", Kind.update: "changed", Kind.delete: "deleted"}


class Phase(str, enum.Enum):
    review = "review"
    saving = "saving"
    done = "done"


def _plain(content: Any) -> str:
    return content.plain if isinstance(content, Content) else str(content)


class SaveReview(ModalScreen[None]):
    DEFAULT_CSS = """
    SaveReview {
        align: center middle;
    }
    SaveReview > #review {
        width: 90%;
        max-width: 120;
        height: 85%;
        border: thick $primary 80%;
        border-title-color: $text-primary;
        background: $surface;
        padding: 0 1;
    }
    SaveReview #review-title {
        text-style: bold;
        margin-bottom: 1;
    }
    SaveReview #review-lines, SaveReview #review-summary-box {
        height: 1fr;
        background: $surface;
    }
    SaveReview #review-diff {
        width: 1fr;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    SaveReview #review-summary {
        width: 1fr;
    }
    SaveReview #review-summary-box, SaveReview #review-progress,
    SaveReview #review-conflicts {
        display: none;
    }
    SaveReview.-saving #review-progress {
        display: block;
        margin: 1 0;
    }
    SaveReview.-done #review-lines {
        display: none;
    }
    SaveReview.-done #review-summary-box {
        display: block;
    }
    SaveReview.-conflicts #review-conflicts {
        display: block;
        height: 1fr;
        border: round $warning;
        border-title-color: $text-warning;
    }
    SaveReview #review-keys {
        color: $text-muted;
        height: 1;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings(Scope.save_review)

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.items: list[DiffItem] = store.diff()
        self.incomplete = [item for item in self.items if item.missing]
        """New rows that lack a service or a time: flagged, kept staged, never sent."""
        self.sendable = len(self.items) - len(self.incomplete)
        self.phase = Phase.review
        self.report: SaveReport | None = None
        self.error: str | None = None
        self.resolved: dict[str, str] = {}
        """conflict id → "mine" | "server", as the user chose here."""

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        with Vertical(id="review") as box:
            box.border_title = "Review staged changes"
            yield Static(Content(self.heading()), id="review-title")
            with VerticalScroll(id="review-lines"):
                yield Static(self.diff_content(), id="review-diff")
            yield ProgressBar(total=max(1, self.sendable), show_eta=False, id="review-progress")
            with VerticalScroll(id="review-summary-box"):
                yield Static(Content(""), id="review-summary")
            conflicts = OptionList(id="review-conflicts")
            conflicts.border_title = "Conflicts"
            yield conflicts
            yield Static(Content(""), id="review-keys")

    def on_mount(self) -> None:
        self.query_one("#review-lines").focus()
        self._show_keys()

    # ------------------------------------------------------------ for tests/UI

    @property
    def title_text(self) -> str:
        return _plain(self.query_one("#review-title", Static).content)

    @property
    def diff_text(self) -> str:
        return _plain(self.query_one("#review-diff", Static).content)

    @property
    def summary_text(self) -> str:
        return _plain(self.query_one("#review-summary", Static).content)

    @property
    def keys_text(self) -> str:
        return _plain(self.query_one("#review-keys", Static).content)

    # ---------------------------------------------------------------- wording

    def heading(self) -> str:
        if not self.items:
            return "Nothing to save."
        left = self._incomplete_words()
        if not self.sendable:
            them = "it" if len(self.incomplete) == 1 else "them"
            return f"Nothing can be saved yet: {left} (fill {them} in first)."
        counts = Counter(item.kind for item in self.items if not item.missing)
        parts = [f"{counts[kind]} {_KIND_WORD[kind]}" for kind in _KIND_WORD if counts[kind]]
        heading = f"Save {plural(self.sendable, 'change')}: {', '.join(parts)}"
        stays = "stays" if len(self.incomplete) == 1 else "stay"
        return f"{heading} · {left} {stays} staged" if left else heading

    def _incomplete_words(self) -> str:
        """`1 incomplete new row`, or "" when every new row can be sent."""
        count = len(self.incomplete)
        return plural(count, "incomplete new row") if count else ""

    def value_text(self, name: str, value: Any) -> str:
        """One field's value as a person reads it."""
        return value_text(self.store, name, value)

    def row_text(self, record: EntryRecord) -> str:
        """`Mon 16 · Design · 1:30 · note`."""
        return entry_text(self.store, record)

    def _field_label(self, name: str) -> str:
        return name.removesuffix("_id")

    def item_lines(self, item: DiffItem) -> list[Content]:
        mark, style = _MARK[item.kind]
        lines = [
            Content.assemble(
                (f"{mark} ", f"bold {style}"),
                (self.row_text(item.record), style if item.kind is not Kind.update else ""),
            )
        ]
        if item.missing:
            lines.append(
                Content.styled(
                    f"    incomplete: {', '.join(f'no {what}' for what in item.missing)}"
                    " — not sent, stays staged",
                    "$text-warning",
                )
            )
        running = self.store.live_timer_minutes()
        if item.kind is Kind.delete and running is not None and running[0] == item.record.id:
            lines.append(
                Content.styled(
                    "    its timer is running: deleting the entry drops the timer and its "
                    f"{format_minutes(running[1])} so far",
                    "$text-warning",
                )
            )
        if item.kind is Kind.update:
            for name, (old, new) in item.changes.items():
                lines.append(
                    Content.assemble(
                        (f"    {self._field_label(name)}: ", "dim"),
                        (self.value_text(name, old), "$text-error"),
                        " → ",
                        (self.value_text(name, new), "$text-success"),
                    )
                )
        return lines

    def diff_content(self) -> Content:
        if not self.items:
            return Content("Nothing is staged.")
        lines: list[Content] = []
        for item in self.items[:MAX_LINES]:
            lines.extend(self.item_lines(item))
        if len(self.items) > MAX_LINES:
            lines.append(
                Content.styled(f"... and {len(self.items) - MAX_LINES} more", "italic $text-muted")
            )
        return Content("\n").join(lines)

    def _describe(self, entry_id: str) -> str:
        return self.row_text(self.store.row(entry_id).record)

    def _show_keys(self) -> None:
        problem = self.store.status.problem
        if self.phase is Phase.review and self._signed_out() and problem and self.sendable:
            text = f"{problem.waiting} n/esc close"
        elif self.phase is Phase.review and problem is not None and self.sendable:
            text = "y/enter try to save (the server could not be reached) · n/esc close"
        elif self.phase is Phase.review:
            if not self.sendable:
                text = "esc close" + (" (fill in the new row, then save)" if self.items else "")
            elif self.incomplete:
                text = "y/enter save the rest · n/esc close (changes stay staged)"
            else:
                text = "y/enter save · n/esc close (changes stay staged)"
        elif self.phase is Phase.saving:
            text = "Saving… a save is never cancelled; this closes when it is done."
        else:
            text = "esc close"
            if self._open_conflicts():
                refusal = self._refusal(self._highlighted())
                mine = f"m: {refusal}" if refusal else "m keep mine"
                text = f"↑↓ choose · {mine} · t keep theirs · M / T: all of them · esc close"
        self.query_one("#review-keys", Static).update(Content(text))

    # ------------------------------------------------------------------ saving

    def action_confirm(self) -> None:
        if self.phase is Phase.review:
            if not self.sendable:  # nothing that can be sent: close, all stays staged
                self.dismiss(None)
                return
            if self._signed_out():  # it waits for a token that works
                self._show_keys()
                self.app.bell()
                return
            self.start_save()  # offline included: the server may be back by now
        elif self.phase is Phase.done:
            self.dismiss(None)

    def _signed_out(self) -> bool:
        problem = self.store.status.problem
        return problem is not None and problem.kind is ProblemKind.auth

    def action_cancel(self) -> None:
        if self.phase is Phase.saving:
            self.notify("The save goes on; this closes when it is done.")
            return
        self.dismiss(None)

    def start_save(self) -> None:
        self.phase = Phase.saving
        self.add_class("-saving")
        self.query_one(ProgressBar).update(total=max(1, self.sendable), progress=0)
        self._show_keys()
        # On the app, not this screen, and not exclusive: nothing may cancel a save.
        self.app.run_worker(
            self._save(), name="save", group="save", exclusive=False, exit_on_error=False
        )

    def _progress(self, done: int, total: int) -> None:
        if self.is_attached:
            self.query_one(ProgressBar).update(total=max(1, total), progress=done)

    async def _save(self) -> SaveReport:
        try:
            report = await self.store.save(self._progress)
        except Exception as error:  # the app's worker handler notifies it too
            self.error = str(error) or type(error).__name__
            self._finish(None)
            raise
        self._finish(report)
        return report

    def _finish(self, report: SaveReport | None) -> None:
        self.report = report
        self.phase = Phase.done
        if not self.is_attached:
            return
        self.remove_class("-saving")
        self.add_class("-done")
        self.query_one("#review-summary", Static).update(self.summary_content())
        conflicts = report.conflicts if report is not None else []
        if conflicts:
            option_list = self.query_one("#review-conflicts", OptionList)
            option_list.set_options(Option(self.conflict_prompt(i), id=i) for i in conflicts)
            option_list.highlighted = 0
            self.add_class("-conflicts")
            option_list.focus()
        else:
            self.query_one("#review-summary-box").focus()
        self._show_keys()

    def summary_content(self) -> Content:
        report = self.report
        lines: list[Content] = []
        if report is None:
            lines.append(
                Content.styled(
                    f"The save stopped: {one_line(self.error or '')}", "bold $text-error"
                )
            )
            lines.append(Content("What was not saved stays staged; ctrl+s tries again."))
            return Content("\n").join(lines)
        failed = {i: m for i, m in report.failed.items() if i not in report.incomplete}
        head = f"Saved {report.saved}"
        if failed:
            head += f", failed {len(failed)}:"
        else:
            head += "."
        lines.append(Content.styled(head, "bold $text-error" if failed else "bold $text-success"))
        for entry_id, reason in failed.items():
            lines.append(
                Content.assemble(
                    ("  ✗ ", "$text-error"),
                    self._describe(entry_id),
                    (" — ", "dim"),
                    (one_line(reason), "$text-error"),
                )
            )
        if failed:
            lines.append(
                Content.styled("Failed rows stay staged; fix them and save again.", "$text-muted")
            )
        for entry_id, missing in report.incomplete.items():
            lines.append(
                Content.assemble(
                    ("  + ", "$text-warning"),
                    self._describe(entry_id),
                    (" — ", "dim"),
                    (
                        f"incomplete: {', '.join(f'no {what}' for what in missing)};"
                        " not sent, stays staged",
                        "$text-warning",
                    ),
                )
            )
        if report.unknown:
            lines.append(
                Content.styled(
                    f"{plural(len(report.unknown), 'change')} waiting for the server to confirm "
                    "(its answer was lost): marked ? and read again shortly; nothing is resent "
                    "until the server is known not to have it.",
                    "bold $text-warning",
                )
            )
        if report.conflicts:
            count = len(report.conflicts)
            lines.append(
                Content.styled(
                    f"{plural(count, 'conflict')}: changed on the server since "
                    "they were loaded, so not saved. Choose below which version to keep.",
                    "bold $text-warning",
                )
            )
        return Content("\n").join(lines)

    # --------------------------------------------------------------- conflicts

    def conflict_prompt(self, entry_id: str) -> Content:
        store = self.store
        chosen = self.resolved.get(entry_id)
        row = store.row(entry_id)
        mine = row.record
        if chosen is not None:
            what = (
                "kept mine: staged again, ctrl+s saves it"
                if chosen == "mine"
                else "kept theirs: my change dropped"
            )
            return Content.assemble(
                ("✓ ", "$text-success"), self.row_text(mine), (f" — {what}", "$text-muted")
            )
        server = store.conflicts.get(entry_id)
        staged = store.staging.get(entry_id)
        lines = [Content.assemble(("! ", "bold $text-warning"), self.row_text(mine))]
        if server is None:
            lines.append(
                Content.assemble(("    theirs: ", "dim"), ("deleted on the server", "$text-error"))
            )
        if staged is not None and staged.kind is Kind.delete:
            lines.append(Content.assemble(("    mine: ", "dim"), ("delete it", "$text-error")))
            if server is not None:
                lines.append(Content.assemble(("    theirs: ", "dim"), self.row_text(server)))
        elif staged is not None:
            for name, value in staged.values.items():
                if server is None:
                    break
                lines.append(
                    Content.assemble(
                        (f"    {self._field_label(name)}: mine ", "dim"),
                        (self.value_text(name, value), "$text-success"),
                        (" · theirs ", "dim"),
                        (self.value_text(name, getattr(server, name)), "$text-warning"),
                    )
                )
        if server is not None:
            # What else differs: fields I did not touch, the approval state, invoicing.
            mine_fields = staged.values if staged is not None else {}
            others = [
                part
                for key, part in differences(row, self.value_text).items()
                if key not in mine_fields
            ]
            if others:
                lines.append(
                    Content.assemble(
                        ("    also on the server: ", "dim"), ("; ".join(others), "$text-warning")
                    )
                )
        refusal = keep_mine_refusal(row)
        if refusal is not None:
            lines.append(
                Content.assemble(("    keep mine: not offered — ", "dim"), (refusal, "$text-error"))
            )
        return Content("\n").join(lines)

    def _highlighted(self) -> str | None:
        if not self.is_mounted:
            return None
        option = self.query_one("#review-conflicts", OptionList).highlighted_option
        return option.id if option is not None else None

    def _refusal(self, entry_id: str | None) -> str | None:
        """Why "keep mine" cannot succeed for this open conflict (None: it can)."""
        if entry_id is None or entry_id in self.resolved or entry_id not in self.store.conflicts:
            return None
        return keep_mine_refusal(self.store.row(entry_id))

    def _open_conflicts(self) -> list[str]:
        if self.report is None:
            return []
        return [i for i in self.report.conflicts if i not in self.resolved]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("keep", "keep_all"):
            return self.phase is Phase.done and bool(self._open_conflicts())
        return True

    def action_keep(self, keep: str) -> None:
        entry_id = self._highlighted()
        if entry_id is None or entry_id in self.resolved:
            self.app.bell()
            return
        refusal = self._refusal(entry_id) if keep == "mine" else None
        if refusal is not None:
            self.notify(f"Yours cannot be kept: {refusal}.", severity="warning")
            return
        self.resolve([entry_id], keep)

    def action_keep_all(self, keep: str) -> None:
        ids = self._open_conflicts()
        if keep == "mine":
            refused = [i for i in ids if self._refusal(i) is not None]
            ids = [i for i in ids if i not in refused]
            if refused:
                self.notify(
                    f"{plural(len(refused), 'conflict')} kept open: yours cannot be kept "
                    "there (the list says why); t keeps theirs.",
                    severity="warning",
                )
        if ids:
            self.resolve(ids, keep)

    def resolve(self, ids: list[str], keep: str) -> None:
        option_list = self.query_one("#review-conflicts", OptionList)
        for entry_id in ids:
            self.store.resolve_conflict(entry_id, keep=keep)
            self.resolved[entry_id] = keep
            option_list.replace_option_prompt(entry_id, self.conflict_prompt(entry_id))
        left = self._open_conflicts()
        if left:
            option_list.highlighted = option_list.get_option_index(left[0])
        self.refresh_bindings()
        self._show_keys()

    @on(OptionList.OptionHighlighted, "#review-conflicts")
    def conflict_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._show_keys()  # "keep mine" is offered only where it can succeed

    @on(OptionList.OptionSelected, "#review-conflicts")
    def conflict_entered(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_confirm()  # enter closes here as everywhere in the dialog
