#!/usr/bin/python3
"""Renders report.html files in headless Chromium and checks what a reader
sees: every image decodes, and no figure is wider than the page (so none is
scaled down in the browser, which made its labels unreadable).

    /usr/bin/python3 tests/analysis/browser_check.py REPORT.html ... [--width 1280] [--images N]
        [--screenshot-dir DIR]

For each file a copy with a small script appended is loaded with
--dump-dom; on the load event the script writes, into the DOM, each
image's decoded (natural) and displayed size and the page's scroll width.
The embedded PNGs are also decoded in full in Python (PIL, which
matplotlib brings), since a browser shows a truncated PNG partly drawn.
Fails (exit 1) on an image that did not decode, an image displayed
narrower than its natural width, a page wider than the window, or (with
--images) a different number of images. Exit 77 (CTest SKIP_RETURN_CODE)
when Chromium is not installed, saying so. The report itself has no
scripts; only the copy checked here does.
"""
import argparse
import base64
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77

PROBE = """<script>
window.addEventListener("load", function () {
  var imgs = Array.prototype.map.call(document.images, function (i) {
    return {alt: i.alt, complete: i.complete, natural: i.naturalWidth, shown: i.clientWidth};
  });
  var r = {inner: window.innerWidth, scroll: document.documentElement.scrollWidth, imgs: imgs};
  var p = document.createElement("pre");
  p.id = "mlps-browser-check";
  p.textContent = JSON.stringify(r);
  document.body.appendChild(p);
});
</script>"""

# As root in a container, and on a closed network: no sandbox, nothing
# fetched in the background (its connections are refused here and slow it).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def chromium(exe, profile, width, extra, url):
    cmd = [exe] + FLAGS + [f"--user-data-dir={profile}", f"--window-size={width},1000"] + extra + [url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def decode_problems(doc):
    """Embedded PNGs that do not decode in full."""
    from PIL import Image
    bad = []
    for k, b64 in enumerate(re.findall(r'src="data:image/png;base64,([^"]*)"', doc)):
        try:
            with Image.open(io.BytesIO(base64.b64decode(b64, validate=True))) as im:
                im.load()
        except Exception as e:  # any decoder complaint is a broken image
            bad.append(f"embedded image {k + 1} does not decode in full ({type(e).__name__}: {e})")
    return bad


def check(exe, path, width, n_images, shots, tmp):
    """Problems found in one report (empty list: fine)."""
    with open(path) as f:
        doc = f.read()
    bad = decode_problems(doc)
    probe = os.path.join(tmp, "probe.html")
    with open(probe, "w") as f:
        f.write(doc.replace("</body>", PROBE + "</body>") if "</body>" in doc else doc + PROBE)
    profile = tempfile.mkdtemp(dir=tmp)  # a new empty profile for each run
    r = chromium(exe, profile, width, ["--dump-dom"], "file://" + probe)
    m = re.search(r'<pre id="mlps-browser-check">([^<]*)</pre>', r.stdout)
    if r.returncode != 0 or not m:
        return [f"chromium did not render it (exit {r.returncode}): {r.stderr.strip()[-400:]}"]
    res = json.loads(html.unescape(m.group(1)))
    if n_images is not None and len(res["imgs"]) != n_images:
        bad.append(f"{len(res['imgs'])} images, expected {n_images}")
    for i in res["imgs"]:
        if not i["complete"] or i["natural"] == 0:
            bad.append(f"image {i['alt']!r} did not decode")
        elif i["shown"] < i["natural"]:
            bad.append(f"image {i['alt']!r} is {i['natural']} px wide but shown at {i['shown']} px "
                       f"in a {width} px window (scaled down: its text shrinks)")
    if res["scroll"] > res["inner"]:
        bad.append(f"the page is {res['scroll']} px wide, wider than the {res['inner']} px window")
    if shots:
        os.makedirs(shots, exist_ok=True)
        png = os.path.join(shots, os.path.splitext(os.path.basename(path))[0] + ".png")
        chromium(exe, tempfile.mkdtemp(dir=tmp), width, [f"--screenshot={png}"], "file://" + os.path.abspath(path))
    print(f"{path}: {len(res['imgs'])} images, widest {max([i['natural'] for i in res['imgs']] or [0])} px, "
          f"page {res['scroll']} px in a {width} px window: " + ("OK" if not bad else "; ".join(bad)))
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html", nargs="+")
    ap.add_argument("--width", type=int, default=1280, help="window width in px (default 1280, a laptop)")
    ap.add_argument("--images", type=int, help="the number of images each file must have")
    ap.add_argument("--screenshot-dir", help="also write a screenshot of each file here")
    a = ap.parse_args(argv)
    exe = find_chromium()
    if not exe:
        print("SKIPPED: no chromium to render the report in (Debian: apt-get install chromium; "
              "tests/run.sh installs it)")
        return SKIP
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        for p in a.html:
            fails += bool(check(exe, p, a.width, a.images, a.screenshot_dir, tmp))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
