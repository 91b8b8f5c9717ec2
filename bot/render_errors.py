"""Domain errors and refused buttons → localized explanations (what went wrong, what to do)."""

from __future__ import annotations

from datetime import date

from bot.i18n import N_, Translator
from bot.services.errors import DomainError
from bot.text import escape

ERROR_MESSAGES = {
    "ambiguous_choice": N_(
        "“{typed}” matches several choices: {options} — please type the number."
    ),
    "choice_out_of_range": N_(
        "That number is not on the list: please type a number from {low} to {high}."
    ),
    "nothing_to_choose": N_(
        "There is nothing to choose right now. Send /trogiup to see what you can do."
    ),
    "not_allowed": N_("Sorry, comrade, you are not allowed to do that."),
    "committee_only": N_(
        "Only the cell committee (bí thư, phó bí thư, chi ủy viên) can use this command."
    ),
    "secretary_only": N_("Only the secretary or the deputy secretary can do this."),
    "not_in_group_cell": N_(
        "Comrade, you are not on this cell's roster. To join, ask the cell secretary for a "
        "personal invite link; then send me /start with it in a private chat."
    ),
    "not_in_cell": N_(
        "Comrade, you are not in any cell yet. Ask your cell secretary for an invite link."
    ),
    "not_found": N_("That could not be found. It may have been removed."),
    "member_not_found": N_("That roster entry no longer exists. Open /dangvien again."),
    "org_not_found": N_("That cell no longer exists."),
    "bad_setup_code": N_(
        "This setup code is not valid. Check that it was copied whole, or ask the operator "
        "for a new one."
    ),
    "setup_code_used": N_(
        "This setup code has already been used. Ask the operator for a new one."
    ),
    "setup_code_expired": N_("This setup code has expired. Ask the operator for a new one."),
    "group_already_linked": N_("This group is already linked to {name}."),
    "setup_needs_code": N_("Please send the command with the code: /thietlap CODE"),
    "setup_not_admin": N_("Only an administrator of this group can link it to a cell."),
    "setup_private": N_(
        "/thietlap works in the cell's group chat. Add me to the group and send it there."
    ),
    "bad_invite": N_("This invite link is not valid. Ask your cell secretary for a new one."),
    "invite_used": N_(
        "This invite link has already been used. Ask your cell secretary for a new one."
    ),
    "invite_expired": N_("This invite link has expired. Ask your cell secretary for a new one."),
    "already_member": N_("Comrade, you are already a member of this cell."),
    "already_joined": N_("{name} has already joined; no invite link is needed."),
    "join_pending": N_("Your request to join is already waiting for the secretary's decision."),
    "join_already_decided": N_("This request has already been decided."),
    "join_request_not_found": N_("This request no longer exists."),
    "secretary_exists": N_("A cell has one secretary. Change the current secretary's role first."),
    "roster_secretaries": N_(
        "A cell has one secretary, but lines {lines} of the file each name one. Keep one "
        "secretary in the file and import it again."
    ),
    "roster_secretary_exists": N_(
        "Line {line} of the file names a secretary, but the cell already has one: {name}. "
        "Change that line's role, or change the current secretary's role first."
    ),
    "cannot_change_self": N_("You cannot change your own role or remove yourself."),
    "names_empty": N_("Please type at least one name, one per line."),
    "names_too_many": N_("At most {limit} names at a time, please."),
    "name_empty": N_("Line {line} is empty."),
    "name_too_long": N_("The name on line {line} is longer than 120 characters."),
    "name_markup": N_(
        "The name on line {line} contains characters a name cannot have (&lt; &gt; &amp; …)."
    ),
    "name_control": N_("The name on line {line} contains invisible control characters."),
    "name_duplicate": N_("The name on line {line} appears twice."),
    "typed_unknown_word": N_(
        "Line {line}: I do not know “{word}”. After the name you may write a role (đảng viên, "
        "chi ủy viên, phó bí thư) and a status (chính thức, dự bị), e.g. “Nguyễn Thị Hồng "
        "Nhung - phó bí thư - dự bị”."
    ),
    "rename_empty": N_("Please type the new full name (họ và tên)."),
    "rename_too_long": N_("That name is longer than 120 characters."),
    "rename_markup": N_("A name cannot have the characters &lt; &gt; &amp; …"),
    "rename_control": N_("That name contains invisible control characters."),
    "rename_taken": N_(
        "{name} is already on the roster. For someone else of the same name, add what tells "
        "them apart (e.g. “Nguyễn Văn An (1985)”)."
    ),
    "typed_two_roles": N_("Line {line} gives two roles: please keep one."),
    "typed_two_statuses": N_("Line {line} gives two statuses: please keep one."),
    "typed_secretary": N_(
        "Line {line}: a cell has one secretary, and /moi does not add one. Give this comrade "
        "another role here; roles can be changed later in /dangvien."
    ),
    "bad_locale": N_("That language is not available."),
    "no_account_on_channel": N_(
        "You have not written to me on {channel} yet, so I cannot send your notifications "
        "there. Message me on {channel} first."
    ),
    "account_has_memberships": N_(
        "This {channel} account already belongs to a member of a cell, so it cannot be joined "
        "to another person. Please ask your cell secretary for help."
    ),
    "group_only_here": N_("Please use this command in a private chat with me."),
    "no_unjoined": N_("Everyone on the roster has joined; there is nobody to invite."),
    "not_in_this_cell": N_("Comrade, you are not a member of this meeting's cell."),
    "committee_meeting": N_(
        "This is a committee meeting (họp chi ủy): only the secretary, the deputy and the "
        "committee members take part."
    ),
    "meeting_not_found": N_("That meeting no longer exists."),
    "roll_call_closed": N_("The roll call of this meeting is already closed."),
    "roll_call_not_open": N_("The roll call opens one hour before the meeting starts."),
    "roll_call_unmarked": N_(
        "{n} comrades are not marked yet. Mark everyone before closing the roll call."
    ),
    "conclusion_empty": N_("Please type the conclusion."),
    "conclusion_too_long": N_("The conclusion is too long: at most {limit} characters."),
    "tasks_too_many": N_("At most {limit} tasks, please."),
    "task_unreadable": N_("I could not read line {line}. Write it as “Name: task — due date”."),
    "task_owner_unknown": N_("Line {line}: nobody on the roster is called “{name}”."),
    "task_bad_date": N_("Line {line}: I could not understand the due date (e.g. 15/12)."),
    "meeting_not_held": N_("The meeting has not taken place yet."),
    "already_concluded": N_("The conclusion of this meeting has already been recorded."),
    "file_type": N_(
        "I can pass on PDF, Word, Excel, PowerPoint and ODT documents and JPG or PNG images. "
        "Please send the file in one of those formats."
    ),
    "file_too_large": N_("The file is too large: at most {limit} MB."),
    "no_meeting_for_document": N_(
        "There is no upcoming meeting to attach this to. Schedule one with /taohop first."
    ),
    "document_not_found": N_("That document no longer exists."),
    "check_in_over": N_("The meeting is over; the committee takes the roll call now."),
    "meeting_in_past": N_("That time has already passed. Please choose a later one."),
    "meeting_too_far": N_("That is more than two years away. Please choose an earlier date."),
    "meeting_cancelled": N_("This meeting has been cancelled."),
    "meeting_started": N_("This meeting has already started; answers and changes are closed."),
    "notice_outdated": N_(
        "This meeting has changed since that notice: answer on the newest notice (or /lichhop)."
    ),
    "meeting_changed": N_(
        "Another committee member changed this meeting a moment ago. Open /lichhop again."
    ),
    "topic_empty": N_("Please type the theme of the meeting."),
    "topic_too_long": N_("The topic is too long: at most {limit} characters."),
    "place_empty": N_("Please type the place or the link."),
    "place_too_long": N_("The place is too long: at most {limit} characters."),
    "agenda_too_long": N_("At most {limit} agenda items, please."),
    "agenda_line_too_long": N_("Each agenda item can have at most {limit} characters."),
    "reason_empty": N_("Please give a reason."),
    "reason_too_long": N_("The reason is too long: at most {limit} characters."),
    "bad_offsets": N_(
        "I could not read that. Type for example “3 days, 1 day, 2 hours” (up to 30 days before)."
    ),
    "too_many_offsets": N_("At most {limit} reminders, please."),
    # The forms add examples computed from today (bot.date_examples.date_error_text).
    "date_empty": N_("Please type a day."),
    "date_unknown": N_("I could not understand that day."),
    "date_no_such_day": N_("That day does not exist in the calendar."),
    "date_bad_time": N_("That time does not exist. Type for example 19:30 or 7:30 pm."),
    "date_past": N_("That day has already passed. Please choose a later one."),
    "date_too_far": N_("That is more than two years away. Please choose an earlier date."),
    "date_too_long": N_("That is too long for a date."),
    "date_weekday_mismatch": N_(
        "That weekday does not match the date. Check the calendar and type it again."
    ),
    # Commitments and campaigns
    "answer_empty": N_("Please type something: an empty answer cannot be saved."),
    "text_too_long": N_("That is too long: at most {limit} characters. Please shorten it."),
    "campaign_closed": N_("This registration has been closed."),
    "campaign_exists": N_("A registration of this kind for {year} is already open in this cell."),
    "campaign_not_found": N_("That registration no longer exists."),
    "campaign_theme_required": N_("Please type the theme of the emulation movement."),
    "cell_not_found": N_("That cell no longer exists."),
    "comment_empty": N_("Please type a comment, so that the comrade knows what to change."),
    "commitment_already_reviewed": N_(
        "This commitment has already been approved or returned by another committee member. "
        "Nothing was changed."
    ),
    "commitment_not_editable": N_(
        "This commitment is approved or under review, so it cannot be changed now. To change "
        "an approved one, open /camket and tap “Edit (makes a new version)”."
    ),
    "commitment_not_found": N_("That commitment no longer exists."),
    "commitment_under_review": N_(
        "Your commitment is waiting for the committee's review; you can change it once it is "
        "approved or returned."
    ),
    "deadline_after_period": N_("The deadline {day} is after the end of the period ({end})."),
    "deadline_outside_period": N_(
        "The deadline must fall within the period, from {start} to {end}."
    ),
    "deadline_past": N_("The deadline {day} has already passed."),
    "item_not_found": N_("That task no longer exists. Open /camket again."),
    "not_expected_to_register": N_(
        "Comrade, you are not expected to register: commitments are written by full and "
        "probationary members, not by members exempt from activities or attached to another "
        "cell."
    ),
    "not_in_campaign_cell": N_("Comrade, you are not a member of this registration's cell."),
    "not_your_commitment": N_("This commitment belongs to another comrade."),
    "period_reversed": N_("The period ends before it starts."),
    "round_closed": N_(
        "This progress report round has closed: nothing was changed. Send /tiendo for the "
        "current one."
    ),
    "round_not_found": N_("That progress report round no longer exists. Send /tiendo."),
    "nothing_to_check_in": N_(
        "Comrade, you have no approved task to report on: progress is reported on an approved "
        "commitment."
    ),
    "value_not_number": N_("Type the number reached in digits, for example “8” (or tap Skip)."),
    "value_negative": N_("The number reached cannot be negative."),
    "section_not_found": N_("That section no longer exists. Open /camket again."),
    "section_not_items": N_("That section is not a list of tasks. Open /camket again."),
    "section_not_text": N_("That section is not a text. Open /camket again."),
    "sections_missing": N_(
        "It cannot be submitted yet; these sections are still empty: {sections}."
    ),
    "target_negative": N_("The target cannot be negative. Type for example “12 buổi” or “100%”."),
    "target_not_number": N_(
        "The target must begin with a number in digits, for example “12 buổi” or “100%” "
        "(or tap Skip)."
    ),
    "target_too_large": N_("That target is too large: at most {limit}."),
    "too_many_items": N_("A section holds at most {limit} tasks."),
    # Sơ kết / tổng kết and commendations.
    "self_review_not_found": N_("That self-review no longer exists. Send /camket."),
    "not_your_self_review": N_("This self-review belongs to another comrade."),
    "self_review_submitted": N_("This self-review has already been submitted."),
    "self_review_empty": N_("Please type your self-assessment."),
    "self_review_incomplete": N_(
        "Before submitting, write your self-assessment and choose the rating level you propose."
    ),
    "member_name_empty": N_("Please type the comrade's name."),
    "member_name_unknown": N_("Nobody expected to register is called “{name}”. Check the name."),
    "member_name_ambiguous": N_(
        "Several comrades fit: {names}. Type more of the name to tell them apart."
    ),
    "commitment_item_not_found": N_("That task is not in the comrade's approved commitment."),
    "bad_timezone": N_(
        "“{timezone}” is not a time zone I know. Type its full name, e.g. Asia/Ho_Chi_Minh."
    ),
    "digest_time_missing": N_(
        "{time} does not exist in {timezone} on {day} (the clocks move forward over it), so "
        "the digest would be moved. Choose another time, e.g. 07:30."
    ),
    "bad_period": N_(
        "“{period}” is not a period I can read. Type e.g. 2027-01 (a month), 2027-Q1 (a "
        "quarter), 2027-H1 (six months) or 2027 (a year)."
    ),
    "period_future": N_("The period {period} has not begun yet, so there is nothing to report."),
    "period_no_meetings": N_(
        "The cell held no meeting in {period}, so there is nothing to report. Choose another "
        "period."
    ),
    "roll_call_not_closed": N_("The roll call of this meeting is still open: /diemdanh."),
    "reason_unknown": N_("That reason is not on the list: choose one, or type the reason."),
    "evidence_unreadable": N_("I could not keep that file. Please send it again, or choose Skip."),
    "roll_call_reopen_over": N_(
        "A roll call can be reopened until the end of the day after the meeting; that time "
        "has passed. Record the correction in the minutes."
    ),
    "not_concluded": N_("This meeting has no conclusion yet: record it first."),
    "bad_duration": N_("A meeting lasts from {least} minutes to {most} hours."),
}


def error_text(t: Translator, error: DomainError) -> str:
    """Returns the localized message for a domain error."""
    template = ERROR_MESSAGES.get(error.code)
    if template is None:
        return t.gettext("Something went wrong. Nothing was changed; please try again.")
    params = {
        k: t.date_text(v) if isinstance(v, date) else escape(str(v))
        for k, v in error.params.items()
    }
    return t.gettext(template, **params)


def stale_button(t: Translator, reason: str, command: str | None = None) -> str:
    """Returns the short answer to an outdated or foreign button (≤ 200 characters), naming
    the command that shows its subject again when it is known. `reason`: "not_yours",
    "invalid" (forged, or naming what no longer exists), "stale" (an earlier question of the
    form still open), "closed" (the form is closed)."""
    if reason == "not_yours":
        return t.gettext("This button belongs to another comrade's form.")
    if reason == "invalid":
        if command is None:
            return t.gettext("This button is no longer valid.")
        return t.gettext(
            "This button is no longer valid. Send /{command} to see it again.", command=command
        )
    if reason == "closed":
        if command is None:
            return t.gettext(
                "This button is out of date: its form is closed. Send /trogiup to see the "
                "commands."
            )
        return t.gettext(
            "This button is out of date: its form is closed. Send /{command} to start again.",
            command=command,
        )
    # "stale": a button of an earlier question of the form still open.
    if command is None:
        return t.gettext("This button is out of date. Please answer the latest question.")
    return t.gettext(
        "This button is out of date. Answer the latest question, or send /{command} to start "
        "again.",
        command=command,
    )
