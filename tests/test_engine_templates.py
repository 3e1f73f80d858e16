"""Template syntax expanded to its meaning, never run, never shown raw (issue 13, item 5).

Rules: Jekyll's Liquid tags (jekyllrb.com/docs/liquid/tags/: highlight, link,
post_url; filters relative_url, absolute_url), Jekyll's `raw` and `comment`
(Liquid), Hugo's embedded shortcodes (gohugo.io/content-management/shortcodes/:
figure, gist, highlight, ref, relref, vimeo, youtube, x/tweet).
"""

from __future__ import annotations

import pytest

from feedsvc.reading.engines.templates import expand


def _expand(body: str) -> tuple[str, list[str], int]:
    out, problems, removed = expand("p.md", body, 10, lambda ref: f"posts/{ref}/")
    return out, [f"{p.line}: {p.message}" for p in problems], removed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{{< ref "other.md" >}}', "/posts/other.md/"),
        ('{{< relref "other" >}}', "/posts/other/"),
        ("{% post_url 2024-01-01-x %}", "/posts/2024-01-01-x/"),
        ("{% link _posts/x.md %}", "/posts/_posts/x.md/"),
        ('{{ "/a.png" | relative_url }}', "/a.png"),
        ("{{< youtube w7Ft2ymGmfc >}}", "https://www.youtube.com/watch?v=w7Ft2ymGmfc"),
        ('{{< youtube id="w7Ft2ymGmfc" >}}', "https://www.youtube.com/watch?v=w7Ft2ymGmfc"),
        ("{{< vimeo 55073825 >}}", "https://vimeo.com/55073825"),
        ("{{< gist spf13 7896402 >}}", "https://gist.github.com/spf13/7896402"),
        (
            "{% gist parkr/931c1c8d465a04042403 %}",
            "https://gist.github.com/parkr/931c1c8d465a04042403",
        ),
        (
            '{{< tweet user="SanDiegoZoo" id="1453110110599868418" >}}',
            "/SanDiegoZoo/status/1453110110599868418",
        ),
        (  # Hugo docs, shortcodes/x: the x shortcode embeds the post x.com/USER/status/ID
            '{{< x user="SanDiegoZoo" id="1453110110599868418" >}}',
            '<a href="https://x.com/SanDiegoZoo/status/1453110110599868418">',
        ),
        (
            '{{< figure src="elephant.jpg" caption="An elephant" >}}',
            "<figcaption>An elephant</figcaption>",
        ),
    ],
)
def test_links_and_embeds_become_their_meaning(body: str, expected: str) -> None:
    out, problems, removed = _expand(body)
    assert expected in out and not problems and removed == 0
    assert "{{" not in out and "{%" not in out


def test_highlight_blocks_become_fenced_code() -> None:
    out, _, _ = _expand('{{< highlight go >}}\nfmt.Println("x")\n{{< /highlight >}}\n')
    assert out.startswith('```go\nfmt.Println("x")\n```')


def test_raw_keeps_its_text_and_comment_goes() -> None:
    out, problems, _ = _expand(
        "{% raw %}{{ page.title }}{% endraw %}{% comment %}x{% endcomment %}"
    )
    assert out == "{{ page.title }}" and not problems


def test_other_tags_are_removed_with_a_warning_keeping_enclosed_text() -> None:
    out, problems, removed = _expand(
        "One\n{{% notice tip %}}Mind the gap{{% /notice %}}\n{{ site.title }}"
    )
    assert out == "One\nMind the gap\n"
    assert problems == [
        "11: template tag '{{% notice tip %}}' removed: notice",
        "12: template tag '{{ site.title }}' removed: site.title",
    ]
    assert removed == 2


def test_tags_are_never_run() -> None:
    out, _, _ = _expand('{% assign x = "1" | plus: 2 %}{{ x }}{% include evil.html %}')
    assert out == ""


def test_authors_written_as_markdown_links_are_their_names() -> None:
    from feedsvc.reading.engines.reader import authors_unlinked

    meta = {"author": "[Ines Marr](https://ines.example)", "authors": ["[Tomas](/t/)", "Lee"]}
    assert authors_unlinked(meta) == {"author": "Ines Marr", "authors": ["Tomas", "Lee"]}


@pytest.mark.parametrize(
    ("body", "url", "baseurl", "expected"),
    [
        # Jekyll filters (Liquid filters: relative_url prepends baseurl; absolute_url
        # prepends url and baseurl), each input given its leading slash.
        ('{{ "/assets/pier.png" | absolute_url }}', "https://harbour.example.org", "",
         "https://harbour.example.org/assets/pier.png"),
        ('{{ "assets/pier.png" | absolute_url }}', "https://harbour.example.org/", "/blog",
         "https://harbour.example.org/blog/assets/pier.png"),
        ("{{ '/feed.xml' | absolute_url }}", "https://harbour.example.org", "blog/",
         "https://harbour.example.org/blog/feed.xml"),
        # absolute_url without url in _config.yml is relative_url
        ('{{ "/assets/pier.png" | absolute_url }}', "", "/blog", "/blog/assets/pier.png"),
        # an absolute URL is left as it is
        ('{{ "https://other.example/x.png" | absolute_url }}', "https://harbour.example.org",
         "/blog", "https://other.example/x.png"),
        ('{{ "assets/pier.png" | relative_url }}', "https://harbour.example.org", "blog",
         "/blog/assets/pier.png"),
        ('{{ "assets/pier.png" | relative_url }}', "", "", "/assets/pier.png"),
    ],
)  # fmt: skip
def test_jekyll_url_filters(body: str, url: str, baseurl: str, expected: str) -> None:
    out, problems, removed = expand("p.md", body, 1, lambda ref: None, baseurl, url)
    assert (out, problems, removed) == (expected, [], 0)


def test_absolute_url_in_a_jekyll_post_is_the_sites_url(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Jekyll: absolute_url takes _config.yml's url and baseurl, read from the site."""
    from engine_sites import read_folder, rendered

    site = tmp_path / "blog"
    (site / "_posts").mkdir(parents=True)
    (site / "_config.yml").write_text('url: "https://harbour.example.org"\nbaseurl: /notes\n')
    (site / "_posts" / "2024-01-02-pier.md").write_text(
        '---\ntitle: Pier\n---\n![map]({{ "/assets/pier.png" | absolute_url }})\n'
    )
    article, text = read_folder(site)["_posts/2024-01-02-pier.md"]
    assert 'src="https://harbour.example.org/notes/assets/pier.png"' in rendered(article, text)[0]


@pytest.mark.parametrize(
    "body",
    [
        # Hugo docs, shortcodes/comment: Hugo ignores the text within these comments
        "Kept.\n{{% comment %}} rewrite the paragraph below {{% /comment %}}\nAlso kept.",
        "Kept.\n{{< comment >}}\nrewrite the paragraph below\n{{< /comment >}}\nAlso kept.",
    ],
)
def test_hugo_comment_shortcode_drops_its_text(body: str) -> None:
    out, problems, removed = _expand(body)
    assert "rewrite" not in out and "comment" not in out
    assert out.split() == ["Kept.", "Also", "kept."]
    assert (problems, removed) == ([], 0)


def test_hugo_escaped_shortcodes_are_shown_as_written() -> None:
    # Hugo docs, content-management/shortcodes (escaping): {{</* name */>}} is shown as
    # the text {{< name >}}, never called; the same for {{%/* name */%}}
    out, problems, removed = _expand(
        '{{</* x user="SanDiegoZoo" id="1" */>}} and {{%/* notice tip */%}}'
    )
    assert out == '{{< x user="SanDiegoZoo" id="1" >}} and {{% notice tip %}}'
    assert (problems, removed) == ([], 0)


def test_a_warning_names_the_tags_line_after_comments_raw_and_highlight_blocks() -> None:
    # Bad input names its file and line (BRIEF): blocks expanded before a tag (Liquid
    # comment, highlight, raw) must not move the line a later tag's warning names
    body = (
        "Line\n{% comment %}\nA\nB\n{% endcomment %}\n{% highlight py %}\nx = 1\ny = 2\n"
        "{% endhighlight %}\n{% raw %}\n{{ a }}\n{% endraw %}\n{% foo %}\n"
    )
    out, problems, removed = _expand(body)  # the body starts on line 10
    assert problems == ["22: template tag '{% foo %}' removed: foo"]
    assert out == "Line\n\n```py\nx = 1\ny = 2\n```\n\n{{ a }}\n\n\n"
