"""Every reason code decruft writes, with its meaning: one registry for the whole pipeline.

``LineReason`` is why a line left the body (the articles' ``removed.reason``): the rule
concepts (``extract/rules/*.toml``, one file per concept), the outlet profiles' cruft
reasons, and the cleaner's own structural judgements. ``RejectReason`` is why an input gave
no article (the rejects' ``reason``). ``SkipReason`` is why a container record (a WARC
record) is not a page: counted in a run's report, never a row. All are ``str`` enums, so a
code is written and compared as the plain string it is; docs/schema.md lists exactly these
(a test keeps both in step), and a profile naming another reason is refused when it loads.
"""
from __future__ import annotations

from enum import StrEnum


class Code(StrEnum):
    """A code with its meaning (``.meaning``), as docs/schema.md prints it."""

    def __new__(cls, code: str, meaning: str) -> Code:
        member = str.__new__(cls, code)
        member._value_ = code
        member.meaning = meaning
        return member


class LineReason(Code):
    """Why a line was removed (``removed.reason``)."""

    TITLE = "title", "the headline (it goes to `title`)"
    DESCRIPTION = "description", "the standfirst under the headline (it goes to `description`)"
    SECTION = "section", "the section label above the headline (it goes to `section`)"
    DATE = "date", "the publication date line (it goes to `published_*`, `date_raw`)"
    BYLINE = "byline", "a byline (its names go to `authors`)"
    CREDIT = "credit", "a credit line such as `mkg/rc (Reuters, AFP)` (agencies go to `agencies`)"
    URL = "url", "a bare URL (the first one goes to `url` when no other URL is known)"
    NAVIGATION = "navigation", "a skip link, menu or breadcrumb"
    LOGIN = "login", "a login, registration or paywall prompt or form"
    COOKIE = "cookie", "a cookie or consent notice"
    SHARE = "share", "a share or follow prompt"
    NEWSLETTER = "newsletter", "a newsletter sign-up"
    SIGNUP = "signup", "an outlet's own sign-up or membership prompt (outlet profiles)"
    PROMO = "promo", "an outlet's promotion of its own services (outlet profiles)"
    CAPTION = "caption", "an image caption or photo credit"
    RELATED = "related", "a related / more stories / most read block, or a link teaser"
    ERROR_PAGE = "error_page", 'error-page text ("This page is not available")'
    COMMENTS = "comments", "a comment section"
    AUTHOR = "author", ("a box about the author below the article: an \"About the author\" heading and the "
                        "biography under it, or a last paragraph on the author (\"Jane Doe is a reporter ...\")")
    LEGAL = "legal", "a copyright or legal footer"
    AD = "ad", "an advertisement marker"
    BOILERPLATE = "boilerplate", ("a line recurring across many documents of the same outlet (the learnt "
                                  "table, see docs/operations.md)")
    REPEATED = "repeated", "a short line repeated within the document, or a later copy of a longer one"
    HEADER = "header", "a line above the article that is none of the above (menus, labels)"
    FOOTER = "footer", "a line below the article that is none of the above"
    LINK_LIST = "link_list", "a run of short lines inside the article (a list of links)"
    LANGUAGE = "language", "a short line in another language or script than the article (a caption, a label)"
    TIMESTAMP = "timestamp", "a bare date or time line outside the header zone"


class RejectReason(Code):
    """Why an input gave no article (``rejects.reason``)."""

    EMPTY = "empty", "the file (or record) is empty or only whitespace"
    BINARY = "binary", "the bytes are not text (an image, an archive, random bytes)"
    DECODE_ERROR = "decode_error", ("the bytes could not be decoded as text in any encoding, or the page "
                                    "declares a charset that is not a text encoding (`base64`, `zlib`, ...)")
    TOO_LARGE = "too_large", ("a single page over the file size limit, or a page or container record (JSON "
                              "line, WARC record) over the document size limit")
    DECOMPRESSION_LIMIT = "decompression_limit", ("a compressed file inflates past the decompression limit "
                                                  "(a container's records before that point are kept)")
    PARSE_ERROR = "parse_error", ("a container could not be parsed (broken or too deeply nested JSON line, "
                                  "cut WARC, bad chunked encoding, truncated gzip)")
    NO_CONTENT = "no_content", ("no article text was left after cleaning, or a container (WARC, JSON Lines) "
                                "holds no page at all (`detail` counts its records by kind)")
    ERROR_PAGE = "error_page", 'the page is an error page ("page not found")'
    DUPLICATE = "duplicate", ("the same bytes are also under an earlier path (in path order); `detail` "
                              "names that path and its `doc_id`")
    SYMLINK_OUTSIDE_ROOT = "symlink_outside_root", "a symlink leading outside the raw folder (not followed)"
    UNREADABLE = "unreadable", "the file could not be read (permissions, I/O error)"
    TOO_MANY_REJECTS = "too_many_rejects", ("a container's rejected records after its first 1,000: one row "
                                            "for the rest, `detail` counts them by reason")
    BAD_FILE_NAME = "bad_file_name", ("the file's name is not valid UTF-8, so no output can name it "
                                      "(`source_path` shows the bad bytes as `\\xNN`)")
    TIMEOUT = "timeout", "processing the document took longer than the per-document limit and was stopped"
    ERROR = "error", ("reading the file or processing the document raised an unexpected error, recursed too "
                      "deeply or ran out of memory (`detail` says which and where); the rest of the batch "
                      "goes on")


class SkipReason(Code):
    """Why a container record is not a page (counted in the run report, never a row)."""

    NOT_RESPONSE = "not_response", "a WARC record that is no response or resource (request, warcinfo, metadata)"
    NOT_HTML = "not_html", "a WARC response whose content is not HTML (an image, a script, a PDF)"
    HTTP_STATUS = "http_status", "a WARC response whose HTTP status is not 2xx (a redirect, an error)"
