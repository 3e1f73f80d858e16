<?xml version="1.0" encoding="utf-8"?>
<!-- Renders an Atom or RSS feed as a readable page when a person opens it in a browser.
     Feed readers ignore this stylesheet. -->
<xsl:stylesheet version="1.0"
  xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:atom="http://www.w3.org/2005/Atom"
  exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="utf-8" indent="yes"/>
  <xsl:template match="/">
    <xsl:variable name="title" select="atom:feed/atom:title | rss/channel/title"/>
    <xsl:variable name="self" select="atom:feed/atom:link[@rel='self']/@href | rss/channel/atom:link[@rel='self']/@href"/>
    <html>
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <link rel="stylesheet" href="style.css"/>
      </head>
      <body>
        <header class="site">
          <p><strong>This is a web feed</strong>, also known as an RSS or Atom feed.
          Subscribe by copying the address below into your feed reader.</p>
          <p><code><xsl:value-of select="$self"/></code></p>
        </header>
        <main>
          <h1><xsl:value-of select="$title"/></h1>
          <xsl:for-each select="atom:feed/atom:entry | rss/channel/item">
            <article class="summary">
              <h2><a href="{atom:link[@rel='alternate']/@href | link}"><xsl:value-of select="atom:title | title"/></a></h2>
              <p class="byline"><xsl:value-of select="atom:published | pubDate"/></p>
              <p><xsl:value-of select="atom:summary | description"/></p>
            </article>
          </xsl:for-each>
        </main>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
