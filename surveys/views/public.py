"""The customer's pages under /s/<token>/: answer, follow-up questions, thanks, unsubscribe.

A GET never records anything: email security scanners open every link in a message, so a score
link only preselects the score and one tap on "Send" (a POST) records it. The page speaks the
invitation's language unless the customer switches (?lang=en|fr, kept through the forms).
"""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from guard import limits
from tickets.labels import reason_label

from ..models import Invitation, QuestionKind, RepeatCause, RepeatCauseCode, Resolution
from ..models import Response as SurveyResponse
from ..services import (
    AnswerError,
    customer_opt_out,
    invitation_response,
    repeat_cause_record,
    response_details_record,
    response_record,
    score_parse,
)
from ..tokens import TokenExpired, TokenInvalid, TokenPurpose, TokenWithdrawn, token_resolve

LANGUAGES = {code for code, _name in settings.LANGUAGES}

# Words at the ends of each scale (and every step of the short CSAT one), so that no score
# relies on position or colour alone.
SCALE_WORDS = {
    QuestionKind.NPS: {0: _("Not at all likely"), 10: _("Extremely likely")},
    QuestionKind.CSAT: {
        1: _("Very dissatisfied"),
        2: _("Dissatisfied"),
        3: _("Neither satisfied nor dissatisfied"),
        4: _("Satisfied"),
        5: _("Very satisfied"),
    },
    QuestionKind.CES: {1: _("Very difficult"), 7: _("Very easy")},
}


class _Page(Exception):
    """Stop here and show this response (a friendly error page)."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _language(request: HttpRequest, invitation: Invitation | None) -> str:
    asked = request.POST.get("lang") or request.GET.get("lang")
    if asked in LANGUAGES:
        return asked
    if invitation is not None and invitation.language in LANGUAGES:
        return invitation.language
    return getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)


def _switcher(request: HttpRequest, language: str, **keep: object) -> list[dict]:
    params = {k: v for k, v in keep.items() if v not in (None, "")}
    return [
        {
            "code": code,
            # Each language named in itself: a customer who cannot read this one finds theirs.
            "name": get_language_info(code)["name_local"].capitalize(),
            "current": code == language,
            "url": f"{request.path}?{urlencode({**params, 'lang': code})}",
        }
        for code in (c for c, _n in settings.LANGUAGES)
    ]


def _error(request: HttpRequest, language: str, status: int, title, message) -> HttpResponse:
    with translation.override(language):
        return render(
            request,
            "surveys/public/error.html",
            {"title": title, "message": message, "languages": _switcher(request, language)},
            status=status,
        )


# Unknown links opened from one address: past the limit, no link from there is even looked up
# until the window ends. A customer's valid link is never counted.
UNKNOWN_LINKS = ((limits.SURVEY_LINKS_PER_ADDRESS, None),)


def _open(
    request: HttpRequest, token: str, purpose: str, *, also: str | None = None
) -> tuple[Invitation, str]:
    seconds = limits.wait_seconds(request, *UNKNOWN_LINKS)
    if seconds is not None:
        raise _Page(_too_many(request, seconds))
    try:
        invitation = token_resolve(token, purpose, also=also)
    except TokenInvalid:
        limits.count(request, *UNKNOWN_LINKS)
        raise _Page(
            _error(
                request,
                _language(request, None),
                404,
                _("This link does not work"),
                _(
                    "We could not find this survey. Please check that you opened the whole "
                    "link from the message we sent you."
                ),
            )
        ) from None
    except (TokenExpired, TokenWithdrawn) as closed:
        raise _Page(_closed(request, closed)) from None
    return invitation, _language(request, invitation)


def _too_many(request: HttpRequest, seconds: int) -> HttpResponse:
    language = _language(request, None)
    with translation.override(language):
        response = _error(
            request,
            language,
            429,
            _("Too many links that do not work"),
            _(
                "Many links that do not work were opened from your connection. %(wait)s "
                "Then open the whole link from the message we sent you."
            )
            % {"wait": limits.wait_message(seconds)},
        )
    response["Retry-After"] = str(seconds)
    return response


def _closed(request: HttpRequest, closed: TokenExpired | TokenWithdrawn) -> HttpResponse:
    """The page for a survey that takes no answer any more: over, or the customer said stop."""
    language = _language(request, closed.invitation)
    if isinstance(closed, TokenWithdrawn):
        return _error(
            request,
            language,
            410,
            _("You no longer receive our surveys"),
            _(
                "You asked us to stop sending you surveys, so this one is closed and nothing "
                "is recorded here. Thank you all the same."
            ),
        )
    return _error(
        request,
        language,
        410,
        _("This survey is closed"),
        _("The time to answer this survey is over. Thank you for your interest all the same."),
    )


def _url(name: str, token: str, language: str) -> str:
    return f"{reverse(name, args=[token])}?{urlencode({'lang': language})}"


def _question(invitation: Invitation, language: str) -> str:
    text = invitation.questionnaire.question(language)
    if invitation.questionnaire.kind == QuestionKind.REPEAT:
        code = ""
        if invitation.contact_id:
            code = invitation.contact.reason
        elif invitation.ticket_id:
            code = invitation.ticket.reason
        with translation.override(language):
            reason = reason_label(code)
        # Not str.format: a question typed in the admin may hold other braces.
        text = text.replace("{reason}", reason)
    return text


def _scale(invitation: Invitation, selected: int | None) -> dict:
    low, high = invitation.questionnaire.scale
    words = SCALE_WORDS.get(invitation.questionnaire.kind, {})
    rows = all(n in words for n in range(low, high + 1))
    # Numbers as text: the template would localise each int through number_format, 30-odd
    # times a page, for digits that read the same in every language.
    return {
        "low": str(low),
        "high": str(high),
        "low_words": words.get(low, ""),
        "high_words": words.get(high, ""),
        # Every step has words (CSAT): one labelled row each. Otherwise a grid of numbers with
        # the ends' words under it.
        "rows": rows,
        "show_ends": bool(words) and not rows,
        # Eleven buttons do not fit one row on a phone: two rows there, one on wider screens.
        "wide": high - low >= 10,
        "choices": [
            {"value": str(n), "words": words.get(n, ""), "checked": n == selected}
            for n in range(low, high + 1)
        ],
    }


def _public(view):
    """Friendly error pages, no caching (the pages carry a CSRF token and a secret URL)."""

    def wrapper(request: HttpRequest, token: str) -> HttpResponse:
        try:
            return view(request, token)
        except _Page as page:
            return page.response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return never_cache(wrapper)


@_public
@require_http_methods(["GET", "HEAD", "POST"])
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The question and its scale; a POST records the score (or changes it)."""
    invitation, language = _open(request, token, TokenPurpose.ANSWER)
    with translation.override(language):
        if invitation.questionnaire.kind == QuestionKind.REPEAT:
            return _answer_repeat(request, token, invitation, language)
        error, status = None, 200
        if request.method == "POST":
            try:
                response_record(invitation, request.POST.get("score"))
            except AnswerError as exc:
                error, status = exc.args[0], 400
            except (TokenExpired, TokenWithdrawn) as closed:
                return _closed(request, closed)
            else:
                return redirect(_url("surveys:details", token, language))
            selected = None
        else:
            selected = _current_score(invitation)
            if "score" in request.GET:
                try:
                    selected = score_parse(request.GET["score"], invitation)
                except AnswerError as exc:
                    error, status = exc.args[0], 400
        return render(
            request,
            "surveys/public/answer.html",
            {
                "question": _question(invitation, language),
                "scale": _scale(invitation, selected),
                "preselected": request.method == "GET" and "score" in request.GET and not error,
                "already_answered": _current_score(invitation) is not None,
                "error": error,
                "lang": language,
                "languages": _switcher(request, language, score=request.GET.get("score")),
            },
            status=status,
        )


def _current_score(invitation: Invitation) -> int | None:
    response: SurveyResponse | None = invitation_response(invitation)  # read by token_resolve
    return response.score if response else None


def _answer_repeat(
    request: HttpRequest, token: str, invitation: Invitation, language: str
) -> HttpResponse:
    current = RepeatCause.objects.filter(invitation=invitation).first()
    code = current.code if current else ""
    comment = current.comment if current else ""
    error, status = None, 200
    if request.method == "POST":
        code = request.POST.get("cause", "")
        comment = request.POST.get("comment", "")
        try:
            repeat_cause_record(invitation, code, comment)
        except AnswerError as exc:
            error, status = exc.args[0], 400
        except (TokenExpired, TokenWithdrawn) as closed:
            return _closed(request, closed)
        else:
            return redirect(_url("surveys:thanks", token, language))
    return render(
        request,
        "surveys/public/repeat.html",
        {
            "question": _question(invitation, language),
            "causes": [
                {"value": value, "label": label, "checked": value == code}
                for value, label in RepeatCauseCode.choices
            ],
            "comment": comment,
            "already_answered": current is not None,
            "error": error,
            "lang": language,
            "languages": _switcher(request, language),
        },
        status=status,
    )


@_public
@require_http_methods(["GET", "HEAD", "POST"])
def details(request: HttpRequest, token: str) -> HttpResponse:
    """The optional follow-ups: resolved or not, reasons for a low score, an open "why?"."""
    invitation, language = _open(request, token, TokenPurpose.ANSWER)
    response = invitation_response(invitation)
    if response is None:
        return redirect(_url("surveys:answer", token, language))
    questionnaire = invitation.questionnaire
    reasons = []
    if questionnaire.ask_low_score_reasons and response.is_low:
        reasons = list(questionnaire.low_score_reasons.all())
    if not (questionnaire.ask_resolved or reasons or questionnaire.ask_comment):
        return redirect(_url("surveys:thanks", token, language))
    error, status = None, 200
    with translation.override(language):
        if request.method == "POST":
            try:
                response_details_record(
                    invitation,
                    resolved=request.POST.get("resolved", "") if questionnaire.ask_resolved else "",
                    reason_codes=request.POST.getlist("reasons"),
                    comment=request.POST.get("comment", "") if questionnaire.ask_comment else "",
                )
            except AnswerError as exc:
                error, status = exc.args[0], 400
            except (TokenExpired, TokenWithdrawn) as closed:
                return _closed(request, closed)
            else:
                return redirect(_url("surveys:thanks", token, language))
        chosen = set(response.low_score_reasons.values_list("code", flat=True))
        return render(
            request,
            "surveys/public/details.html",
            {
                "score": response.score,
                "scale_high": response.scale_max,
                "ask_resolved": questionnaire.ask_resolved,
                "resolutions": [
                    {"value": v, "label": label, "checked": v == response.resolved}
                    for v, label in Resolution.choices
                ],
                "reasons": [
                    {"code": r.code, "label": r.label(language), "checked": r.code in chosen}
                    for r in reasons
                ],
                "ask_comment": questionnaire.ask_comment,
                "comment": response.comment,
                "change_url": _url("surveys:answer", token, language),
                "skip_url": _url("surveys:thanks", token, language),
                "error": error,
                "lang": language,
                "languages": _switcher(request, language),
            },
            status=status,
        )


@_public
@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation, language = _open(request, token, TokenPurpose.ANSWER)
    with translation.override(language):
        return render(
            request,
            "surveys/public/thanks.html",
            {
                "change_url": _url("surveys:answer", token, language),
                "expires_at": invitation.expires_at,
                "lang": language,
                "languages": _switcher(request, language),
            },
        )


# One-click unsubscribe (RFC 8058): mail clients POST "List-Unsubscribe=One-Click" to the link
# without any cookie, so there is no CSRF token to check. The secret token in the URL is what
# authorises the request, and the action only ever protects the customer.
@csrf_exempt
@_public
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirm button; POST stops every survey to this customer at once.

    The survey's own link opens it too: a survey delivered as a link (posted in a chat) has no
    message of ours to carry an unsubscribe link, so every survey page links here with its own
    token; whoever holds it is the customer the survey was for."""
    invitation, language = _open(request, token, TokenPurpose.UNSUBSCRIBE, also=TokenPurpose.ANSWER)
    customer = invitation.customer
    done = customer.opted_out_at is not None
    if request.method == "POST":
        customer_opt_out(customer)
        done = True
    with translation.override(language):
        return render(
            request,
            "surveys/public/unsubscribe.html",
            {"done": done, "lang": language, "languages": _switcher(request, language)},
        )
