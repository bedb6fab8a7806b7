from convene.text import markdown_to_text, render_markdown


def test_markdown_renders_the_usual_things():
    html = str(
        render_markdown(
            "# Agenda\n\n- **data** and *performance*\n- [notes](https://example.org/n)"
        )
    )
    assert "<h1>Agenda</h1>" in html and "<strong>data</strong>" in html
    assert '<a href="https://example.org/n" rel="noopener noreferrer nofollow">notes</a>' in html


def test_script_is_dropped_with_its_content():
    html = str(render_markdown("before <script>alert('x')</script> after"))
    assert "<script" not in html and "alert" not in html
    assert "before" in html and "after" in html


def test_javascript_links_lose_their_target():
    for source in (
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "[click](JaVaScRiPt:alert(1))",
        "<javascript:alert(1)>",
    ):
        html = str(render_markdown(source))
        assert 'href="javascript' not in html.lower(), source


def test_raw_html_is_dropped():
    html = str(
        render_markdown(
            '<img src="x" onerror="alert(1)"> <b onclick="steal()">bold</b>\n\n'
            '<iframe src="https://evil.example"></iframe>\n\n<style>body{display:none}</style>'
        )
    )
    for fragment in ("<img", "onerror", "onclick", "<iframe", "<style", "display:none"):
        assert fragment not in html, fragment
    assert "bold" in html


def test_empty_source_is_empty():
    assert str(render_markdown(None)) == "" and markdown_to_text(None) == ""


def test_markdown_to_text_strips_html_and_keeps_characters():
    assert markdown_to_text("Data & <b>performance</b> < 5 <script>x</script>") == (
        "Data & performance < 5"
    )


def test_counts_read_with_the_word_that_agrees():
    from convene.text import plural

    assert plural(1, "vote") == "1 vote"
    assert plural(2, "vote") == "2 votes"
    assert plural(1040, "person", "people") == "1,040 people"
    assert plural(0, "vote") == "0 votes"
    assert plural(0, "vote", zero="no") == "no votes"
