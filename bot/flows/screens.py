"""How the engine shows a step: its options (paged when long), the buttons carrying
`f|<nonce>|<step index>|<value>`, and the option values the screen listed
(see bot.flows.engine)."""

from __future__ import annotations

from bot.flows.buttons import CALLBACK_PREFIX
from bot.flows.matching import CANCEL_VALUE
from bot.flows.steps import Flow, FlowContext, Option, Step, StepKind
from bot.models import FlowState
from bot.paging import page_line, page_of, paging_row
from bot.ui import Button, Keyboard, Screen

SHOWN = "~shown"  # flow-state params key: the option values the last screen listed, in order
PAGE = "~page"  # flow-state params key: the page of a paged step's options on show
PAGE_PREFIX = "~p"  # the value of a ◀ ▶ option: "~p3" shows page 3 (0-based)
# flow-state params key, while steps are asked again from a summary (Step.revisit):
# {"to": the summary step, "before": every answer as it was when the summary was left}
REVISIT = "~revisit"
BACK_VALUE = "~b"  # the value of "↩️ Back", offered while steps are asked again


def step_options(step: Step, ctx: FlowContext) -> list[Option]:
    """Returns the options of a step (a confirmation's are ✅ and ✖️)."""
    if step.kind == StepKind.CONFIRM:
        return [
            Option("yes", ctx.t.gettext("✅ Confirm")),
            Option("no", ctx.t.gettext("✖️ Exit")),
        ]
    return step.options(ctx) if step.options else []


def paged(
    step: Step, state: FlowState, ctx: FlowContext, options: list[Option]
) -> tuple[list[Option], list[Option], str]:
    """Returns the options a paged step shows now, its ◀ ▶ options and "Page 2/5"."""
    if step.page_size is None or len(options) <= step.page_size:
        return options, [], ""
    saved = state.params.get(PAGE)
    number = int(saved["n"]) if isinstance(saved, dict) and saved["step"] == step.name else 0
    page = page_of(options, number, step.page_size)
    nav = [Option(f"{PAGE_PREFIX}{b.data}", b.text) for b in paging_row(ctx.t, page, str)]
    return list(page.items), nav, page_line(ctx.t, page)


def back_options(state: FlowState, ctx: FlowContext) -> list[Option]:
    """Returns "↩️ Back" while steps are asked again from a summary; else nothing."""
    if REVISIT not in state.params:
        return []
    return [Option(BACK_VALUE, ctx.t.gettext("↩️ Back"))]


def flow_screen(flow: Flow, state: FlowState, ctx: FlowContext) -> Screen:
    """Returns the question of the current step, and keeps what it listed in the state."""
    position = flow.index(state.step)
    step = flow.steps[position]
    prefix = f"{CALLBACK_PREFIX}|{state.nonce}|{position}|"
    keyboard: Keyboard = []
    options, nav, page_text = paged(step, state, ctx, step_options(step, ctx))
    row: list[Button] = []
    # On a NUMBER step a typed number is the answer: its buttons are picked by their words.
    word = step.kind == StepKind.NUMBER
    for option in options:
        row.append(Button(option.label, data=prefix + option.value, word=word))
        if len(row) >= (2 if step.kind == StepKind.CONFIRM else step.columns):
            keyboard.append(row)
            row = []
    if row:
        keyboard.append(row)
    if nav:
        keyboard.append([Button(o.label, data=prefix + o.value, word=word) for o in nav])
    back = back_options(state, ctx) if step.kind != StepKind.CONFIRM else []
    last = [Button(o.label, data=prefix + o.value, word=word) for o in back]
    if step.kind != StepKind.CONFIRM:
        last.append(Button(ctx.t.gettext("✖️ Exit"), data=prefix + CANCEL_VALUE, word=word))
    if last:
        keyboard.append(last)
    # Kept so that a typed number means what this screen listed, whatever changes later.
    state.params = {
        **state.params,
        SHOWN: {"step": step.name, "values": [o.value for o in options + nav + back]},
    }
    ctx.session.add(state)
    text = step.prompt(ctx)
    return Screen(text=f"{text}\n{page_text}" if page_text else text, keyboard=keyboard)
