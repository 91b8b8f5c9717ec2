"""Study campaigns: the committee opens one from /thongbao and exports the reflections; a
member submits or changes their reflection (typed, or a file on Telegram)."""

from __future__ import annotations

from bot.actions.core import Reply, Turn
from bot.actions.forms import hand_file_to_form, open_form, outcome_reply
from bot.actions.registry import ActionRegistry
from bot.actions.roster import private_only
from bot.flows.study import DOCUMENT_STEPS, STUDY_FLOW, SUBMIT_FLOW
from bot.models import Organisation, ReflectionKind
from bot.services import announcements, campaigns, study
from bot.services.documents import IncomingFile
from bot.services.errors import Conflict
from bot.text import escape
from bot.ui import FileOut, Screen


def new_study(turn: Turn) -> Reply:
    """Opens the form that sends study material to the cell."""
    private_only(turn)
    return outcome_reply(open_form(turn, STUDY_FLOW))


def write_reflection(turn: Turn, announcement_id: int) -> Reply:
    """Opens the reflection form (refused after the deadline or for a cancelled campaign)."""
    private_only(turn)
    study.for_submission(
        session=turn.session, announcement_id=announcement_id, person=turn.person, now=turn.now
    )
    return outcome_reply(open_form(turn, SUBMIT_FLOW, announcement_id=announcement_id))


def export_reflections(turn: Turn, announcement_id: int) -> Reply:
    """Sends the committee the reflections as DOCX and the participation as XLSX (where the
    channel takes files; on Zalo, says how to get them)."""
    private_only(turn)
    found = announcements.for_committee(
        session=turn.session, announcement_id=announcement_id, person=turn.person
    )
    study.require_study(found)
    if found.reflection == ReflectionKind.NONE:
        raise Conflict("study_no_reflection")
    org = announcements.org_of(turn.session, found)
    if not turn.channel.file_upload:
        text = turn.t.gettext(
            "Zalo cannot carry files from me. Open /thongbao on Telegram for the reflections, "
            "or ask the operator: chibot report study “{cell}” {id} --format docx",
            cell=escape(org.name),
            id=str(found.id),
        )
        return Reply(screens=[Screen(text)])
    from bot.reports.study_docx import reflections_docx  # loaded only when asked for
    from bot.reports.study_xlsx import participation_xlsx

    participation = study.participation(session=turn.session, announcement=found)
    parent = turn.session.get(Organisation, org.parent_id) if org.parent_id else None
    today = campaigns.local_today(org, turn.now)
    name = f"study-{found.id}"
    caption = turn.t.gettext(
        "Reflections: {submitted} of {audience} comrades",
        submitted=participation.submitted,
        audience=participation.audience,
    )
    files = [
        FileOut(
            f"{name}.docx",
            content=reflections_docx(turn.t, participation, org, parent, today),
            caption=caption,
        ),
        FileOut(
            f"{name}.xlsx", content=participation_xlsx(turn.t, participation, org), caption=caption
        ),
    ]
    return Reply(files=files)


def file_received(turn: Turn, incoming: IncomingFile) -> Reply | None:
    """Takes a file sent while a study form asks for a document or the reflection."""
    engine = turn.core.flows
    state = engine.state(turn.session, turn.key)
    if state is None:
        return None
    asked = (state.flow == STUDY_FLOW and state.step in DOCUMENT_STEPS) or (
        state.flow == SUBMIT_FLOW and state.step == "reflection"
    )
    if not asked:
        return None
    return hand_file_to_form(turn, state, incoming)


def register(actions: ActionRegistry) -> None:
    """Adds this module's choices and the file hook."""
    actions.choice("sn", new_study)
    actions.choice("sw", write_reflection, int)
    actions.choice("sx", export_reflections, int)
    actions.again("thongbao", "sn", "sx")
    actions.file_hook(file_received)
