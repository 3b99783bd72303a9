"""The plain-text cleaner against the hand-checked seeds and against hostile input."""
from __future__ import annotations

import re
import time
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decruft.extract.boilerplate import line_key
from decruft.extract.rules import default_rules
from decruft.extract import text as text_module
from decruft.extract.text import clean_text, outlet_cruft
from decruft.models import CruftPattern, OutletProfile
from decruft.regex import Pattern
from tests.support import EXPECTED, RAW, SEED_NAMES

SEEDS = sorted(name for name in EXPECTED if not name.startswith("_"))


def norm(text: str) -> str:
    """Whitespace normalisation of expected.json's _how_to_read."""
    return " ".join(text.split())


@pytest.fixture(scope="module", params=SEEDS)
def seed(request):
    name = request.param
    extraction = clean_text((RAW / name).read_text(encoding="utf-8"))
    return EXPECTED[name], extraction, norm("\n".join(extraction.body))


def test_must_remove_lines_are_gone(seed):
    expected, _, body = seed
    for line in expected["must_remove"]:
        assert norm(line) not in body


def test_must_keep_fragments_stay(seed):
    expected, _, body = seed
    for fragment in expected["must_keep"]:
        assert norm(fragment) in body


def test_title_description_section(seed):
    expected, extraction, _ = seed
    assert extraction.title == expected["title"]
    if "description" in expected:
        assert extraction.description == expected["description"]
    assert extraction.section == expected.get("section")
    assert extraction.extractor == "text"


def test_body_start(seed):
    expected, extraction, _ = seed
    if "body_must_start_with" in expected:
        assert extraction.body[0].startswith(expected["body_must_start_with"])


def test_credit_line_captured(seed):
    expected, extraction, _ = seed
    if "credit_line" in expected:
        assert expected["credit_line"] in extraction.credit_lines
        assert all(r.reason == "credit" for r in extraction.removed if r.text == expected["credit_line"])


def test_short_link_captured(seed):
    expected, extraction, _ = seed
    if "url_in_text" in expected:
        assert expected["url_in_text"] in extraction.urls


def test_dates_only_from_the_header(seed):
    expected, extraction, _ = seed
    if expected["published"] is None:
        assert extraction.date_strings == []
    else:
        assert extraction.date_strings, "the header date line was not found"


def test_independent_date_line_and_registration_form():
    extraction = clean_text((RAW / "004_81023f64912881cb.txt").read_text(encoding="utf-8"))
    assert "Wednesday 05 October 2016 18:25" in extraction.date_strings
    reasons = {r.text: r.reason for r in extraction.removed}
    assert reasons["Wednesday 05 October 2016 18:25"] == "date"
    assert reasons["Please enter a valid email"] == "login"


def test_every_removed_line_has_number_text_and_reason(seed):
    _, extraction, _ = seed
    numbers = [r.line for r in extraction.removed]
    assert len(numbers) == len(set(numbers))
    assert all(r.line >= 1 and r.text and r.reason for r in extraction.removed)


def test_headings_inside_the_article_stay():
    extraction = clean_text((RAW / "001_2149dfe57713be07.txt").read_text(encoding="utf-8"))
    for heading in ("Rebel leader killed", "Humanitarian situation worsening", "Russia hits back"):
        assert heading in extraction.body


ARTICLE = "\n".join([
    "Home", "World", "Sport", "Business", "Culture",
    "Storm floods the old harbour",
    "By Jane Roe and John Doe",
    "12 March 2021",
    "Heavy rain flooded the old harbour on Friday, forcing dozens of families to leave their homes overnight.",
    "The river rose by two metres in six hours, the highest level recorded since the station opened in 1952.",
    "Emergency services said nobody was hurt, but several boats sank at their moorings during the night.",
    "Read our weekly digest",
    "Officials expect the water to fall slowly over the weekend as the rain moves east towards the hills.",
    "Related stories", "Bridge closed after crash", "New mayor sworn in", "Festival moves indoors",
    "© 2021 Example News. All rights reserved.",
])


def test_structure_without_outlet_knowledge():
    extraction = clean_text(ARTICLE)
    assert extraction.title == "Storm floods the old harbour"
    assert extraction.bylines == ["By Jane Roe and John Doe"]
    assert extraction.date_strings == ["12 March 2021"]
    assert extraction.body[0].startswith("Heavy rain")
    assert extraction.body[-1].startswith("Officials expect")
    assert "Bridge closed after crash" not in extraction.body


def test_outlet_profile_and_boilerplate_remove_lines():
    profile = OutletProfile(id="example", name="Example News",
                            cruft=(CruftPattern("newsletter", re.compile(r"^Read our weekly digest$")),))
    extraction = clean_text(ARTICLE, profile=profile,
                            boilerplate=frozenset({line_key("Bridge closed after crash")}))
    reasons = {r.text: r.reason for r in extraction.removed}
    assert reasons["Read our weekly digest"] == "newsletter"
    assert reasons[extraction.removed[0].text]
    assert reasons["Bridge closed after crash"] == "boilerplate"


def test_an_outlets_cruft_patterns_give_the_first_matching_ones_reason_in_one_set_as_one_by_one():
    """The profile's patterns run as one RE2 set; compiled patterns of other kinds one by one."""
    patterns = [("newsletter", r"subscribe"), ("share", r"^share\b"), ("advertisement", r"sponsored$")]
    in_one_set = outlet_cruft(tuple(CruftPattern(reason, Pattern(p)) for reason, p in patterns))
    one_by_one = outlet_cruft(tuple(CruftPattern(reason, re.compile(p)) for reason, p in patterns))
    lines = ["share and subscribe", "share this", "sharepoint sponsored", "sponsored", "Subscribe", "nothing here"]
    assert [in_one_set(line) for line in lines] == [one_by_one(line) for line in lines] == [
        "newsletter", "share", "advertisement", "advertisement", None, None]


def test_the_learnt_table_never_takes_a_prose_line():
    """Fingerprints never count prose, so a table holding a sentence (a key collision) leaves it."""
    sentence = ARTICLE.splitlines()[9]
    extraction = clean_text(ARTICLE, boilerplate=frozenset({line_key(sentence)}))
    assert sentence in extraction.body


SIGNED = "\n".join([
    "Home", "Poems", "Letters", "Contact",
    "On keeping bees",
    "Every spring the hives wake slowly. The first bees leave at noon. They fly low over the wet grass. "
    "By May the whole garden hums from dawn to dusk and the honey smells of lime trees Anna Berg",
    "Tags", "Bees", "Garden",
])


def test_long_paragraph_without_final_full_stop_is_prose():
    extraction = clean_text(SIGNED)
    assert len(extraction.body) == 1 and extraction.body[0].startswith("Every spring")


TEASERS = "\n".join([
    "Home", "News", "Opinion", "About",
    "Why the river keeps rising",
    "Share Tweet Email",
    "The river rose again this week, and the town council met on Tuesday to discuss new flood walls. "
    "Engineers said the old walls were built for a climate that no longer exists. Residents asked for help.",
    "The council will vote on the plan next month, after a public meeting in the school hall on Friday evening.",
    "You may also like",
    *[line for n in range(5) for line in (
        "Share Tweet Email",
        f"Teaser number {n} tells another story at length, with several sentences of its own. It goes on. "
        f"It is not part of the article above, although it reads like prose. It ends here.")],
    "Contact", "Privacy",
])


def test_teasers_under_a_related_heading_end_the_article():
    extraction = clean_text(TEASERS)
    assert [p[:9] for p in extraction.body] == ["The river", "The counc"]
    reasons = {r.text: r.reason for r in extraction.removed}
    assert {reasons[t] for t in reasons if t.startswith("Teaser")} == {"related"}


def non_blank_lines(text: str) -> int:
    """Lines with a character that is neither whitespace nor a control/format character."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return sum(1 for line in text.split("\n")
               if any(not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf") for c in line))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=2000)
       | st.lists(st.sampled_from([
           "Skip to content", "Image: AFP", "Share", "mkg/rc (AFP, dpa)", "November 12, 2016", "By A and B",
           "A sentence of prose that goes on for a while and ends with a full stop, as articles do.",
           "", "\u200b", "\u202eعربي نص", "https://example.com/x", "Related", "Comments"]), max_size=60)
       .map("\n".join))
def test_any_text_is_accounted_for(text):
    extraction = clean_text(text)
    assert len(extraction.body) + len(extraction.removed) == non_blank_lines(text)


@pytest.mark.parametrize("text", [
    "a" * 1_000_000,
    ("word " * 200_000).strip(),
    "(" * 50_000 + "photo: " + "/" * 50_000,
    ("Skip to content\n" * 20_000),
    ("x, afp | " * 30_000),
    "\x00\x01\x02\n\u202e\u200f" * 10_000,
    "\n".join(["שלום עולם זה טקסט", "مرحبا بالعالم هذا نص", "Привет мир", "你好世界这是一个很长的句子。"] * 2000),
])
def test_hostile_input_is_fast(text):
    started = time.perf_counter()
    extraction = clean_text(text)
    assert time.perf_counter() - started < 5
    assert len(extraction.body) + len(extraction.removed) == non_blank_lines(text)


TIDES_ARTICLE = [
    "Tide tables and the moon: what the ancients knew",
    "The link between the moon and the tides was noticed long before anyone could explain it, as old texts show.",
    "Writers in antiquity tied the height of the tides to the phases of the moon, and sailors planned by it.",
    "Only much later did a theory of gravitation explain why the two move together through the month.",
]


def test_comment_thread_after_the_article_is_cut():
    """Dated short lines with prose between them are a comment thread, whatever the site prints."""
    comments = []
    for n, name in enumerate(["Chris N.", "John", "Matt W.", "Michael"], start=1):
        comments += [f"{name} 07.15.12 at 1{n}:59",
                     f"Comment number {n}: I always wondered about this and found the story fascinating to read."]
    result = clean_text("\n".join(TIDES_ARTICLE + comments))
    assert result.body == TIDES_ARTICLE[1:]
    assert {r.reason for r in result.removed if r.text in comments} == {"comments"}


def test_article_above_a_longer_comment_thread_is_kept():
    """A thread under a comments heading that outweighs a short post does not take its place."""
    comments = ["12 comments"]
    for n, name in enumerate(["Chris N.", "John", "Matt W.", "Michael", "Ann", "Bo"], start=1):
        comments += [f"{name} 07.15.12 at 1{n}:59",
                     f"Comment number {n}: I always wondered about this and found the story fascinating to read.",
                     "I would like to add what my grandfather told me about the tides when I was a small child."]
    result = clean_text("\n".join(TIDES_ARTICLE + comments))
    assert result.body == TIDES_ARTICLE[1:]


def test_article_below_a_comments_link_is_kept():
    """A comments link above the article (no thread under it) does not move the article."""
    lines = [TIDES_ARTICLE[0], "Comments", *TIDES_ARTICLE[1:]]
    assert clean_text("\n".join(lines)).body == TIDES_ARTICLE[1:]


def test_quote_attributions_are_no_comment_thread():
    """Embedded posts end with a dated attribution line; the article goes on around them."""
    lines = list(TIDES_ARTICLE)
    for n in range(3):
        lines += [f"Embedded post number {n} says the slogan is the worst one anybody has ever seen in the state.",
                  f"— Some Person (@person{n}) November 1{n}, 2019",
                  f"The governor answered the criticism in a statement on the following day, number {n}."]
    body = clean_text("\n".join(lines)).body
    assert body[-1] == lines[-1]


_GLUE_ALPHABET = st.sampled_from(list("aBcDzAIT Tq19?!)'’”“«-.é٣") + ["The", "Plan", "McKinley"])


@settings(max_examples=300, deadline=None)
@given(st.lists(_GLUE_ALPHABET, max_size=80).map("".join))
def test_the_glue_hint_never_hides_a_glued_headline(text):
    """The RE2 pre-test for a glued teaser is wider than the pattern it stands in front of."""
    if text_module._GLUE.search(text, 0, 160):
        assert text_module._GLUE_HINT.lines([text[:160]]) == [0]


_STOPWORD_TEXT = st.lists(st.sampled_from(text_module._STOPWORD_LIST) | st.text(max_size=6)
                          | st.sampled_from([" ", ", ", "é", "l'", "_", "’", "2"]), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(_STOPWORD_TEXT)
def test_stopword_search_finds_the_words_a_word_split_finds(text):
    """The one-pass stopword search names the language the text's words do."""
    assert text_module._text_language(text) == text_module._language(text_module._WORD.findall(text))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "word", " ", "  ", "\t", "\n", "\xa0", "\u3000", "\u200b", "é", ""]),
                         max_size=8).map("".join), max_size=5))
def test_a_bodys_word_count_is_the_one_a_word_split_gives(paragraphs):
    assert text_module.word_count(paragraphs) == sum(len(p.split()) for p in paragraphs)


def test_the_word_count_of_cleaned_pages_is_the_one_a_word_split_gives():
    for name in SEED_NAMES:
        body = clean_text((RAW / name).read_text(encoding="utf-8")).body
        assert text_module.word_count(body) == sum(len(p.split()) for p in body) > 0


def test_the_headline_is_the_longest_line_the_page_title_repeats():
    """A blog prints its name at the top and the page title holds it too: the headline is the
    line that repeats more of the title, and the post under it wins over the sidebar's blurb."""
    lines = ["Paper boats that sail - Jane's Craft Blog", "Home", "Jane's Craft Blog", "Archives", "Search",
             "Paper boats that sail", "A short post: fold the sheet twice and wax it",
             "Posted in crafts", "Previous post", "Next post",
             "About me: I write about crafts, paper, glue and scissors, and I teach children how to make things.",
             "Contact"]
    lines_of = text_module.split_lines("\n".join(lines))
    assert text_module._headline_index(lines_of) == 5


BIO = ("Jane Doe writes about science and the sea for the paper. She lives on the coast with two cats "
       "and a boat she never finished building.")


@pytest.mark.parametrize("heading", ["About the author", "About Jane Doe", "Über Jane Doe", "Sobre o autor"])
def test_an_author_box_below_the_article_is_cut(heading):
    result = clean_text("\n".join(TIDES_ARTICLE + [heading, BIO, "Contact"]))
    assert result.body == TIDES_ARTICLE[1:]
    assert {r.text: r.reason for r in result.removed}[BIO] == "author"


def test_about_us_stays_a_legal_link():
    reasons = {r.text: r.reason for r in clean_text("\n".join(TIDES_ARTICLE + ["About us", "Über uns"])).removed}
    assert reasons["About us"] == reasons["Über uns"] == "legal"


def test_a_box_heavier_than_what_precedes_it_is_no_author_box():
    """"About the ..." headings inside the article (a section heading) leave the article whole."""
    lines = TIDES_ARTICLE[:2] + ["About the moon", *TIDES_ARTICLE[2:], TIDES_ARTICLE[1] + " Again, at length."]
    assert clean_text("\n".join(lines)).body == lines[1:]


COMMENTS = [line for n, name in enumerate(["Chris N.", "John", "Matt W.", "Michael"], start=1) for line in (
    f"{name} says:", f"Comment number {n}: I always wondered about this and found the story fascinating to read.")]


def test_a_thread_of_says_stamps_is_cut():
    """A comment's header may name only its author ("Jane says:"), without a date."""
    result = clean_text("\n".join(TIDES_ARTICLE + COMMENTS))
    assert result.body == TIDES_ARTICLE[1:]
    assert {r.reason for r in result.removed if r.text in COMMENTS} == {"comments"}


def test_the_articles_own_date_line_does_not_start_the_thread():
    """The first dated line above the article is its date, not a comment: the article under it
    stays, and the thread starts at the next stamp."""
    article = [TIDES_ARTICLE[0], "Published on August 28th, 2012", *TIDES_ARTICLE[1:]] + [
        f"More of the article, paragraph {n}, which goes on about the moon and the sea at some length."
        for n in range(8)]
    result = clean_text("\n".join(article + COMMENTS))
    assert result.body == article[2:]


def test_a_sentence_announcing_a_list_is_prose():
    """The article's first paragraph may end with a colon, introducing what follows."""
    lines = [TIDES_ARTICLE[0], "By Jane Doe, May 3, 2012",
             "Old texts tell of the tides in many ways, and of these ways one in particular stands out:",
             *TIDES_ARTICLE[1:]]
    assert clean_text("\n".join(lines)).body == lines[2:]


def test_an_embedded_post_at_the_end_stays_with_the_article():
    """An embedded post (its text, then "— Name (@handle) date") belongs to the article."""
    post = ["Who are we as a nation if we answer threats with threats? pic.twitter.com/abc123",
            "— Some Person (@person) November 19, 2019"]
    result = clean_text("\n".join(TIDES_ARTICLE + post + ["Tags", "Privacy", "Contact us"]))
    assert result.body == TIDES_ARTICLE[1:] + [post[0], post[1].lstrip("— ")]


def test_a_numbered_list_the_article_ends_in_stays_whole():
    """Items that go on with the numbering of the article's last item are the article's."""
    items = [f"{n}) Item number {n}, a box set of films that is offered at half of its price this week."
             for n in range(1, 4)] + [f"{n}) Item number {n}, a box set" for n in range(4, 13)]
    lines = TIDES_ARTICLE + [line for item in items for line in (item, "http://amzn.to/x")] + ["Tags", "Search"]
    body = clean_text("\n".join(lines)).body
    assert body[-1] == items[-1]
    assert all(item in body for item in items)


def test_a_caption_printed_under_every_photo_is_kept_once():
    """A gallery prints the same long caption under each of its photos: its later copies go."""
    caption = "The harbour at low tide, seen from the old lighthouse on the hill above the town, in May 2012"
    lines = [*TIDES_ARTICLE[:2], caption, TIDES_ARTICLE[2], caption, TIDES_ARTICLE[3], caption, TIDES_ARTICLE[1]]
    result = clean_text("\n".join(lines))
    assert result.body.count(caption) == 1
    assert [r.reason for r in result.removed if r.text == caption] == ["repeated", "repeated"]
    assert all(line in result.body for line in TIDES_ARTICLE[2:])


def test_a_paragraph_ending_in_a_source_tag_is_prose():
    """"... on the same screen. [via]": the sentence ends before the tag; a headline with a
    tag ("It's Complicated [Bloomberg]") stays a link."""
    prose, link = text_module.split_lines("\n".join([
        "The set has a new remote and apps, and a feature that lets two gamers play on the same screen. [via]",
        "Why Can't the Singer Perform Her Own Songs? It's Complicated [Bloomberg]"]))
    assert prose.prose and not link.prose


def test_a_photo_post_without_prose_is_found_under_its_headline():
    """A post of a photo and a line or two (no prose) beats the blog's blurb in the sidebar:
    the first line of some length under the headline takes the headline's bonus."""
    lines = ["Paper boats that sail - Jane's Craft Blog", "Home", "Archives",
             "About this blog: I write about crafts, paper, glue and scissors, and teach children to make things.",
             "Search", *[f"Tag {n}" for n in range(12)],
             "Paper boats that sail", "Folded from one sheet and waxed, they float", "via example.org",
             "Posted by Jane", *[f"Archive {n}" for n in range(12)]]
    assert clean_text("\n".join(lines)).body == ["Folded from one sheet and waxed, they float"]


@pytest.mark.parametrize("bio", [["Jane Doe is a reporter for the paper. She covers the sea and the weather."],
                                 ["Jane Doe", "Jane joined the paper in 2017 and has covered the sea since then."]])
def test_the_authors_biography_at_the_end_is_cut(bio):
    """A last paragraph opening with the author's name and a verb in the third person."""
    lines = [TIDES_ARTICLE[0], "By Jane Doe", *TIDES_ARTICLE[1:], *bio, "Contact", "Privacy"]
    result = clean_text("\n".join(lines))
    assert result.body == TIDES_ARTICLE[1:]
    assert {r.text: r.reason for r in result.removed}[bio[-1]] == "author"


def test_a_paragraph_about_someone_else_stays():
    lines = [TIDES_ARTICLE[0], "By Jane Doe", *TIDES_ARTICLE[1:],
             "Newton is the scientist who first explained the tides, in his book of 1687 on motion."]
    assert clean_text("\n".join(lines)).body == lines[2:]


@given(st.text(st.sampled_from("(@a \n’"), max_size=30))
def test_a_bracketed_handle_is_found_wherever_it_stands(text):
    assert text_module._has_bracketed_handle(text) == ("(@" in text)


_UNTIDY_ALPHABET = st.sampled_from(list("ab .\n\r\t\x0b\x1f\xa0\u2009\u3000\x00\x85\xad\u200b\ufeffé’\ufdd0")
                                   + ["\ud800", "  ", "\U000e0041", "\U0001f600"])


@settings(max_examples=500, deadline=None)
@given(st.lists(_UNTIDY_ALPHABET, max_size=60).map("".join))
def test_lines_are_as_if_each_were_tidied(text):
    """The one pass looking for odd spacing and invisible characters leaves untidied only pages
    whose lines tidying would not change."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    tidied = [" ".join(text_module._INVISIBLE.sub("", line).split()) for line in lines]
    assert [line.text for line in text_module.split_lines(text)] == [line for line in tidied if line]


def test_a_line_without_spaces_counts_its_words_by_length_even_with_a_latin_name_inside():
    """Japanese or Chinese text is written without spaces; a product name in Latin letters
    inside ("Kindle for PC") must not make a paragraph count as three words."""
    line = "そんな用途を考慮してか、Kindle for PCにはデスクトップアプリが用意されています。今回はそのアプリの設定を変える方法です。"
    (split,) = text_module.split_lines(line)
    assert split.words == len(line) // 3 and split.prose
    (latin,) = text_module.split_lines("Él estaba en la escuela con sus compañeros de clase, según dijo.")
    assert latin.words == 12


def test_a_question_put_to_several_people_is_kept_each_time():
    question, short = "What inspired you to start writing about food and cooking for a page of your own?", "Why?"
    lines = [TIDES_ARTICLE[0], *[line for n in range(3) for line in (
        f"Cook number {n}", question,
        f"Answer number {n}: my grandmother, who cooked for the whole village every Sunday of the year.",
        short, f"Because she said so, {n} times, and she was right about that as about everything else.")]]
    body = clean_text("\n".join(lines)).body
    assert body.count(question) == body.count(short) == 3


def test_a_comment_count_with_a_prompt_is_a_comments_heading():
    """"{ 17 comments… read them below or add one }": the count, whatever follows it."""
    rules = default_rules()
    assert rules.classify("{ 17 comments… read them below or add one }") == ("comments", True)
    assert rules.classify("3 responses to this post") == ("comments", True)


def test_an_article_half_as_heavy_as_the_thread_below_its_comments_heading_stays():
    """Comments with no dates in them (a name, then the comment) that outweigh the article
    under a comments heading do not take its place, when the article weighs half as much."""
    article = [TIDES_ARTICLE[0], *TIDES_ARTICLE[1:],
               "The tides rise highest when the sun and the moon pull along the same line, twice a month."]
    comments = ["{ 4 comments }"]
    for name in ["Chris Long", "John Brown", "Matt Wood", "Ann Lee"]:
        comments += [name, f"I always wondered about this, {name} writes, and found the story fascinating to read.",
                     "My grandfather told me about the tides when I was a small child, and I never forgot it."]
    assert clean_text("\n".join(article + comments)).body == article[1:]


def test_a_list_the_text_announces_stays_with_the_article():
    """Items under a line ending in a colon, each longer than a menu item and no sentence,
    end no article: they score as a list's items, not as menu lines."""
    items = ["Eight ripe pears, cored and peeled and cut", "One lemon or a quarter cup of lemon juice",
             "Six spoons of fruit pectin powder from the shop"]
    lines = [*TIDES_ARTICLE, "You will need:", *items, "Home", "Contact", "Privacy"]
    assert clean_text("\n".join(lines)).body == [*TIDES_ARTICLE[1:], "You will need:", *items]


def test_the_article_starts_under_its_headline():
    """A run reaching above the headline (a menu's blurbs glued to its items) starts under it
    when less prose lies above the headline than below it; the headline is the title."""
    headline = "Tide tables and the moon"
    lines = [f"{headline} | The Sea Blog", "Home",
             "BooksJuly, 2009: my guide to the coast is out and selling, and the table of contents is below.",
             "Podcast", "Ask me",
             "AboutJane Doe Jane Doe is the author of a guide to the coast and hosts a podcast about the sea.",
             headline, *TIDES_ARTICLE[1:], "Contact", "Privacy"]
    result = clean_text("\n".join(lines))
    assert result.body == TIDES_ARTICLE[1:]
    assert result.title == headline


@pytest.mark.parametrize("line, reason", [
    ("CLICK HERE TO GET THE EXAMPLE NEWS APP", "newsletter"),
    ("Join our Sea Forums to keep talking about the tides, the moon and more!", "newsletter"),
    ("Get Boat Monthly delivered through your letterbox every month. 12 issues for £11.99.", "newsletter"),
    ("Need more sea? Subscribe to our sister title for the latest news from the coast!", "newsletter"),
    ("Image caption The mayor said the decision had been taken after interviews", "caption"),
    ("Media captionThe mayor being led from the town hall", "caption"),
    ("Image copyright Reuters", "caption"),
    ("Divers at work on the harbour wall in Dover, June 13, 2012. (AP)", "caption"),
    ("The Sea Paper may earn an Affiliate Commission if you buy something through links in this article.", "ad"),
    ("Ten ways to cook leeks this winter »", "related"),
    ("Read now ›", "related"),
    ("The harbour wall gets its repair in the spring, the town says Read more...", "related"),
])
def test_promotions_captions_and_links_inside_the_article_are_removed(line, reason):
    lines = [*TIDES_ARTICLE[:3], line, *TIDES_ARTICLE[3:]]
    result = clean_text("\n".join(lines))
    assert result.body == TIDES_ARTICLE[1:]
    assert {r.text: r.reason for r in result.removed}[line] == reason


def test_a_long_caption_is_judged_by_the_patterns():
    """A caption of 250-300 characters (an agency's "In this ... file photo, ...") is still a
    caption; only longer lines are left to the phrases."""
    caption = ("In this Dec. 12, 2006, file photo, made available by the agency, two divers work on the "
               "harbour wall during low tide, while a third waits on the boat with the tools they need for "
               "the repair of the old stones, which the storms of the winter before had loosened along the quay.")
    assert 250 < len(caption) <= text_module.Tuning().pattern_max_chars
    lines = [*TIDES_ARTICLE[:3], caption, *TIDES_ARTICLE[3:]]
    assert clean_text("\n".join(lines)).body == TIDES_ARTICLE[1:]


@pytest.mark.parametrize("line, reason", [
    ("previous post: Paper boats that sail", "navigation"),
    ("Filed Under: Crafts, Paper · Tagged With: boats, summer", "navigation"),
    ("Posted in: Crafts |", "navigation"),
    ("This entry was posted on Monday, November 5th, 2012 at 11:18 am and is filed under Crafts. You can follow "
     "any responses to this entry through the RSS 2.0 feed.", "comments"),
    ("Be Sociable, Share!", "share"),
])
def test_a_blogs_furniture_under_the_post_is_cruft(line, reason):
    assert default_rules().classify(line.lower()) == (reason, False)


def test_a_sentence_opening_with_published_in_stays():
    assert default_rules().classify("published in 1990, the book sold a million copies in its first year.") is None


def test_a_quotation_in_guillemets_stays():
    line = "Le maire a répondu aux pêcheurs du port : « Nous réparerons le mur avant la fin de l'hiver »"
    assert default_rules().classify(line.lower()) is None


def test_a_paragraph_the_page_title_repeats_is_no_headline_to_start_under():
    """A page printing one paragraph three times keeps it once: the first line (the page
    title) repeats it, but a paragraph is no heading the article starts under."""
    line = "The council met on Tuesday evening and agreed to repair the old bridge before the winter."
    assert clean_text("\n".join([line] * 3)).body == [line]
