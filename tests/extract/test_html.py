"""extract_html: body, metadata hints, cruft lines, fallbacks, hostile HTML."""
from __future__ import annotations

import time
from datetime import datetime

import lxml.html
import pytest

from decruft.extract import html as html_module
from decruft.extract.html import clean_article_lines, extract_html, parse_html, visible_lines
from decruft.extract.rules import default_rules
from tests.support import RAW

POLYGRAPH_URL = "https://www.polygraph.info/a/fact-check-russia-us-al-tanf-rukban/30279001.html"
PROSE = (
    "The council approved the new budget on Tuesday after a long debate about school funding, "
    "road repairs and the future of the city library, which had been threatened with closure."
)


def article_page(*paragraphs: str, head: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<!DOCTYPE html><html lang='en-GB'><head><title>Council approves budget | Daily Example</title>{head}"
            f"</head><body><nav><a href='/'>Home</a></nav><article><h1>Council approves budget</h1>{body}"
            "</article><footer>© Daily Example</footer></body></html>")


def test_real_page_body_and_metadata() -> None:
    page = (RAW / "polygraph_fact_check_al_tanf.html").read_text(encoding="utf-8")
    result = extract_html(page, url=POLYGRAPH_URL, scraped_at=datetime(2019, 11, 20))
    assert result.extractor == "trafilatura"
    assert result.body[0].startswith("In a joint statement published Oct. 25")
    assert result.title == "Russia and Syria: U.S.-backed Syrian Forces Blocking Refugee Return"
    assert result.hints.url == POLYGRAPH_URL and result.hints.lang == "en"
    assert result.hints.date == "2019-11-18" and result.hints.sitename == "POLYGRAPH.info"
    assert result.description and result.hints.description == result.description
    assert not any("Polygraph.info" == line for line in result.body)


def test_cruft_lines_leave_the_body_with_reasons() -> None:
    page = article_page(
        PROSE, PROSE.replace("Tuesday", "Wednesday"),
        "Sign up for our newsletter to get the latest updates in your inbox.",
        "(Reporting by Jane Doe; Editing by John Roe)",
    )
    result = extract_html(page)
    assert result.body == [PROSE, PROSE.replace("Tuesday", "Wednesday")]
    reasons = {line.text: line.reason for line in result.removed}
    assert reasons["(Reporting by Jane Doe; Editing by John Roe)"] == "credit"
    assert reasons["Sign up for our newsletter to get the latest updates in your inbox."] == "newsletter"
    assert result.credit_lines == ["(Reporting by Jane Doe; Editing by John Roe)"]


def test_patterns_only_cleaning() -> None:
    lines = ["Council approves budget", "May 5, 2024", "By Jane Doe", PROSE, "You may also like:",
             "Short teaser headline", "Another teaser", "", PROSE + " Later.", "http://amzn.to/abc"]
    result = clean_article_lines(lines, default_rules(), title="Council approves budget | Daily Example")
    assert result.body == [PROSE, PROSE + " Later.", "http://amzn.to/abc"]
    assert [(r.line, r.reason) for r in result.removed[:3]] == [(1, "title"), (2, "date"), (3, "byline")]
    assert {r.reason for r in result.removed[3:]} == {"related"}
    assert result.date_strings == ["May 5, 2024"] and result.bylines == ["By Jane Doe"]


def test_related_line_takes_its_list_items() -> None:
    lines = [PROSE, "Related: The ten best libraries in town", "- Library opening hours", "- Budget explained",
             "A short subheading", PROSE]
    result = clean_article_lines(lines, default_rules())
    assert result.body == [PROSE, "A short subheading", PROSE]


def test_headline_variant_is_removed_once() -> None:
    lines = ["High School Roundup: Viera defeats Rockledge to remain unbeaten", PROSE,
             "Viera defeats Rockledge to remain unbeaten", PROSE]
    result = clean_article_lines(lines, default_rules(), title="HS Roundup: Viera defeats Rockledge to remain unbeaten")
    assert result.body == lines[1:]


def test_date_lines_in_the_body_stay() -> None:
    lines = [PROSE, PROSE, PROSE, "— Jane Doe (@janedoe) November 18, 2019"]
    assert clean_article_lines(lines, default_rules()).body == lines


def test_scrape_date_caps_the_publication_date() -> None:
    head = "<meta property='article:published_time' content='2023-01-02T10:00:00Z'>"
    page = article_page(PROSE, PROSE, PROSE, head=head)
    assert extract_html(page).hints.date == "2023-01-02"
    assert extract_html(page, scraped_at=datetime(2022, 12, 1)).hints.date != "2023-01-02"


def test_slower_pass_when_the_fast_one_finds_too_little(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(tree, url, **options):
        return "Tiny." if options.get("fast") else PROSE * 5
    monkeypatch.setattr(html_module, "_trafilatura_text", fake)
    result = extract_html(article_page(PROSE * 5))  # the page's text: readability's is no further inside
    assert result.extractor == "trafilatura+compare" and result.body == [PROSE * 5]


def test_only_the_fast_pass_goes_without_page_furniture(monkeypatch: pytest.MonkeyPatch) -> None:
    has_nav: dict[str, bool] = {}

    def fake(tree, url, **options):
        has_nav["fast" if options.get("fast") else "slower"] = tree.find(".//nav") is not None
        return "Tiny." if options.get("fast") else PROSE * 5
    monkeypatch.setattr(html_module, "_trafilatura_text", fake)
    extract_html(article_page(PROSE))
    assert has_nav == {"fast": False, "slower": True}


def test_recall_pass_when_nothing_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_module, "_trafilatura_text",
                        lambda tree, url, **options: PROSE if options.get("favor_recall") else "")
    assert extract_html(article_page(PROSE)).extractor == "trafilatura+recall"


def test_text_fallback_reads_the_visible_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_module, "_trafilatura_text", lambda tree, url, **options: "")
    monkeypatch.setattr(html_module, "try_readability", lambda tree: lxml.html.HtmlElement())  # what it gives on failure
    result = extract_html(article_page(PROSE, PROSE.replace("Tuesday", "Friday"), PROSE.replace("council", "board")))
    assert result.extractor == "text-fallback"
    assert PROSE in result.body and "Home" not in result.body
    assert result.title and result.title.startswith("Council approves budget")


def test_visible_lines_skip_scripts_and_split_blocks() -> None:
    tree = parse_html("<html><head><script>var x = 1;</script></head><body><div>One <b>bold</b></div>"
                      "<p>Two</p><style>p {}</style><ul><li>Three</li></ul></body></html>")
    assert visible_lines(tree) == ["One bold", "Two", "Three"]


def test_visible_lines_of_an_invisible_fragment() -> None:
    """Readability may return a fragment whose root is a <noscript>: it has no visible text."""
    assert visible_lines(lxml.html.fragment_fromstring("<noscript><p>Enable scripts</p></noscript>")) == []


@pytest.mark.parametrize(
    "page",
    [
        "",
        "   \n ",
        "<html><head><title>Only a title</title></head></html>",
        "<?xml version='1.0' encoding='utf-8'?><html><body><p>Declared XML</p></body></html>",
        "\x00\x01\x02 binary \ufffd" * 200,
        "<div>" * 100_000 + "deep" + "</div>" * 100_000,
        "<table>" + ("<tr>" + "<td>cell</td>" * 150 + "</tr>") * 150 + "</table>",
    ],
    ids=["empty", "blank", "no-body", "xml-declaration", "binary", "deep-nesting", "wide-table"],
)
def test_hostile_html_is_bounded(page: str) -> None:
    start = time.perf_counter()
    extract_html(page)
    assert time.perf_counter() - start < 5


def test_entities_are_not_expanded() -> None:
    entities = "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    page = (f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
            "<html><body><p>&lol9;</p></body></html>")
    assert "lollol" not in " ".join(extract_html(page).body)


def test_page_with_only_a_headline_and_byline_keeps_them():
    """A photo post: the headline and byline are all its text, not an empty body."""
    page = ('<html><head><title>Almost There</title></head><body><nav><a href="/">Home</a></nav>'
            '<article><h1>Almost There</h1><p>By Lim Cheng Soon, 28 May 2010</p><img src="a.jpg" alt="">'
            '</article></body></html>')
    extraction = extract_html(page)
    assert extraction.body == ["Almost There", "By Lim Cheng Soon, 28 May 2010"]
    assert extraction.title == "Almost There"


def test_comment_heading_ends_the_article_part_of_its_container() -> None:
    """A thread printed as plain paragraphs after an anchored "Comments" heading leaves the body."""
    comment = "I agree with every word of this, and I will write to the council about the library myself."
    page = ("<html><head><title>Council approves budget</title></head><body><div class='content'>"
            f"<p>{PROSE}</p><p>{PROSE.replace('Tuesday', 'Friday')}</p>"
            "<h2><a id='comments'></a>Comments</h2>"
            f"<p>{comment}</p><p class='posted'>Posted by: Ann at May 5, 2024 10:01 AM</p>"
            f"<p>{comment.replace('agree', 'disagree')}</p><p class='posted'>Posted by: Bob at May 5, 2024</p>"
            "</div></body></html>")
    body = extract_html(page).body
    assert PROSE in body
    assert not any("agree with every word" in line for line in body)


@pytest.mark.parametrize("heading", ["<h2 class='entry-title'>Council approves budget</h2>",
                                     "<h2>Commentary: the budget <a class='comments-link' href='#c'>3</a></h2>"])
def test_other_headings_keep_what_follows(heading: str) -> None:
    tree = parse_html(f"<html><body><div>{heading}<p>{PROSE}</p></div></body></html>")
    assert PROSE in html_module.prepare_tree(tree).text_content()


def test_balanced_pass_when_the_body_misses_the_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """A body that holds few words of the meta description was probably a sidebar."""
    sidebar = "About the author: she writes about everything under the sun and has done so for years. " * 8

    def fake(tree, url, **options):
        return sidebar if options.get("favor_precision") else PROSE
    monkeypatch.setattr(html_module, "_trafilatura_text", fake)
    head = f"<meta name='description' content='{PROSE[:90]}'>"
    result = extract_html(article_page(PROSE, head=head))
    assert result.extractor == "trafilatura+balanced" and result.body == [PROSE]
    monkeypatch.setattr(html_module, "_trafilatura_text", lambda tree, url, **options: sidebar)
    assert extract_html(article_page(PROSE, head=head)).extractor == "trafilatura"


def test_dated_list_runs_leave_the_body() -> None:
    """A list whose items are mostly dated is a list of stories or posts, not the article's own list."""
    stories = ["- Library reopens after repairs - May 3, 2024", "- Council elects a new chair - April 28, 2024",
               "- School funding debate continues", "- Road works start on the bridge - April 20, 2024"]
    points = ["- Repairs to the roof", "- Longer opening hours", "- A new children's room"]
    result = clean_article_lines([PROSE, *points, PROSE, *stories], default_rules())
    assert result.body == [PROSE, *points, PROSE]
    assert {line.reason for line in result.removed} == {"related"}


def test_embedded_post_survives_its_social_wrapper() -> None:
    tweet = "The new library hours start on Monday, and the children's room opens the same day."
    page = article_page(PROSE, PROSE.replace("Tuesday", "Friday")).replace(
        "</article>", f"<div class='social-media-embed'><blockquote class='twitter-tweet'><p>{tweet}</p>"
        "— Daily Example (@example) May 5, 2024</blockquote></div><p>" + PROSE.replace("council", "board")
        + "</p></article>")
    assert tweet in extract_html(page).body


def story_with(middle: str) -> str:
    paragraphs = [PROSE.replace("Tuesday", day) for day in ("Monday", "Tuesday", "Wednesday", "Thursday")]
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:2]) + middle + "".join(f"<p>{p}</p>" for p in paragraphs[2:])
    return (f"<html><head><title>Council approves budget</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>Council approves budget</h1>{body}</article><footer>Contact</footer></body></html>")


# A blog theme's tagline, a <p> over 250 characters in its header, and the post as <div> blocks
# with spans: trafilatura's precision pass reads <div> text only when the page's <p> text is
# shorter, so it takes the tagline for the article. resiliparse's main content leaves the
# header out, the balanced pass finds the post.
TAGLINE = ("Notes from a small allotment on the edge of town, where we grow more beans than we can eat and "
           "write about the weather, the slugs, the seed catalogues and the neighbours' prize marrows, every week "
           "since the spring of the year the old greenhouse finally blew down in a storm and took the shed roof with it.")
POST = ("The first frost came early this year, and the dahlias that had flowered since July turned black in a "
        "single night, so the tubers had to be lifted a month before the usual time.",
        "Lifting them is easy enough with a fork, but drying them takes a week in the shed, and the shed still "
        "has no proper roof after the storm two springs ago.",
        "We wrapped the tubers in newspaper and packed them into crates of dry compost, which should keep the "
        "mice away until they go back in the ground in May.")


def test_a_short_body_outside_the_main_content_goes_to_the_balanced_pass() -> None:
    post = "".join(f"<div style='text-align: justify;'><span>{p}</span></div>" for p in POST)
    page = ("<html><head><title>Lifting the dahlias</title></head><body><div id='header-wrapper'>"
            "<div class='header section' id='header'><h1 class='title'><a href='/'>Allotment Notes</a></h1>"
            f"<div class='descriptionwrapper'><p class='description'><span>{TAGLINE}</span></p></div></div></div>"
            "<div id='main'><div class='post'><h3 class='post-title'>Lifting the dahlias</h3>"
            f"<div class='post-body'>{post}</div></div></div></body></html>")
    result = extract_html(page)
    assert result.body[-3:] == list(POST) and TAGLINE not in result.body
    assert result.extractor == "trafilatura+balanced"
    # not judged, the tagline (under 500 characters) goes to readability's vote, which finds the post too
    unjudged = extract_html(page, html_tuning=html_module.HtmlTuning(judged_body_paragraphs=0))
    assert unjudged.body[-3:] == list(POST) and unjudged.extractor == "readability"
    # neither judged nor voted on: the precision pass's tagline stays
    unvoted = extract_html(page, html_tuning=html_module.HtmlTuning(judged_body_paragraphs=0, readability_inside=1.01))
    assert unvoted.body == [TAGLINE] and unvoted.extractor == "trafilatura"


# An old blog theme's post page: a short post, then its footer, a trackback block and a note in the
# same container. The precision pass finds under 500 characters and keeps all of it (as do the slower
# passes); readability keeps the post alone, and resiliparse's main content holds it.
HARBOUR_POST = ("We spent the weekend at the harbour festival, where the old lifeboat was open to visitors for the "
                "first time in years, and the queue to climb aboard stretched past the fish market.")
HARBOUR_PAGE = (
    "<html><head><title>Harbour weekend</title></head><body><div id='banner'><h1><a href='/'>Coastal Notes</a></h1>"
    "</div><div id='container'><div class='entry'><h3 class='entry-header'>Harbour weekend</h3>"
    f"<div class='entry-content'><div class='entry-body'><p>{HARBOUR_POST}</p></div></div>"
    "<p class='entry-footer'>Posted at 09:00 AM in <a href='/travel/'>Travel</a> | <a href='/p'>Permalink</a></p>"
    "</div><div class='trackback'><h2>TrackBack</h2><p>Trackback address for this post:<br/>"
    "http://www.example.com/services/trackback/6a00e5503c88</p><p>Other blogs linking to this post:</p></div>"
    "<div class='note'><p>If you see a photo here that is yours and not credited, please tell us and we will credit "
    "it or take it down.</p></div></div></body></html>")


def test_readability_replaces_a_short_body_that_lies_less_inside_the_main_content() -> None:
    result = extract_html(HARBOUR_PAGE)
    assert result.body == [HARBOUR_POST] and result.extractor == "readability"
    # without the vote, trafilatura's body keeps the trackback block and the note
    unvoted = extract_html(HARBOUR_PAGE, html_tuning=html_module.HtmlTuning(readability_inside=1.01))
    assert unvoted.extractor == "trafilatura" and HARBOUR_POST in unvoted.body and len(unvoted.body) > 3


def test_readability_has_no_vote_on_a_body_the_fast_pass_found_long_enough() -> None:
    page = HARBOUR_PAGE.replace(f"<p>{HARBOUR_POST}</p>", f"<p>{HARBOUR_POST}</p>" * 3)
    assert extract_html(page).extractor == "trafilatura"


def test_empty_inline_elements_leave_their_paragraph_in_place() -> None:
    """An empty inline element before a paragraph's text (a blog engine's "read more" anchor,
    an editor's empty bold) would take the text with it in trafilatura's precision pass."""
    lead = ("The water reached the church steps by noon, and the mayor opened the school gym for the families who "
            "had left their farms.")
    for empty in ("<span id='more-1234'></span>", "<strong></strong>", "<b></b> "):
        page = story_with(f"<p>{empty}{lead}</p>")
        assert lead in extract_html(page).body
    tree = html_module.prepare_tree(html_module.parse_html(f"<p><span id='more-1'></span>{lead} <b>bold</b></p>"))
    assert [element.tag for element in tree.iter("span", "b")] == ["b"]
    assert tree.find(".//p").text_content() == f"{lead} bold"
