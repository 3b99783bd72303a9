"""decode_text: BOMs, declared charsets, UTF-8, detection, and refusing binary."""
import codecs

import pytest

from decruft.read.decode import DecodeError, decode_text, looks_binary, sniff_declared_charset

WESTERN = "Il était une fois une très belle histoire à raconter — fin. “Quotes” cost 5 €. Grüße aus München."


@pytest.mark.parametrize(
    ("bom", "codec", "name"),
    [
        (codecs.BOM_UTF8, "utf-8", "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32-le"),
    ],
)
def test_bom_wins_and_is_stripped(bom: bytes, codec: str, name: str) -> None:
    assert decode_text(bom + "naïve ✓".encode(codec), declared="iso-8859-1") == ("naïve ✓", name)


def test_declared_charset_is_used() -> None:
    assert decode_text("Ceská".encode("iso-8859-2"), declared="iso-8859-2")[1] == "iso8859-2"


def test_meta_charset_is_sniffed() -> None:
    page = '<html><head><meta charset="iso-8859-1"></head><p>café “x”</p></html>'.encode("cp1252")
    text, encoding = decode_text(page)
    assert "café “x”" in text and encoding == "cp1252"


def test_meta_http_equiv_is_sniffed() -> None:
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>'
    assert sniff_declared_charset(page) == "windows-1251"
    assert "Привет" in decode_text(page)[0]


def test_wrong_declaration_falls_through_to_utf8() -> None:
    text, encoding = decode_text("Ελληνικά κείμενο".encode(), declared="ascii")
    assert (text, encoding) == ("Ελληνικά κείμενο", "utf-8")


def test_windows_1252_and_latin1_come_out_right() -> None:
    assert decode_text(WESTERN.encode("cp1252")) == (WESTERN, "cp1252")
    latin = "Grüße aus München, schöne Straße. Ça va très bien, merci."
    assert decode_text(latin.encode("latin-1"))[0] == latin


def test_cyrillic_is_detected() -> None:
    text = "Привет мир, это тест кодировки текста в новостях"
    assert decode_text(text.encode("cp1251"))[0] == text


def test_utf16_without_bom() -> None:
    text = "Plain text in UTF-16 without a byte-order mark.\nSecond line."
    assert decode_text(text.encode("utf-16-le")) == (text, "utf-16-le")
    assert decode_text(text.encode("utf-16-be")) == (text, "utf-16-be")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_cjk_utf16_without_bom(codec: str) -> None:
    text = "这是一个没有字节顺序标记的中文文本，用于测试编码检测。\n" * 3
    assert decode_text(text.encode(codec)) == (text, codec)


def test_random_bytes_are_binary() -> None:
    assert looks_binary(bytes(range(256)) * 8)


def test_newlines_are_normalised() -> None:
    assert decode_text(b"a\r\nb\rc\nd")[0] == "a\nb\nc\nd"


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        b"%PDF-1.7\n" + bytes(range(256)),
        bytes(1000),
        bytes(range(32)) * 20,
        b"\x1f\x8b\x08\x00" + bytes(50),
    ],
)
def test_binary_is_refused(data: bytes) -> None:
    assert looks_binary(data)
    with pytest.raises(DecodeError, match="binary"):
        decode_text(data)


def test_text_is_not_binary() -> None:
    assert not looks_binary(WESTERN.encode())
    assert not looks_binary("text".encode("utf-16"))
    assert not looks_binary(b"")


def test_empty_input() -> None:
    assert decode_text(b"") == ("", "utf-8")
