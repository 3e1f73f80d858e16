<?xml version="1.0" encoding="utf-8"?>
<!-- No longer referenced: feeds point browsers at feed.css (browsers are removing XSLT). Kept
     so that feeds cached before that change still show as a page.
     Renders an Atom or RSS feed as a readable page when a person opens it in a browser.
     Feed readers ignore this stylesheet. A browser resolves the page's links against the
     feed's URL (/feed.atom, /tags/x/feed.rss, /archive/2026-01.atom), so the stylesheet's
     own folder is read from the feed's <?xml-stylesheet href="...feed.xsl"?> instruction. Text is copied with
     value-of only (never disable-output-escaping), so feed content cannot inject markup. -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes"
    doctype-system="about:legacy-compat"/>

  <xsl:variable name="pi" select="/processing-instruction('xml-stylesheet')"/>
  <xsl:variable name="static"
    select="substring-before(substring-after($pi, 'href=&quot;'), 'feed.xsl')"/>
  <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
  <xsl:variable name="subtitle" select="atom:feed/atom:subtitle | rss/channel/description"/>
  <xsl:variable name="self"
    select="atom:feed/atom:link[@rel='self']/@href | rss/channel/atom:link[@rel='self']/@href"/>
  <xsl:variable name="home"
    select="atom:feed/atom:link[@rel='alternate']/@href | rss/channel/link"/>
  <xsl:variable name="older"
    select="atom:feed/atom:link[@rel='prev-archive']/@href | rss/channel/atom:link[@rel='prev-archive']/@href"/>

  <xsl:template match="/">
    <html lang="{atom:feed/@xml:lang | rss/channel/language}">
      <head>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (web feed)</title>
        <link rel="stylesheet" href="{$static}style.css"/>
      </head>
      <body>
        <header class="site">
          <p><a href="{$home}"><xsl:value-of select="$title"/></a></p>
        </header>
        <main>
          <section class="feed-about">
            <h1>This is a web feed</h1>
            <p>A web feed (also called an RSS or Atom feed) lets a feed reader app tell you when
            <strong><xsl:value-of select="$title"/></strong> publishes something new, without
            visiting the site. This page is what the feed looks like to a person; feed readers
            see the same address as data.</p>
            <p>To subscribe, copy this address into your feed reader (for example NetNewsWire,
            Feedly, Inoreader, Thunderbird or Miniflux):</p>
            <p><code class="feed-url"><xsl:value-of select="$self"/></code></p>
            <p>New to feeds? <a href="https://aboutfeeds.com/">About Feeds</a> explains them in a
            few minutes.</p>
          </section>
          <h2>
            <xsl:choose>
              <xsl:when test="atom:feed/*[local-name()='archive'] | rss/channel/*[local-name()='archive']">Archived entries</xsl:when>
              <xsl:otherwise>Latest entries</xsl:otherwise>
            </xsl:choose>
          </h2>
          <xsl:if test="$subtitle"><p class="subtitle"><xsl:value-of select="$subtitle"/></p></xsl:if>
          <xsl:apply-templates select="atom:feed/atom:entry | rss/channel/item"/>
          <xsl:if test="not(atom:feed/atom:entry | rss/channel/item)">
            <p>No entries yet.</p>
          </xsl:if>
          <xsl:if test="$older">
            <p class="pager"><a href="{$older}">Older entries</a></p>
          </xsl:if>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="atom:entry">
    <article class="summary">
      <h3><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h3>
      <p class="byline">
        <time datetime="{atom:published}"><xsl:value-of select="substring(atom:published, 1, 10)"/></time>
        <xsl:for-each select="atom:author">
          <xsl:text> · </xsl:text><xsl:value-of select="atom:name"/>
        </xsl:for-each>
      </p>
      <p><xsl:value-of select="atom:summary"/></p>
    </article>
  </xsl:template>

  <xsl:template match="item">
    <article class="summary">
      <h3><a href="{link}"><xsl:value-of select="title"/></a></h3>
      <p class="byline">
        <xsl:value-of select="pubDate"/>
        <xsl:for-each select="*[local-name()='creator']">
          <xsl:text> · </xsl:text><xsl:value-of select="."/>
        </xsl:for-each>
      </p>
      <!-- description is the plain-text summary escaped as HTML: undo that escaping -->
      <p>
        <xsl:call-template name="replace">
          <xsl:with-param name="text">
            <xsl:call-template name="replace">
              <xsl:with-param name="text">
                <xsl:call-template name="replace">
                  <xsl:with-param name="text" select="description"/>
                  <xsl:with-param name="from" select="'&amp;lt;'"/>
                  <xsl:with-param name="to" select="'&lt;'"/>
                </xsl:call-template>
              </xsl:with-param>
              <xsl:with-param name="from" select="'&amp;gt;'"/>
              <xsl:with-param name="to" select="'&gt;'"/>
            </xsl:call-template>
          </xsl:with-param>
          <xsl:with-param name="from" select="'&amp;amp;'"/>
          <xsl:with-param name="to" select="'&amp;'"/>
        </xsl:call-template>
      </p>
    </article>
  </xsl:template>

  <xsl:template name="replace">
    <xsl:param name="text"/>
    <xsl:param name="from"/>
    <xsl:param name="to"/>
    <xsl:choose>
      <xsl:when test="contains($text, $from)">
        <xsl:value-of select="substring-before($text, $from)"/>
        <xsl:value-of select="$to"/>
        <xsl:call-template name="replace">
          <xsl:with-param name="text" select="substring-after($text, $from)"/>
          <xsl:with-param name="from" select="$from"/>
          <xsl:with-param name="to" select="$to"/>
        </xsl:call-template>
      </xsl:when>
      <xsl:otherwise><xsl:value-of select="$text"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
