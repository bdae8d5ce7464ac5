"""Swedish and English labels of the web UI, and which language a request gets."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

__all__ = ["LANGUAGES", "LANG_COOKIE", "choose_language", "translator"]

LANG_COOKIE = "samverkan_lang"
LANGUAGES = ("sv", "en")

# key: (Swedish, English). Swedish first: it is the staff's working language.
LABELS: dict[str, tuple[str, str]] = {
    "app": ("Nationella vårdkompetensrådet", "National council"),
    "login": ("Logga in", "Log in"),
    "logout": ("Logga ut", "Log out"),
    "username": ("Användarnamn", "Username"),
    "password": ("Lösenord", "Password"),
    "login_failed": ("Fel användarnamn eller lösenord", "Wrong username or password"),
    "login_locked": (
        "För många misslyckade försök; kontot är låst till",
        "Too many failed attempts; the account is locked until",
    ),
    "queue": ("Ärendekö", "Queue"),
    "dashboard": ("Översikt", "Dashboard"),
    "assessments": ("Bedömningar", "Assessments"),
    "consultations": ("Samråd", "Consultations"),
    "account": ("Mitt konto", "My account"),
    "staff": ("Personal", "Staff"),
    "language": ("Språk", "Language"),
    "filter": ("Filtrera", "Filter"),
    "clear": ("Rensa", "Clear"),
    "search": ("Sök", "Search"),
    "all": ("Alla", "All"),
    "state": ("Status", "State"),
    "region": ("Region", "Region"),
    "area": ("Område", "Area"),
    "areas": ("Områden", "Areas"),
    "priority": ("Prioritet", "Priority"),
    "urgency": ("Brådska", "Urgency"),
    "assignee": ("Handläggare", "Assignee"),
    "overdue": ("Försenad", "Overdue"),
    "overdue_only": ("Endast försenade", "Overdue only"),
    "title": ("Rubrik", "Title"),
    "summary": ("Sammanfattning", "Summary"),
    "received": ("Inkom", "Received"),
    "answer_by": ("Svar senast", "Answer by"),
    "time_left": ("Tid kvar", "Time left"),
    "overdue_by": ("Försenad med", "Overdue by"),
    "no_issues": ("Inga ärenden matchar filtret.", "No issues match the filter."),
    "next_page": ("Nästa sida", "Next page"),
    "issue": ("Ärende", "Issue"),
    "reason_not_regional": ("Varför inte regionalt", "Why not regional"),
    "measures_tried": ("Prövade åtgärder", "Measures tried"),
    "requested_outcome": ("Önskat resultat", "Requested outcome"),
    "timeline": ("Tidslinje", "Timeline"),
    "audit_trail": ("Händelselogg", "Audit trail"),
    "from_region": ("Från regionen", "From the region"),
    "to_region": ("Till regionen", "To the region"),
    "information_requests": ("Begäran om information", "Information requests"),
    "request_information": ("Begär information", "Request information"),
    "question": ("Fråga", "Question"),
    "due_at": ("Svar senast", "Due"),
    "answer": ("Svar", "Answer"),
    "not_answered": ("Ej besvarad", "Not answered"),
    "send": ("Skicka", "Send"),
    "decline": ("Avvisa", "Decline"),
    "guidance": ("Vägledning", "Guidance"),
    "close": ("Avsluta", "Close"),
    "resolution": ("Beslut", "Resolution"),
    "publish_assessment": ("Publicera bedömning", "Publish assessment"),
    "new_assessment": ("Ny bedömning", "New assessment"),
    "recommendation": ("Rekommendation", "Recommendation"),
    "regions": ("Regioner", "Regions"),
    "all_regions": ("Alla regioner", "All regions"),
    "answers_issues": ("Besvarar ärenden", "Answers issues"),
    "publish": ("Publicera", "Publish"),
    "published": ("Publicerad", "Published"),
    "version": ("Version", "Version"),
    "acknowledged_by": ("Bekräftad av", "Acknowledged by"),
    "who": ("Vem", "Who"),
    "when": ("När", "When"),
    "from": ("Från", "From"),
    "to": ("Till", "To"),
    "why": ("Varför", "Why"),
    "not_allowed": ("Du saknar behörighet", "You are not allowed to do this"),
    "needs_role": ("Kräver rollen", "Needs the role"),
    "your_role": ("Din roll", "Your role"),
    "role": ("Roll", "Role"),
    "issues_per_region": ("Ärenden per region", "Issues per region"),
    "issues_per_area": ("Ärenden per område", "Issues per area"),
    "overdue_count": ("Försenade ärenden", "Overdue issues"),
    "open_issues": ("Öppna ärenden", "Open issues"),
    "median_answer": ("Mediantid till svar", "Median time to answer"),
    "days": ("dagar", "days"),
    "hours": ("timmar", "hours"),
    "none_yet": ("Inga ännu", "None yet"),
    "api_tokens": ("API-nycklar", "API tokens"),
    "token_name": ("Namn på nyckeln", "Token name"),
    "create_token": ("Skapa nyckel", "Create token"),
    "token_once": (
        "Spara nyckeln nu: den visas bara en gång.",
        "Store the token now: it is shown only once.",
    ),
    "revoke": ("Återkalla", "Revoke"),
    "revoked": ("Återkallad", "Revoked"),
    "created": ("Skapad", "Created"),
    "last_used": ("Senast använd", "Last used"),
    "create_account": ("Skapa konto", "Create account"),
    "display_name": ("Namn", "Name"),
    "disable": ("Inaktivera", "Disable"),
    "disabled": ("Inaktiverad", "Disabled"),
    "enable": ("Aktivera", "Enable"),
    "error": ("Fel", "Error"),
    "saved": ("Sparat", "Saved"),
    "save": ("Spara", "Save"),
    "claim": ("Ta ärendet", "Claim"),
    "linked": ("Länkade ärenden", "Linked issues"),
    "drafts": ("Utkast", "Drafts"),
    "versions": ("Versioner", "Versions"),
    "answered_count": ("Besvarade ärenden", "Issues answered"),
    "acknowledged_count": ("Bekräftelser", "Acknowledgements"),
    "no_assessments": ("Inga publicerade bedömningar.", "No published assessments."),
    "no_drafts": ("Inga utkast.", "No drafts."),
    "draft_of": ("Utkast till", "Draft of"),
    "new_version_of": ("ny version av", "new version of"),
    "updated": ("Ändrad", "Updated"),
    "open_by_id": ("Öppna med ID", "Open by ID"),
    "issues_total": ("Ärenden", "Issues"),
    "link_issue": ("Länka ärende", "Link an issue"),
    "link_hint": (
        "Samma problem från en annan region: en bedömning besvarar alla länkade ärenden.",
        "The same problem from another region: one assessment answers every linked issue.",
    ),
    "link": ("Länka", "Link"),
    "unlink": ("Ta bort länken", "Unlink"),
    "other_issue_id": ("Det andra ärendets ID", "The other issue's ID"),
    "edit": ("Redigera", "Edit"),
    "save_draft": ("Spara utkast", "Save draft"),
    "revise": ("Revidera", "Revise"),
    "change_note": ("Vad har ändrats", "What changed"),
    "open_consultation": ("Öppna samråd", "Open a consultation"),
    "deadline": ("Sista svarsdag", "Deadline"),
    "responses": ("Svar från regionerna", "Responses of the regions"),
    "no_response": ("Inget svar ännu", "No response yet"),
    "publish_summary": ("Publicera sammanställning", "Publish summary"),
    "consultation.open": ("Öppet", "Open"),
    "consultation.past_deadline": ("Svarstiden har gått ut", "Past the deadline"),
    "consultation.concluded": ("Avslutat", "Concluded"),
    "skip_to_content": ("Hoppa till innehållet", "Skip to content"),
    "signed_in_as": ("Inloggad som", "Signed in as"),
    "no_rows": ("Inget att visa.", "Nothing to show."),
    "sort": ("Sortering", "Sort"),
    "oldest_first": ("Äldst först", "Oldest first"),
    "newest_first": ("Nyast först", "Newest first"),
    "due_first": ("Närmast deadline först", "Nearest deadline first"),
    "results": ("träffar", "results"),
    "back_to_queue": ("Tillbaka till kön", "Back to the queue"),
    # states
    "state.received": ("Inkommen", "Received"),
    "state.triaged": ("Triagerad", "Triaged"),
    "state.in_assessment": ("Under bedömning", "In assessment"),
    "state.awaiting_region": ("Väntar på regionen", "Awaiting the region"),
    "state.assessed": ("Bedömd", "Assessed"),
    "state.closed": ("Avslutad", "Closed"),
    "state.declined": ("Avvisad", "Declined"),
    "state.withdrawn": ("Återkallad", "Withdrawn"),
    # urgencies / priorities
    "urgency.low": ("Låg", "Low"),
    "urgency.normal": ("Normal", "Normal"),
    "urgency.high": ("Hög", "High"),
    "urgency.critical": ("Kritisk", "Critical"),
    # roles
    "role.reader": ("Läsare", "Reader"),
    "role.triager": ("Triagerare", "Triager"),
    "role.assessor": ("Bedömare", "Assessor"),
    "role.admin": ("Administratör", "Administrator"),
}


def choose_language(request: Request) -> str:
    """The cookie if set, else the first supported language in Accept-Language, else sv."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return "sv"


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)``: the label in ``lang``; an unknown key shows itself (visible, not a crash)."""
    index = LANGUAGES.index(lang)

    def t(key: str) -> str:
        pair = LABELS.get(key)
        return pair[index] if pair else key

    return t
