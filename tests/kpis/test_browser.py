"""The quality manager's pages in a real browser (Debian's headless Chromium), in both languages.

One walk per language over a small generated history: the overview and each of its filters, a
chart point and a table row down to their lists, the comments and their search, the CSV and XLSX
exports checked against the page; no console error, axe-core finds no serious or critical
violation, and nothing is wider than a 390 px phone. Screenshots go to test-artifacts/kpis/.
"""

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from kpis.demo import history_load_sample
from tests.browser import chromium
from tests.conftest import _missing

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "kpis"
AXE = Path(settings.BASE_DIR) / ".venv" / "npm" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Elements wider than the viewport, leaving out what scrolls inside its own box.
OVERFLOW = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('.table-scroll') && e.getBoundingClientRect().right
               > document.documentElement.clientWidth + 1)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + '.' + e.className)"""


@pytest.fixture
def browser_page(live_server, transactional_db):
    """A desktop-sized page logged in as a quality manager, with its console errors kept."""
    if not AXE.exists():
        _missing(f"no axe-core at {AXE} (make install-dev fetches it)")
    history_load_sample(contacts=1500)
    user = User.objects.create_superuser("manager", "qm@example.com", None)
    client = Client()
    client.force_login(user)
    with chromium(ARTIFACTS) as browser:
        context = browser.new_context(viewport=DESKTOP, accept_downloads=True)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": live_server.url,
                }
            ]
        )
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        try:
            yield page
        finally:
            context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


def axe_violations(page) -> list[str]:
    # Run through the browser's debugging protocol: the page's policy refuses inline scripts.
    page.evaluate("(() => {\n" + AXE.read_text() + "\n})()")
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def submit_filters(page) -> None:
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").click()


def query_of(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def click_chart_point(page, chart_id: str) -> None:
    """Click the last point of the chart's first series that links somewhere."""
    page.locator(f"#{chart_id}").scroll_into_view_if_needed()
    point = page.evaluate(
        """(id) => {
          const chart = Chart.getChart(id);
          const index = chart.data.datasets.findIndex(d => d.ecoute && d.ecoute.links);
          const elements = chart.getDatasetMeta(index).data;
          const last = elements.length - 1;
          const link = chart.data.datasets[index].ecoute.links[last];
          return {x: elements[last].x, y: elements[last].y, link: link};
        }""",
        chart_id,
    )
    box = page.locator(f"#{chart_id}").bounding_box()
    with page.expect_navigation():
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    assert page.url.endswith(point["link"])


def download(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_quality_manager_works_through_the_overview(live_server, browser_page, language):
    page = browser_page
    base = live_server.url
    # As the language menu does: the cookie is sent with downloads too.
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": base}]
    )

    # The overview, its charts drawn, the same figures as its tables.
    page.goto(base + "/dashboard/")
    assert page.locator("html").get_attribute("lang") == language
    page.wait_for_function("Chart.getChart('chart-nps') !== undefined")
    assert page.locator("canvas").count() >= 10
    shot(page, f"overview-{language}-1366")
    assert axe_violations(page) == []

    # Each filter, kept in the URL and in the export links.
    page.locator("#f-channel").select_option("email")
    submit_filters(page)
    assert query_of(page)["channel"] == "email"
    team = page.locator("#f-team option").nth(1).get_attribute("value")
    page.locator("#f-team").select_option(team)
    submit_filters(page)
    assert query_of(page)["team"] == team and query_of(page)["channel"] == "email"
    assert all(
        f"team={team}" in href
        for href in page.locator("ul.downloads a").evaluate_all("l => l.map(a => a.href)")
    )
    agent = page.locator("#f-agent option").nth(1).get_attribute("value")
    page.locator("#f-agent").select_option(agent)
    page.locator("#f-reason").select_option("delivery")  # the catalogue's, by its label
    submit_filters(page)
    assert query_of(page)["agent"] == agent and query_of(page)["reason"] == "delivery"
    start = page.locator("#f-from").input_value()
    page.locator("#f-from").fill(start[:8] + "15")
    page.locator("#f-channel").select_option("")
    page.locator("#f-team").select_option("")
    page.locator("#f-agent").select_option("")
    page.locator("#f-reason").select_option("")
    submit_filters(page)
    assert query_of(page)["from"] == start[:8] + "15"
    page.goto(base + "/dashboard/")
    page.wait_for_function("Chart.getChart('chart-nps') !== undefined")

    # From a chart point down to the answers of that month.
    click_chart_point(page, "chart-nps")
    assert "/dashboard/answers/" in page.url and query_of(page)["kind"] == "nps"
    assert page.locator("table.list tbody tr").count() > 0
    shot(page, f"answers-from-chart-{language}-1366")
    assert axe_violations(page) == []

    # From a table row (a repeat cause) to the contacts behind it, then to the comments.
    page.goto(base + "/dashboard/#repeat")
    cause_link = page.locator("#table-causes tbody tr").first.locator("td a").first
    expected = int(cause_link.inner_text().replace("\u202f", "").replace(" ", ""))
    with page.expect_navigation():
        cause_link.click()
    assert "/dashboard/contacts/" in page.url and "cause" in query_of(page)
    assert page.locator("table.list tbody tr").count() == min(expected, 50)
    with page.expect_navigation():
        page.locator(".site-nav a[href^='/dashboard/comments/']").click()
    assert page.locator("table.list tbody tr").count() > 0
    shot(page, f"comments-{language}-1366")
    assert axe_violations(page) == []

    # Search a comment by a word of the first one shown.
    first_comment = page.locator("table.list tbody tr").first.locator("td.long")
    word = max(first_comment.inner_text().split(), key=len).strip(".,!?;:")
    page.locator("#f-q").fill(word)
    submit_filters(page)
    comments = page.locator("table.list tbody tr td.long").all_inner_texts()
    assert comments and all(word.lower() in c.lower() for c in comments)
    shot(page, f"comments-search-{language}-1366")

    # The exports hold what the page shows, with the period and filters named.
    separator = ";" if language == "fr" else ","
    body = download(page, page.locator("p.downloads a").nth(0)).decode("utf-8")
    (ARTIFACTS / f"comments-{language}.csv").write_text(body)
    assert body.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(body[1:]), delimiter=separator))
    header_at = next(i for i, line in enumerate(lines) if len(line) > 5)
    assert any(word in " ".join(line) for line in lines[1:header_at])  # the search is named
    shown_headers = page.locator("table.list thead th").all_inner_texts()
    assert [h.strip(" ▲▼") for h in shown_headers] == lines[header_at]
    comment_at = lines[header_at].index(page.locator("table.list thead th.long").inner_text())
    assert [row[comment_at] for row in lines[header_at + 1 :]] == comments
    book = load_workbook(io.BytesIO(download(page, page.locator("p.downloads a").nth(1))))
    rows = list(book.active.iter_rows(values_only=True))
    assert [r[comment_at] for r in rows[header_at + 1 :]] == comments
    assert isinstance(rows[header_at + 1][2], int)  # the score, typed

    # A phone: nothing wider than the screen on any of these pages.
    page.set_viewport_size(PHONE)
    for name, path in [
        ("home", "/"),
        ("overview", "/dashboard/"),
        ("contacts", "/dashboard/contacts/?inbound=1"),
        ("tickets", "/dashboard/tickets/"),
        ("comments", "/dashboard/comments/"),
        ("agent", "/surveys/follow-ups/"),
    ]:
        page.goto(base + path)
        if path == "/dashboard/":
            page.wait_for_function("Chart.getChart('chart-nps') !== undefined")
        shot(page, f"{name}-{language}-390")
        assert page.evaluate(OVERFLOW) == [], name
    page.context.clear_cookies()
    page.goto(base + "/accounts/login/")
    shot(page, f"login-{language}-390")
    assert page.evaluate(OVERFLOW) == []

    assert page.errors == []
