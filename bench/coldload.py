"""Cold load of generated Markdown corpora: feedsvc against Pelican's feed-only build.

For each size (100, 1,000, 10,000 and 100,000 articles by default) the script writes a
corpus of Markdown files with front matter (title, date, tags, author, slug),
a few paragraphs, links and lists, then, in the same run and on the same
files, measures:

- feedsvc: a fresh process that creates the app (Publisher, catalog scan with
  a new, empty state store) and renders /feed.atom through the test client;
- feedsvc warm: the same again on the state store the cold load left (a
  restart), and the store file's size against the corpus's bytes;
- Pelican: a fresh ``pelican`` process building only the all-articles Atom
  feed (no theme pages: DIRECT_TEMPLATES = [] and every *_SAVE_AS empty), up
  to --pelican-max articles (10,000: Pelican takes minutes beyond).

Both are also run on an empty folder first: that is each side's fixed cost
(interpreter, imports, set-up), and the "marginal memory" ratio compares what
the articles themselves add: (peak - empty peak) against Pelican's.

Each run is a fresh subprocess measured by a small wrapper process, so the
peak RSS (``getrusage(RUSAGE_CHILDREN).ru_maxrss``) is that one run's. Times
are wall-clock including interpreter start-up; CPU time (user + sys of the
run) is printed too, as it is steadier on a busy machine. Medians over the
repeats and the feedsvc/Pelican ratios are printed.

Pelican is installed into its own virtual environment outside the repository
(default /tmp/feedsvc-bench/pelican-venv), created when missing.

    python bench/coldload.py                 # 100, 1000, 10000, 100000; 3 repeats
    python bench/coldload.py --smoke         # 100 articles, 1 repeat, seconds
    python bench/coldload.py --sizes 10000 --repeats 5
    python bench/coldload.py --sizes 100000 --repeats 1 --no-pelican --serve-restart --uncached

``--uncached`` adds two cold starts of `feedsvc serve`, one with the files' pages
in the system's page cache and one with that cache dropped first (as after a boot;
it needs root), and prints their ratio; ``--smoke`` runs them at 100 articles.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = [
    "harbour",
    "bridge",
    "ferry",
    "market",
    "library",
    "river",
    "council",
    "tram",
    "night",
    "city",
    "budget",
    "street",
    "volunteer",
    "school",
    "weather",
    "festival",
    "museum",
    "garden",
    "station",
    "port",
    "museum",
    "square",
    "bakery",
    "report",
    "mayor",
    "plan",
    "traffic",
    "cycle",
    "lane",
    "park",
    "summer",
    "winter",
    "autumn",
    "spring",
    "water",
    "light",
]
TAGS = [f"topic {name}" for name in WORDS[:30]]
CORPUS_VERSION = "2"  # change whenever article_text changes, so old corpora are rewritten
PELICAN_CONF = """\
AUTHOR = "Bench"
SITENAME = "bench"
SITEURL = "http://bench.example.org"
FEED_DOMAIN = SITEURL
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
FEED_ALL_ATOM = "feed.atom"
FEED_ATOM = None
FEED_RSS = None
FEED_ALL_RSS = None
CATEGORY_FEED_ATOM = None
CATEGORY_FEED_RSS = None
TAG_FEED_ATOM = None
TAG_FEED_RSS = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
TRANSLATION_FEED_RSS = None
FEED_MAX_ITEMS = 50
DIRECT_TEMPLATES = []
PAGINATED_TEMPLATES = {}
ARTICLE_SAVE_AS = ""
ARTICLE_LANG_SAVE_AS = ""
DRAFT_SAVE_AS = ""
DRAFT_LANG_SAVE_AS = ""
PAGE_SAVE_AS = ""
PAGE_LANG_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""
DRAFT_PAGE_LANG_SAVE_AS = ""
CATEGORY_SAVE_AS = ""
TAG_SAVE_AS = ""
AUTHOR_SAVE_AS = ""
ARCHIVES_SAVE_AS = ""
YEAR_ARCHIVE_SAVE_AS = ""
MONTH_ARCHIVE_SAVE_AS = ""
DAY_ARCHIVE_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
CATEGORIES_SAVE_AS = ""
TAGS_SAVE_AS = ""
INDEX_SAVE_AS = ""
STATIC_PATHS = []
THEME_STATIC_PATHS = []
LOAD_CONTENT_CACHE = False
CACHE_CONTENT = False
DELETE_OUTPUT_DIRECTORY = False
"""
FEEDSVC_LOAD = """\
import sys, time
start = time.perf_counter()
from feedsvc import create_app
articles, state = sys.argv[1], sys.argv[2]
app = create_app({"ARTICLES": articles, "STATE": state, "BASE_URL": "http://bench.example.org/",
                  "RESCAN_INTERVAL": 3600.0})
response = app.test_client().get("/feed.atom")
assert response.status_code == 200, response.status_code
assert response.data.count(b"<entry") == min(50, int(sys.argv[3])), "wrong entry count"
print(f"{time.perf_counter() - start:.3f}", file=sys.stderr)
"""


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def article_text(index: int, rng: random.Random) -> str:
    """Return one generated Markdown article with front matter."""
    day = 1_600_000_000 + index * 3_613
    date = time.strftime("%Y-%m-%d %H:%M", time.gmtime(day))
    tags = ", ".join(rng.sample(TAGS, 3))
    paragraphs = [
        f"{sentence(rng, 14)} See [the council page](https://example.org/{index}) "
        f"and the *{rng.choice(WORDS)}* report.",
        sentence(rng, 30) + " " + sentence(rng, 20),
        "\n".join(f"- {sentence(rng, 6)}" for _ in range(4)),
        f"{sentence(rng, 25)} **{rng.choice(WORDS)}** `{rng.choice(WORDS)}` "
        f"[more](/articles/article-{max(0, index - 1):05d}).",
        "1. " + sentence(rng, 5) + "\n2. " + sentence(rng, 5),
        sentence(rng, 40),
    ]
    return (
        "---\n"
        f"title: Article {index} about the {rng.choice(WORDS)} and the {rng.choice(WORDS)}\n"
        f"date: {date}\n"
        f"tags: {tags}\n"
        f"author: Reporter {index % 17}\n"
        f"slug: article-{index:05d}\n"
        "---\n\n" + "\n\n".join(paragraphs) + "\n"
    )


def make_corpus(folder: Path, size: int) -> Path:
    """Write SIZE articles under FOLDER/content (once), and Pelican's settings beside them."""
    content = folder / "content"
    marker = folder / "complete"
    if not marker.exists() or marker.read_text() != CORPUS_VERSION:
        shutil.rmtree(folder, ignore_errors=True)
        content.mkdir(parents=True)
        rng = random.Random(size)
        for index in range(size):
            sub = content / f"{index // 1000:02d}"
            sub.mkdir(exist_ok=True)
            path = sub / f"article-{index:05d}.md"
            path.write_text(article_text(index, rng), "utf-8")
            os.utime(path, (1_700_000_000, 1_700_000_000))  # settled: not being written
        marker.write_text(CORPUS_VERSION)
    (folder / "pelicanconf.py").write_text(PELICAN_CONF)
    return content


def ensure_pelican(venv: Path, install: bool) -> Path | None:
    """Return the pelican executable in VENV, installing it there when INSTALL and missing."""
    pelican = venv / "bin" / "pelican"
    if pelican.exists():
        return pelican
    if not install:
        return None
    print(f"installing Pelican into {venv} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "pelican", "markdown"],
            check=True,
            timeout=600,
        )
    except (subprocess.SubprocessError, OSError) as e:
        print(f"Pelican cannot be installed ({e}); skipped", file=sys.stderr)
        return None
    return pelican if pelican.exists() else None


def measure(command: list[str], cwd: Path, timeout: float) -> dict[str, float]:
    """Run COMMAND under a fresh wrapper process; return its wall time and peak RSS."""
    wrapper = [sys.executable, str(Path(__file__).resolve()), "--measure", "--", *command]
    done = subprocess.run(wrapper, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_measured(command: list[str]) -> int:
    """Run COMMAND; print its wall time and peak RSS (MiB) as JSON; return its status."""
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak = usage.ru_maxrss / 1024  # KiB on Linux
    cpu = usage.ru_utime + usage.ru_stime
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        return done.returncode
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_mib": peak}))
    return 0


def bench_size(size: int, args: argparse.Namespace, pelican: Path | None) -> dict[str, object]:
    folder = args.workdir / f"corpus-{size}"
    content = make_corpus(folder, size)
    runs: dict[str, list[dict[str, float]]] = {"feedsvc": [], "warm": [], "pelican": []}
    corpus_bytes = sum(p.stat().st_size for p in content.rglob("*.md"))
    store_bytes = []
    for repeat in range(args.repeats):
        state = folder / "state.sqlite3"
        for suffix in ("", "-wal", "-shm", ".parsed", ".served"):
            Path(f"{state}{suffix}").unlink(missing_ok=True)
        load = [args.python, "-c", FEEDSVC_LOAD, str(content), str(state), str(size)]
        runs["feedsvc"].append(measure(load, folder, args.timeout))
        runs["warm"].append(measure(load, folder, args.timeout))  # a restart
        store_bytes.append(
            sum(
                Path(f"{state}{x}").stat().st_size
                for x in ("", "-wal")
                if Path(f"{state}{x}").exists()
            )
        )
        if pelican is not None and size <= args.pelican_max:
            out = folder / "output"
            shutil.rmtree(out, ignore_errors=True)
            runs["pelican"].append(
                measure(
                    [
                        str(pelican),
                        str(content),
                        "-o",
                        str(out),
                        "-s",
                        str(folder / "pelicanconf.py"),
                        "-q",
                    ],
                    folder,
                    args.timeout,
                )
            )
            if size and not (out / "feed.atom").exists():
                raise RuntimeError("Pelican wrote no feed.atom")
        print(
            f"  size {size} repeat {repeat + 1}: "
            + ", ".join(
                f"{name} {r[-1]['seconds']:.2f} s (cpu {r[-1]['cpu_seconds']:.2f} s) "
                f"{r[-1]['peak_mib']:.0f} MiB"
                for name, r in runs.items()
                if r
            ),
            file=sys.stderr,
        )
    result: dict[str, object] = {"size": size, "corpus_bytes": corpus_bytes}
    result["store_bytes"] = statistics.median(store_bytes)
    for name, items in runs.items():
        if items:
            result[name] = {  # medians
                key: statistics.median(r[key] for r in items)
                for key in ("seconds", "cpu_seconds", "peak_mib")
            }
    return result


def report(results: list[dict[str, object]]) -> None:
    """Print medians: wall time, CPU time (user + sys, steadier on a busy machine), peak RSS."""
    print(
        f"{'articles':>8}  {'feedsvc s':>9} {'cpu s':>7} {'MiB':>6}  {'pelican s':>9} "
        f"{'cpu s':>7} {'MiB':>6}  {'time':>7} {'cpu':>7} {'memory':>7} {'marginal':>8}"
    )
    floor = next((r for r in results if r["size"] == 0), None)
    warm_lines = []
    for result in results:
        cold, warm = result["feedsvc"], result["warm"]
        store = result["store_bytes"] / result["corpus_bytes"] if result["corpus_bytes"] else 0
        warm_lines.append(
            f"{result['size']:>8}  {cold['seconds']:>9.3f} {warm['seconds']:>9.3f} "
            f"{warm['seconds'] / cold['seconds']:>9.3f}x {warm['peak_mib']:>8.1f} "
            f"{result['corpus_bytes'] / 2**20:>10.1f} {result['store_bytes'] / 2**20:>9.1f} "
            f"{store:>7.2f}x"
        )
        ours, theirs = result["feedsvc"], result.get("pelican")
        line = (
            f"{result['size']:>8}  {ours['seconds']:>9.3f} {ours['cpu_seconds']:>7.3f} "
            f"{ours['peak_mib']:>6.1f}"
        )
        if theirs:
            line += (
                f"  {theirs['seconds']:>9.3f} {theirs['cpu_seconds']:>7.3f} "
                f"{theirs['peak_mib']:>6.1f}"
            )
            for key in ("seconds", "cpu_seconds", "peak_mib"):
                line += f" {ours[key] / theirs[key]:>6.3f}x"
            if floor and result["size"] and floor.get("pelican"):
                added = ours["peak_mib"] - floor["feedsvc"]["peak_mib"]
                theirs_added = theirs["peak_mib"] - floor["pelican"]["peak_mib"]
                if theirs_added > 0:
                    line += f" {added / theirs_added:>7.3f}x"
        else:
            line += f"  {'Pelican skipped':>24}"
        print(line)
    if any("pelican" in r for r in results):
        print("ratios are feedsvc / Pelican (targets at 10,000: time <= 0.1x, memory <= 0.5x)")
    if floor:
        print(
            "articles 0 is an empty folder: each side's fixed cost; marginal = "
            "(peak - empty peak) / Pelican's (peak - empty peak)"
        )
    print(
        f"\n{'articles':>8}  {'cold s':>9} {'warm s':>9} {'warm/cold':>10} {'warm MiB':>8} "
        f"{'corpus MiB':>10} {'store MiB':>9} {'store/corpus':>8}"
    )
    print("\n".join(warm_lines))
    print("warm: the same load on the store the cold load left (a restart; target at 100,000:")
    print("first answer <= 3 s); store/corpus target <= 0.15x")


def serve_restart(size: int, args: argparse.Namespace) -> tuple[float, float, float, float]:
    """Start `feedsvc serve` (2 workers) on a fresh store, stop it, start it again.

    Return the seconds to the first 200 of /feed.atom, cold and warm, and the RSS
    (MiB) of all the server's processes once both workers were ready and settled: each
    worker's first rescan (the watcher's catch-up, a full scan) is done and 20 polls were
    answered, which is what a serving process holds (``settled_rss``), cold and warm.
    """
    seconds, rss = serve_phases(size, args, ("cold", "warm"))
    return seconds[0], seconds[1], rss[0], rss[1]


def drop_page_cache() -> str | None:
    """Have the system drop its page cache (clean pages: synced first); return why not."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3\n")
    except OSError as e:
        return f"the page cache cannot be dropped here ({e.strerror}; it needs root on Linux)"
    return None


def serve_phases(
    size: int, args: argparse.Namespace, phases: tuple[str, ...]
) -> tuple[list[float], list[float]]:
    """Time `feedsvc serve` to its first 200, and its settled RSS, in each of PHASES: "cold"
    (a new store), "warm" (the store the phase before left) or "uncached" (a new store, the
    page cache dropped first: the files are read from the disk, as after a boot)."""
    import signal
    import urllib.request

    from _support import free_port

    folder = args.workdir / f"corpus-{size}"
    state = folder / "serve.sqlite3"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FEEDSVC_")}
    environment.update(FEEDSVC_STATE=str(state), FEEDSVC_BASE_URL="http://bench.example.org/")
    seconds: list[float] = []
    rss: list[float] = []
    for phase in phases:
        if phase != "warm":
            for suffix in ("", "-wal", "-shm", ".parsed", ".served"):
                Path(f"{state}{suffix}").unlink(missing_ok=True)
        if phase == "uncached" and (why := drop_page_cache()):
            raise OSError(why)
        port = free_port()
        log = folder / f"serve-{phase}.log"
        command = [args.python, "-m", "feedsvc", "serve", "--articles", str(folder / "content")]
        started = time.monotonic()
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [*command, "--port", str(port), "--workers", "2"],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=environment,
            )
        try:
            while time.monotonic() - started < args.timeout:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/feed.atom", timeout=5):
                        break
                except OSError:
                    time.sleep(0.05)
            seconds.append(time.monotonic() - started)
            while log.read_text().count(" ready: ") < 2 and time.monotonic() - started < 600:
                time.sleep(0.1)
            rss.append(settled_rss(server.pid, f"http://127.0.0.1:{port}/feed.atom"))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(60)
    return seconds, rss


def uncached_start(size: int, args: argparse.Namespace) -> None:
    """Print the cold start with the files' pages cached, and dropped, in the same run."""
    if not os.access("/proc/sys/vm/drop_caches", os.W_OK):
        print("\nno start on an uncached folder: the page cache cannot be dropped here (root)")
        return
    for path in (args.workdir / f"corpus-{size}" / "content").rglob("*"):
        if path.is_file():  # cached, for the first start (a run before may have dropped it)
            path.read_bytes()
    seconds, _ = serve_phases(size, args, ("cold", "uncached"))
    print(
        f"\nfeedsvc serve, 2 workers, {size:,} articles: first 200 after a cold start "
        f"{seconds[0]:.2f} s with the files in the page cache, {seconds[1]:.2f} s with the "
        f"page cache dropped first ({seconds[1] / seconds[0]:.2f}x; target <= 20 s)"
    )


def settled_rss(pid: int, url: str, limit: float = 30.0) -> float:
    """Return the RSS (MiB) of process PID and its children once settled: after 20 polls
    of URL, sampled every 0.5 s until two samples 2 s apart agree within 1 MiB (LIMIT s
    at most). A worker is ready before its first rescan, whose peak it keeps."""
    import urllib.request

    for _ in range(20):
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
    started, samples = time.monotonic(), [_rss(pid)]
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        samples.append(_rss(pid))
        if len(samples) > 4 and abs(samples[-1] - samples[-5]) < 1.0:
            break
    return samples[-1]


def _rss(pid: int) -> float:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return (
        sum(
            int(line.split()[1])
            for process in [pid, *map(int, children)]
            for line in Path(f"/proc/{process}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        / 1024
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:2] == ["--measure", "--"]:
        return run_measured(argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="100,1000,10000,100000",
        help="comma-separated corpus sizes [100,1000,10000,100000]",
    )
    parser.add_argument(
        "--pelican-max", type=int, default=10_000, help="largest size Pelican builds [10000]"
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per size [3]")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="100 articles, 1 repeat; Pelican only when already installed",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=Path("/tmp/feedsvc-bench"),
        help="where corpora are written [/tmp/feedsvc-bench]",
    )
    parser.add_argument(
        "--pelican-venv",
        type=Path,
        default=None,
        help="Pelican's virtual environment [WORKDIR/pelican-venv]",
    )
    parser.add_argument("--no-pelican", action="store_true", help="measure feedsvc only")
    parser.add_argument(
        "--serve-restart",
        action="store_true",
        help="also time `feedsvc serve` to its first 200, cold and restarted, at the largest size",
    )
    parser.add_argument(
        "--uncached",
        action="store_true",
        help="with --serve-restart: also a cold start with the page cache dropped (root)",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter with feedsvc installed [this one]"
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run [600]")
    parser.add_argument("--json", type=Path, help="also write the medians to this file")
    args = parser.parse_args(argv)
    sizes = [0] + ([100] if args.smoke else [int(s) for s in args.sizes.split(",") if int(s)])
    if args.smoke:
        args.repeats, args.serve_restart, args.uncached = 1, True, True
    args.workdir.mkdir(parents=True, exist_ok=True)
    pelican = None
    if not args.no_pelican:
        pelican = ensure_pelican(
            args.pelican_venv or args.workdir / "pelican-venv", install=not args.smoke
        )
        if pelican is None:
            print("Pelican not available: measuring feedsvc only", file=sys.stderr)
    results = [bench_size(size, args, pelican) for size in sizes]
    report(results)
    if args.serve_restart:
        largest = max(sizes)
        cold, warm, cold_rss, warm_rss = serve_restart(largest, args)
        print(
            f"\nfeedsvc serve, 2 workers, {largest:,} articles: first 200 after a cold start "
            f"{cold:.2f} s, after a restart on the warm store {warm:.2f} s ({warm / cold:.2f}x; "
            f"targets at 100,000: <= 20 s and <= 3 s); RSS of all processes once both workers "
            f"are ready and settled: {cold_rss:.0f} MiB cold, {warm_rss:.0f} MiB warm "
            "(target <= 400 MiB)"
        )
    if args.serve_restart and args.uncached:
        uncached_start(max(sizes), args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
