"""Question files for the bank tests, written here (Moodle XML as Moodle exports it)."""

from __future__ import annotations


def _tags(*tags: str) -> str:
    return "<tags>" + "".join(f"<tag><text>{t}</text></tag>" for t in tags) + "</tags>"


def moodle_bank(tag: str) -> bytes:
    """Two categories under `tag` (tests share the PostgreSQL database: content hashes and topics
    must be their own); a cloze with an HTML stem, two single-choice questions, a short answer."""
    cloze = ('<question type="cloze"><name><text>Thủ đô</text></name><questiontext format="html"><text><![CDATA['
             f"<p><b>Thủ đô</b> ({tag}) của Việt Nam là {{1:MULTICHOICE:=Hà Nội~Huế~Đà Nẵng}}, "
             "có {1:NUMERICAL:=1000:0} năm tuổi và sông {1:SHORTANSWER:=Hồng}.</p>]]></text></questiontext>"
             f"<defaultgrade>3</defaultgrade>{_tags('difficulty:TH', 'địa lí')}</question>")
    choice = ('<question type="multichoice"><name><text>{name}</text></name>'
              '<questiontext format="html"><text><![CDATA[<p>{stem}</p>]]></text></questiontext>'
              "<defaultgrade>1.5</defaultgrade><single>true</single><shuffleanswers>0</shuffleanswers>"
              '<answer fraction="100"><text>{right}</text></answer><answer fraction="0"><text>{wrong}</text></answer>'
              "{tags}</question>")
    short = ('<question type="shortanswer"><name><text>Sông</text></name><questiontext format="html">'
             f"<text>Sông dài nhất Việt Nam? ({tag})</text></questiontext><defaultgrade>1</defaultgrade>"
             '<answer fraction="100"><text>Mê Kông</text></answer>' + _tags("difficulty:NB") + "</question>")
    body = (
        '<question type="category"><category><text>$course$/top/' + tag + '/Địa lí</text></category></question>'
        + cloze + short
        + '<question type="category"><category><text>$course$/top/' + tag + '/Toán</text></category></question>'
        + choice.format(name="Cộng", stem=f"1 + 1 = ? ({tag})", right="2", wrong="3", tags=_tags("difficulty:NB", "số học"))
        + choice.format(name="Nhân", stem=f"2 × 3 = ? ({tag})", right="6", wrong="5", tags=_tags("difficulty:VD", "số học"))
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><quiz>{body}</quiz>'.encode()


def refused_bank() -> bytes:
    """One good question and two Moodle refuses (a grade Moodle does not allow; no 100 % answer)."""
    good = ('<question type="shortanswer"><name><text>Tốt</text></name><questiontext format="html">'
            '<text>Một cộng một?</text></questiontext><answer fraction="100"><text>2</text></answer></question>')
    bad_grade = ('<question type="multichoice"><name><text>Sai tỉ lệ</text></name><questiontext format="html">'
                 "<text>Chọn các số chẵn</text></questiontext><single>false</single>"
                 '<answer fraction="33"><text>2</text></answer><answer fraction="33"><text>4</text></answer>'
                 '<answer fraction="34"><text>6</text></answer><answer fraction="0"><text>3</text></answer></question>')
    no_right = ('<question type="multichoice"><name><text>Không đúng</text></name><questiontext format="html">'
                "<text>Chọn một</text></questiontext><single>true</single>"
                '<answer fraction="50"><text>A</text></answer><answer fraction="0"><text>B</text></answer></question>')
    return f'<?xml version="1.0" encoding="UTF-8"?><quiz>{good}{bad_grade}{no_right}</quiz>'.encode()


def hostile_bank(tag: str) -> bytes:
    """A stem carrying script and event handlers: the preview must show the text, run nothing."""
    stem = (f"<p>An toàn {tag} <img src=\"x\" onerror=\"window.__pwned=1\"><script>window.__pwned=2</script>"
            "<a href=\"javascript:window.__pwned=3\">liên kết</a> là {1:SHORTANSWER:=có}</p>")
    return ('<?xml version="1.0" encoding="UTF-8"?><quiz><question type="category"><category><text>$course$/top/'
            f"{tag}/Nguy hiểm</text></category></question><question type=\"cloze\"><name><text>XSS</text></name>"
            f'<questiontext format="html"><text><![CDATA[{stem}]]></text></questiontext></question></quiz>').encode()


def with_padding(data: bytes, tag: str, n: int) -> bytes:
    """The same file with `n` extra short-answer questions (a file big enough to watch upload)."""
    extra = f'<question type="category"><category><text>$course$/top/{tag}/Thêm</text></category></question>'
    extra += "".join(
        f'<question type="shortanswer"><name><text>Thêm {i}</text></name><questiontext format="html">'
        f"<text>Câu thêm {i} ({tag}): {'chữ ' * 200}</text></questiontext>"
        f'<answer fraction="100"><text>{i}</text></answer></question>' for i in range(n))
    return data.replace(b"</quiz>", extra.encode() + b"</quiz>")
