# A Pelican site written for feedsvc's tests (issue 13). Read as data, never run.
import os

AUTHOR = "Ines Marr"
SITENAME = "Harbour Notes"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Lisbon"
DEFAULT_LANG = "en"
ARTICLE_URL = "posts/{date:%Y}/{date:%m}/{slug}/"
ARTICLE_LANG_URL = "{lang}/posts/{date:%Y}/{slug}/"
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["images"]
THEME = os.path.join(os.path.dirname(__file__), "themes", "plain")
