"""The built site, opened in a real headless Chromium (Debian's, driven by Playwright)."""

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.site.test_notebooks import sync

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ARTIFACTS = ROOT / "test-artifacts" / "screenshots"
LESSONS = sorted(p.stem for p in (ROOT / "lessons").glob("[0-9][0-9]_*.ipynb"))
EXERCISES = sorted(p.stem for p in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb"))
LAPTOP = {"width": 1280, "height": 900}  # where the notebook pages' lines must fit


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, executed_notebooks, notebook_run):
    """The site, built from this run's executed notebooks (each notebook runs once a run)."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "KFUNC_EXECUTED_NOTEBOOKS": str(notebook_run / "executed")}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=1200, env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    return out


@pytest.fixture(scope="session")
def base_url(site_dir):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def open_page(browser, url, name, viewport=None):
    """Open a page (at ``viewport``, or Playwright's 1280 x 720); return it with its
    console errors.

    This sandbox has no internet, so two kinds of console error are the sandbox's, not the
    site's, and are left out: failed loads of off-site resources (Material asks GitHub for the
    repository's stars), and mkdocs-jupyter's "MathJax rendering failed" when that page's
    MathJax request to its CDN failed (mkdocs-jupyter >= 0.27 always loads MathJax).
    """
    page = browser.new_page(viewport=viewport) if viewport else browser.new_page()
    origin = re.match(r"https?://[^/]+", url).group(0)
    console, failed_offsite = [], []
    page.on("console", lambda msg: console.append(msg) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: console.append(exc))
    page.on("requestfailed", lambda request: failed_offsite.append(request.url)
            if not request.url.startswith(origin) else None)
    response = page.goto(url, wait_until="networkidle")
    assert response is not None and response.ok, url
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    mathjax_offline = any("mathjax" in u.lower() for u in failed_offsite)
    errors = []
    for entry in console:
        text = getattr(entry, "text", None) or str(entry)
        source = (getattr(entry, "location", None) or {}).get("url", "")
        if text.startswith("Failed to load resource") and not source.startswith(origin):
            continue
        if text.startswith("mkdocs-jupyter: MathJax rendering failed") and mathjax_offline:
            continue
        errors.append(f"{text} ({source})")
    return page, errors


def test_home_page(browser, base_url):
    page, errors = open_page(browser, base_url + "/", "home")
    assert errors == []
    assert "Learn the Keras Functional API" in page.inner_text("h1")
    assert page.locator("table a[href*='lessons/']").count() == len(LESSONS) == 9
    content = page.inner_text(".md-content")
    assert '=== "' not in content, "the Colab / Locally tabs must render as tabs"
    assert page.locator(".tabbed-set label").count() == 2
    assert page.inner_text(".md-source__repository").strip().startswith("kfunc-lessons/")
    import kfunc_lessons

    assert f"Documents kfunc-lessons {kfunc_lessons.__version__}" in page.inner_text("footer")
    _assert_links_resolve(page, base_url, download=False)
    page.close()


@pytest.mark.parametrize("slug", LESSONS)
def test_lesson_page(browser, base_url, slug):
    page, errors = open_page(browser, f"{base_url}/lessons/{slug}/", slug, LAPTOP)
    assert errors == [], errors
    assert page.locator(".jp-CodeCell").count() >= 5
    assert "absl::InitializeLog" not in page.inner_text(".md-content"), "TF's native logs"
    assert page.locator(".jp-OutputArea-output").count() >= 3
    images = page.locator(".jp-OutputArea-output img")
    assert images.count() >= 1, "a diagram"
    assert all(images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
               for i in range(images.count()))
    colab = page.locator("a[href*='colab.research.google.com/github']").first
    assert colab.get_attribute("href") == sync.colab_url(f"lessons/{slug}.ipynb")
    _assert_links_resolve(page, base_url)
    _assert_code_and_outputs_fit_their_boxes(page)
    page.close()


@pytest.mark.parametrize("slug", EXERCISES)
def test_exercise_page(browser, base_url, slug):
    page, errors = open_page(browser, f"{base_url}/exercises/{slug}/", slug, LAPTOP)
    assert errors == [], errors
    colab = page.locator("a[href*='colab.research.google.com/github']").first
    assert colab.get_attribute("href") == sync.colab_url(f"exercises/{slug}.ipynb")
    assert "Not attempted" in page.inner_text(".md-content")
    _assert_links_resolve(page, base_url)
    _assert_code_and_outputs_fit_their_boxes(page)
    page.close()


def _assert_links_resolve(page, base_url, download=True):
    """Every same-site link (pages, and the .ipynb download) answers 200."""
    hrefs = page.eval_on_selector_all(".md-content a[href]", "els => els.map(e => e.href)")
    local = {h.split("#")[0] for h in hrefs if h.startswith(base_url)}
    assert local, "no links at all"
    if download:
        assert any(h.endswith(".ipynb") for h in local), "a download link to the notebook"
    for href in local:
        response = page.request.get(href)
        assert response.ok, href


def test_search_finds_residual(browser, base_url):
    page, _ = open_page(browser, base_url + "/", "search")
    search = page.locator("input.md-search__input")
    # A query typed before the search worker has built its index is dropped: retype until
    # the index answers (bounded to 10 x 3 s).
    search.fill("residual")
    for _ in range(10):
        try:
            page.wait_for_selector(".md-search-result__item", timeout=3000)
            break
        except Exception:  # re-send the last keystroke: a new input event, same query
            search.press("Backspace")
            search.type("l")
    text = page.inner_text(".md-search-result")
    assert re.search("residual", text, re.IGNORECASE)
    page.screenshot(path=str(ARTIFACTS / "search.png"), full_page=True)
    page.close()


def test_grading_guide_shows_the_worked_example(browser, base_url):
    page, errors = open_page(browser, base_url + "/grading/", "grading")
    assert errors == []
    text = page.inner_text(".md-content")
    assert "kl.compare(reference, learner_attempt())" in text
    assert "different function: caught" in text and "equivalents accepted" in text
    assert re.search(r"Measured kfunc-lessons: \S+, date: \d{4}-\d{2}-\d{2}, machine: .*keras: 3",
                     text)
    page.close()


def test_worked_example_runs():
    done = subprocess.run([sys.executable, str(Path("docs/examples/teacher_compare.py"))],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Correct" in done.stdout and "Incorrect" in done.stdout


def test_no_page_carries_a_path_of_the_build_machine(site_dir):
    """Library frames and warnings used to publish the build's virtual environment."""
    leaks = {"site-packages": "site-packages", "the checkout": str(ROOT),
             "the home directory": f"{Path.home()}/"}
    found = []
    for path in site_dir.rglob("*"):
        if path.suffix not in {".html", ".json", ".xml", ".txt", ".ipynb", ".js"}:
            continue
        text = path.read_text(errors="replace")
        found += [f"{path.relative_to(site_dir)}: {what}" for what, needle in leaks.items()
                  if needle in text]
    assert found == []


def test_an_expected_error_shows_its_type_message_and_line_only(site_dir):
    import html

    page = (site_dir / "lessons" / "03_residual_add" / "index.html").read_text()
    blocks = [html.unescape(re.sub(r"<[^>]+>", "", b)) for b in
              re.findall(r"<pre[^>]*>(.*?)</pre>", page, re.DOTALL)]
    errors = [b for b in blocks if "ValueError: Inputs have incompatible shapes" in b
              and "In this cell, line" in b]
    assert errors, "lesson 03's error cell is missing from the page"
    for block in errors:
        assert len(block.strip().splitlines()) < 10, block
    every_page = "".join(p.read_text() for p in site_dir.rglob("*.html"))
    assert "Traceback (most recent call last)" not in every_page


@pytest.mark.parametrize("page", [f"lessons/{s}" for s in LESSONS[:1]]
                         + [f"exercises/{s}" for s in EXERCISES[:1]])
def test_one_colab_entry_point_that_works_offline(site_dir, page):
    html = (site_dir / page / "index.html").read_text()
    assert html.count('href="https://colab.research.google.com/') == 1
    assert "colab-badge.svg" not in html


CLIPPED = """() => [...document.querySelectorAll('.md-content *')].filter(el => {
  const overflow = getComputedStyle(el).overflowX;
  return el.scrollWidth > el.clientWidth + 1 && (overflow === 'hidden' || overflow === 'clip');
}).map(el => el.className || el.tagName)"""


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", ["", "lessons/03_residual_add/",
                                  "exercises/05_replace_intermediate/"])
def test_pages_fit_a_desktop_and_a_phone(browser, base_url, width, path):
    """No page scrolls sideways as a whole; wide outputs (model summaries) scroll in their
    own box and nothing is cut off. Screenshots of both widths are kept."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{base_url}/{path}", wait_until="networkidle")
    name = (path.strip("/").replace("/", "-") or "home") + f"-{width}px"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    assert page.evaluate(CLIPPED) == [], name
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path", ["", "lessons/03_residual_add/", "exercises/03_residual_add/"])
def test_no_serious_accessibility_violations_in_either_scheme(browser, base_url, scheme, path):
    """axe-core (the file that axe-playwright-python ships), injected into the page: zero
    serious or critical violations, in the light and in the dark scheme."""
    import axe_playwright_python

    page = browser.new_page(color_scheme=scheme)
    page.goto(f"{base_url}/{path}", wait_until="networkidle")
    expected = {"light": "default", "dark": "slate"}[scheme]
    assert page.evaluate("document.body.dataset.mdColorScheme") == expected
    name = (path.strip("/").replace("/", "-") or "home") + f"-{scheme}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    page.add_script_tag(path=str(Path(axe_playwright_python.__file__).parent / "axe.min.js"))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: "
                          "['violations']})).violations")
    serious = [f"{v['id']} ({v['impact']}): {len(v['nodes'])} x, e.g. "
               f"{v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:200]}"
               for v in found if v["impact"] in ("serious", "critical")]
    assert serious == [], "\n".join(serious)
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_lesson_03_shows_the_graph_diff_picture(browser, base_url, scheme):
    """The executed lesson's failed check displays both graphs, the difference marked and
    labelled, on a white card that stays legible in the dark scheme."""
    page = browser.new_page(color_scheme=scheme)
    page.goto(f"{base_url}/lessons/03_residual_add/", wait_until="networkidle")
    figure = page.locator("figure.kfunc-diagram").first
    figure.scroll_into_view_if_needed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    figure.screenshot(path=str(ARTIFACTS / f"graph-diff-{scheme}.png"))
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    text = figure.inner_text()
    for words in ("Your model", "The exercise", "first difference", "expected here"):
        assert words in text, words
    card = figure.locator("div").first.evaluate("el => getComputedStyle(el).backgroundColor")
    assert card == "rgb(255, 255, 255)"
    assert "(None, 10) and (None, 1)" in page.inner_text(".md-content")
    page.close()


def test_every_catalogue_link_points_at_a_real_section(site_dir):
    from kfunc_lessons.core.links import site_url
    from kfunc_lessons.course.catalogue import CATALOGUE

    missing = []
    for mistake in CATALOGUE:
        page = mistake.link.removeprefix(site_url()).split("#")[0]
        html = (site_dir / page / "index.html").read_text()
        if f'id="{mistake.anchor}"' not in html:
            missing.append(mistake.link)
    assert missing == []


def test_grading_guide_lists_the_catalogue_and_shows_a_real_picture(site_dir):
    from kfunc_lessons.course.catalogue import CATALOGUE

    html = (site_dir / "grading" / "index.html").read_text()
    section = html[html.index('id="known-mistakes-named"'):]
    assert all(f"<code>{m.id}</code>" in section for m in CATALOGUE)
    picture = section[section.index('id="where-it-differs-the-picture"'):]
    assert "<svg" in picture and "first difference" in picture
    assert "(None, 10) and (None, 1)" in picture


# The boxes that scroll: a code cell's highlighted source, an output's text.
WIDER_THAN_THEIR_BOX = """() => [...document.querySelectorAll(
    '.jupyter-wrapper .highlight-ipynb, .jupyter-wrapper .jp-OutputArea-output pre')]
  .filter(el => el.scrollWidth > el.clientWidth + 1)
  .map(el => el.innerText.split('\\n').reduce((a, b) => b.length > a.length ? b : a, '')
                 .slice(0, 70))"""
# A word of output text laid out on two lines: its characters have two different tops.
WORDS_BROKEN_INSIDE = """() => {
  const broken = [];
  for (const pre of document.querySelectorAll('.jupyter-wrapper .jp-OutputArea-output pre')) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const words = /[A-Za-z0-9_]{2,}/g;  // a break after '-' or '/' is a fair one
      for (let m = words.exec(node.data); m && broken.length < 10; m = words.exec(node.data)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        if (tops.size > 1) broken.push(m[0]);
      }
    }
  }
  return broken;
}"""


def _notebook_page(browser, base_url, path, width, scheme):
    page = browser.new_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page.goto(f"{base_url}/{path}", wait_until="networkidle")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = path.strip("/").replace("/", "-") + f"-{width}px-{scheme}"
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return page


def _assert_code_and_outputs_fit_their_boxes(page):
    """The lessons' 100-character lines fit the column of a 1280 px laptop screen: no code
    cell and no output scrolls sideways there, and no output word is broken in two (checked
    on every lesson's and exercise's page, by the tests above)."""
    assert page.evaluate(WIDER_THAN_THEIR_BOX) == []
    assert page.evaluate(WORDS_BROKEN_INSIDE) == []


def test_the_width_check_finds_a_line_too_long_for_its_box(browser, base_url):
    """The check above, shown failing: a 130-character line added to a code cell."""
    page = _notebook_page(browser, base_url, "lessons/01_sequential/", 1280, "light")
    page.evaluate("""() => document.querySelector('.jupyter-wrapper .highlight-ipynb pre')
                        .append('\\n' + 'x = 1  # ' + 'y'.repeat(121))""")
    assert len(page.evaluate(WIDER_THAN_THEIR_BOX)) == 1
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_lesson_09_reads_in_both_schemes(browser, base_url, width, scheme):
    page = _notebook_page(browser, base_url, "lessons/09_pretrained_surgery/", width, scheme)
    if width == 1280:
        assert page.evaluate(WIDER_THAN_THEIR_BOX) == []
    assert page.evaluate(WORDS_BROKEN_INSIDE) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_graph_diff_picture_keeps_its_size_and_scrolls_on_a_phone(browser, base_url, scheme):
    page = _notebook_page(browser, base_url, "lessons/03_residual_add/", 390, scheme)
    figure = page.locator("figure.kfunc-diagram").first
    figure.scroll_into_view_if_needed()
    figure.screenshot(path=str(ARTIFACTS / f"graph-diff-390px-{scheme}.png"))
    svg = figure.locator("svg")
    natural = svg.evaluate("el => el.width.baseVal.value")
    assert abs(svg.bounding_box()["width"] - natural) <= 1, "the picture was scaled"
    card = figure.locator("div").first
    assert card.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    assert card.evaluate("el => el.scrollWidth > el.clientWidth"), "it fits: nothing to scroll"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.close()


def test_entries_scrolled_under_the_sidebar_title_are_hidden_not_half_drawn(browser, base_url):
    """The sticky title is an opaque band, its text clear of the entries under it, and casts
    no translucent shadow through which they would show half-drawn."""
    page = _notebook_page(browser, base_url, "lessons/09_pretrained_surgery/", 1280, "light")
    wrap = page.locator(".md-sidebar--primary .md-sidebar__scrollwrap").first
    assert wrap.evaluate("el => { el.scrollTo(0, 300); return el.scrollTop; }") == 300
    title = page.locator(".md-sidebar--primary .md-nav--primary > .md-nav__title").first
    box = title.bounding_box()
    assert box is not None and box["height"] > 0, "no sidebar title at 1280 px"
    page.screenshot(path=str(ARTIFACTS / "sidebar-scrolled-1280px.png"),
                    clip={"x": 0, "y": 0, "width": 320, "height": 400})
    covers = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('.md-nav__title')",
        [box["x"] + box["width"] - 4, box["y"] + box["height"] - 2])
    assert covers, "an entry is drawn over the title's lower edge"
    assert title.evaluate("el => getComputedStyle(el).boxShadow") == "none"
    text_bottom = title.evaluate("el => { const r = document.createRange(); "
                                 "r.selectNodeContents(el); return r.getBoundingClientRect()"
                                 ".bottom; }")
    assert box["y"] + box["height"] - text_bottom >= 8, "no room between the title and entries"
    page.close()
