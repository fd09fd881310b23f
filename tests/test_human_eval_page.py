"""`trl-styling annotate`: the self-contained evaluation page, driven in headless Chromium.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``: JSON messages ending
in NUL on fds 3/4), so no port, no network and no Python dependency is needed. These tests fail (not skip)
without Chromium: CI installs it (``.ci/run``).
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from trl_styling.cli import main
from trl_styling.human_eval.answers import load_answers, load_judge
from trl_styling.human_eval.items import Output, PlanStepView, image_data_url, ranking_items
from trl_styling.human_eval.page import judge_scores, ranking_page_data, rating_page_data, render_page, write_page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--window-size=1280,1000",
    "--remote-debugging-pipe",
]


class Chromium:
    """Headless Chromium with one page, over the DevTools protocol on a pipe."""

    def __init__(self, user_data_dir: Path, download_dir: Path) -> None:
        if not os.path.exists(CHROMIUM):
            pytest.fail(f"{CHROMIUM} not found: install it (apt-get install -y chromium); CI does in .ci/run")
        to_browser_read, self._write_fd = os.pipe()
        self._read_fd, from_browser_write = os.pipe()

        def wire_pipes() -> None:  # the protocol fds are 3 (commands in) and 4 (replies out)
            commands, replies = os.dup(to_browser_read), os.dup(from_browser_write)
            os.dup2(commands, 3)
            os.dup2(replies, 4)

        self.process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            preexec_fn=wire_pipes,
            close_fds=False,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer, self._next_id, self.events = b"", 0, []
        self.errors: list[str] = []
        self.requests: list[str] = []
        try:
            self._attach(download_dir)
        except BaseException:  # never leave a browser behind
            self.process.kill()
            self.process.wait()
            raise

    def _attach(self, download_dir: Path) -> None:
        deadline = time.monotonic() + 15
        while True:  # the startup page's target may appear a moment after the browser answers
            pages = [t for t in self.send("Target.getTargets", session=False)["targetInfos"] if t["type"] == "page"]
            if pages or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        attached = self.send(
            "Target.attachToTarget", {"targetId": pages[0]["targetId"], "flatten": True}, session=False
        )
        self.session = attached["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")
        self.send(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(download_dir), "eventsEnabled": True},
            session=False,
        )

    def _message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._read_fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("no message from Chromium")
            chunk = os.read(self._read_fd, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(raw)
        if "method" in message:
            self._record(message)
        return message

    def _record(self, event: dict[str, Any]) -> None:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert", "warning"):
            self.errors.append(json.dumps(params["args"])[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            self.errors.append(params["entry"]["text"])
        elif method == "Network.requestWillBeSent":
            self.requests.append(params["request"]["url"][:60])
        self.events.append(event)

    def send(self, method: str, params: dict | None = None, *, session: bool = True, timeout: float = 15) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = self.session
        os.write(self._write_fd, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]

    def wait_event(self, method: str, predicate: Any = None, timeout: float = 15) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event["method"] == method and (predicate is None or predicate(event["params"])):
                    self.events.remove(event)
                    return event["params"]
            self._message(deadline)

    def open(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired")

    def reload(self) -> None:
        self.events.clear()
        self.send("Page.reload")
        self.wait_event("Page.loadEventFired")

    def js(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (so a covered or hidden control fails the test)."""
        box = self.js(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
            "e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            "return [r.x + r.width / 2, r.y + r.height / 2, r.width * r.height]; })()"
        )
        assert box is not None and box[2] > 0, f"{selector} is missing or not visible"
        for kind in ("mousePressed", "mouseReleased"):
            self.send(
                "Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}
            )

    def type(self, selector: str, text: str) -> None:
        self.click(selector)
        self.send("Input.insertText", {"text": text})

    def close(self) -> None:
        if self.process.returncode is not None:
            return
        try:  # a clean shutdown writes localStorage to the profile
            self.send("Browser.close", session=False, timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._read_fd)
        os.close(self._write_fd)


def _image(color: tuple[int, int, int]) -> str | None:
    return image_data_url(Image.new("RGB", (48, 48), color), 64)


def _rate_outputs(goal: str = "Make it a snowy winter evening") -> list[Output]:
    steps = [
        PlanStepView("season_cycle", "target_season=winter_snow", "The goal asks for winter."),
        PlanStepView("time_of_day", "target_time=dusk", "Evening light: dusk."),
    ]
    return [
        Output(
            f"g{i}",
            goal,
            steps,
            "Turn the season to winter, then dusk.",
            _image((30 * i, 90, 160)),
            _image((200, 40 * i, 90)),
            score=2.5 + i,
            trajectory_id=f"g{i}-r0",
        )
        for i in range(2)
    ]


@pytest.fixture
def browser(tmp_path):
    chromium = Chromium(tmp_path / "profile", tmp_path / "downloads")
    yield chromium
    chromium.close()


def _write(data: dict, judge: dict, path: Path) -> str:
    write_page(data, judge, path)
    return path.resolve().as_uri()


def _pressed(browser: Chromium, item: str) -> dict[str, str]:
    pressed = "[...document.querySelectorAll('button.level[aria-pressed=true]')]"
    mine = f".filter(b => b.dataset.item === {json.dumps(item)})"
    return browser.js(f"Object.fromEntries({pressed}{mine}.map(b => [b.dataset.dim, b.dataset.level]))")


def test_rating_page_autosaves_survives_reload_and_restart_and_exports_what_was_clicked(browser, tmp_path):
    outputs = _rate_outputs()
    data = rating_page_data(outputs, title="Rating study")
    url = _write(data, judge_scores(data, outputs=outputs), tmp_path / "rate.html")
    browser.open(url)
    assert browser.js("document.title") == "Rating study"
    assert browser.js("document.getElementById('progress').textContent") == "0 / 2 complete"
    assert browser.js("document.querySelectorAll('article.item img').length") == 4
    browser.type("#rater", "alice")
    clicks = [
        ("g0-r0", "edit_quality", "partial"),
        ("g0-r0", "edit_quality", "pass"),  # changed mind: pass
        ("g0-r0", "action_plan_quality", "partial"),
        ("g0-r0", "reasoning_quality", "fail"),
        ("g0-r0", "overall_quality", "pass"),
        ("g1-r0", "edit_quality", "fail"),
    ]
    for item, dim, level in clicks:
        browser.click(f'button[data-item="{item}"][data-dim="{dim}"][data-level="{level}"]')
    browser.type('textarea[data-item="g1-r0"]', "looks <b>blurry</b>")
    expected = {
        "format": "trl-styling-human-eval/1",
        "page_id": data["page_id"],
        "mode": "rate",
        "rater": "alice",
        "dimensions": ["edit_quality", "action_plan_quality", "reasoning_quality", "overall_quality"],
        "items_total": 2,
        "answers": [
            {
                "item_id": "g0-r0",
                "group_id": "g0",
                "trajectory_id": "g0-r0",
                "comment": "",
                "complete": True,
                "ratings": {
                    "edit_quality": "pass",
                    "action_plan_quality": "partial",
                    "reasoning_quality": "fail",
                    "overall_quality": "pass",
                },
            },
            {
                "item_id": "g1-r0",
                "group_id": "g1",
                "trajectory_id": "g1-r0",
                "comment": "looks <b>blurry</b>",
                "complete": False,
                "ratings": {"edit_quality": "fail"},
            },
        ],
    }
    assert browser.js("trlStylingExport()") == expected
    assert json.loads(browser.js("document.getElementById('export-json').textContent")) == expected
    assert browser.js("document.getElementById('progress').textContent") == "1 / 2 complete"

    browser.reload()
    assert browser.js("trlStylingExport()") == expected
    assert _pressed(browser, "g0-r0") == expected["answers"][0]["ratings"]
    assert browser.js("document.querySelector('textarea[data-item=\"g1-r0\"]').value") == "looks <b>blurry</b>"
    assert browser.js("document.getElementById('rater').value") == "alice"

    browser.click("#export")  # the download button writes the same JSON
    browser.wait_event("Browser.downloadProgress", lambda p: p["state"] == "completed")
    downloaded = tmp_path / "downloads" / f"answers-{data['page_id']}-alice.json"
    assert json.loads(downloaded.read_text()) == expected
    assert load_answers([downloaded])[0].answers["g0-r0"].ratings["reasoning_quality"] == "fail"

    # Another page in the same browser has its own storage key: nothing of alice's answers shows up there.
    other = rating_page_data(_rate_outputs("Another goal")[:1], title="Other")
    assert other["page_id"] != data["page_id"]
    browser.open(_write(other, judge_scores(other, outputs=[]), tmp_path / "other.html"))
    assert browser.js("trlStylingExport().answers") == [] and browser.js("trlStylingExport().rater") == ""
    assert browser.errors == []
    assert all(u.startswith(("file:", "data:", "blob:")) for u in browser.requests), browser.requests

    browser.close()  # a new browser on the same profile: the answers were saved to disk
    restarted = Chromium(tmp_path / "profile", tmp_path / "downloads")
    try:
        restarted.open(url)
        assert restarted.js("trlStylingExport()") == expected
        assert restarted.errors == []
    finally:
        restarted.close()


PAYLOADS = {
    "goal": "<script>window.__pwned = 1; document.title = 'pwned'</script>Keep it calm",
    "reasoning": "<img src=x onerror=\"window.__pwned = 2; document.title = 'pwned'\">because",
    "instruction": "</script><script>window.__pwned = 3</script><!-- {{DATA}}",
    "tool": "<b>time_of_day</b>",
}


def test_model_text_with_html_is_shown_as_text_and_never_runs(browser, tmp_path):
    steps = [PlanStepView(PAYLOADS["tool"], 'x="<svg onload=alert(1)>"', PAYLOADS["reasoning"])]
    outputs = [
        Output(
            "g0",
            PAYLOADS["goal"],
            steps,
            PAYLOADS["instruction"],
            _image((1, 2, 3)),
            '" onerror="window.__pwned=4',
            trajectory_id="<i>t0</i>",
        )
    ]
    data = rating_page_data(outputs, title="<script>window.__pwned = 5</script>Study")
    html = render_page(data)
    assert "<script>window.__pwned" not in html and "</script><script>" not in html
    browser.open(_write(data, judge_scores(data, outputs=outputs), tmp_path / "xss.html"))
    assert browser.js("typeof window.__pwned") == "undefined"
    assert browser.js("document.title") == "<script>window.__pwned = 5</script>Study"
    assert browser.js("document.querySelectorAll('b, i, svg, img[onerror], script').length") == 2  # the page's own
    text = browser.js("document.getElementById('items').textContent")
    for payload in (*PAYLOADS.values(), "<i>t0</i>"):
        assert payload in text
    assert browser.js("document.querySelectorAll('article img').length") == 1  # a non-data: URL is not an image
    assert browser.errors == []


def test_ranking_page_is_blind_ranks_top3_and_feeds_the_agreement_report(browser, tmp_path):
    methods = {
        name: {
            f"g{i}": Output(
                f"g{i}",
                f"goal {i}",
                f"[ACTION] {name}()",
                f"{name} edit",
                _image((9, 9, 9)),
                _image((50 * k, 80, 120)),
                score=score + i,
            )
            for i in range(2)
        }
        for k, (name, score) in enumerate([("S", 1.0), ("RW", 3.0), ("SW", 2.0), ("DPO", 0.5)])
    }
    items = ranking_items(methods, None, seed=3)
    data = ranking_page_data(items, title="Rank")
    page = tmp_path / "rank.html"
    browser.open(_write(data, judge_scores(data, items=items), page))
    assert not any(name in page.read_text() for name in ('"SW"', '"RW"', '"DPO"', '"method"'))  # blind page
    key = load_judge(tmp_path / "rank.judge.json").candidates
    letter = {item: {method: c for c, method in key[item].items()} for item in key}
    browser.type("#rater", "bob")
    for item in ("g0", "g1"):  # bob: SW > RW > S on both goals
        for place, method in enumerate(("SW", "RW", "S"), start=1):
            browser.click(f'button[data-item="{item}"][data-candidate="{letter[item][method]}"][data-rank="{place}"]')
    note = browser.js("document.querySelector('article[data-item-id=\"g0\"] .winner-note').textContent")
    assert note == f"Rate the 1st place (Output {letter['g0']['SW']}):"
    for dim in ("visual_quality", "instruction_following", "overall_quality"):
        browser.click(f'button[data-item="g0"][data-dim="{dim}"][data-level="pass"]')
    exported = {a["item_id"]: a for a in browser.js("trlStylingExport().answers")}  # page order is shuffled
    first = exported["g0"]
    assert first["ranking"] == [letter["g0"][m] for m in ("SW", "RW", "S")] and first["complete"] is True
    assert first["winner_ratings"] == {
        "visual_quality": "pass",
        "instruction_following": "pass",
        "overall_quality": "pass",
    }
    assert sorted(first["candidates"]) == ["A", "B", "C", "D"] and exported["g1"]["complete"] is False
    # A new 1st place invalidates the winner's ratings.
    browser.click(f'button[data-item="g0"][data-candidate="{letter["g0"]["RW"]}"][data-rank="1"]')
    assert browser.js("trlStylingExport().answers.find(a => a.item_id === 'g0')") == {
        **first,
        "ranking": [letter["g0"]["RW"], None, letter["g0"]["S"]],
        "winner_ratings": {},
        "complete": False,
    }
    browser.click(f'button[data-item="g0"][data-candidate="{letter["g0"]["SW"]}"][data-rank="2"]')
    answers = tmp_path / "bob.json"
    answers.write_text(json.dumps(browser.js("trlStylingExport()")))
    assert browser.errors == []

    report_path = tmp_path / "report.json"
    assert (
        main(["agreement", str(answers), "--judge", str(tmp_path / "rank.judge.json"), "--out", str(report_path)]) == 0
    )
    report = json.loads(report_path.read_text())
    assert report["win_rates"] == {"RW": {"wins": 1, "rate": 0.5}, "SW": {"wins": 1, "rate": 0.5}}
    # The judge's winner is RW on both goals: bob's 1st on g0, bob's 2nd on g1.
    assert report["judge"]["winner_accuracy"] == 0.5 and report["judge"]["top2_accuracy"] == 1.0
    assert report["judge"]["chance_winner_accuracy"] == 0.25


def test_page_is_self_contained_and_its_csp_hashes_match(tmp_path):
    data = rating_page_data(_rate_outputs(), title="T")
    html = render_page(data)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html) and "<link" not in html
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in csp and "img-src data:" in csp and "unsafe-inline" not in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    import base64
    import hashlib

    assert base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() in csp
    embedded = re.search(r'<script type="application/json" id="page-data">(.*?)</script>', html, re.S).group(1)
    assert json.loads(embedded) == json.loads(json.dumps(data))


def test_annotate_cli_on_a_generated_dataset_and_its_errors(tmp_path, capsys):
    data_dir = tmp_path / "data"
    assert (
        main(
            [
                "generate",
                "--variant",
                "simple",
                "--num-groups",
                "4",
                "--rollouts",
                "2",
                "--out",
                str(data_dir),
                "--image-size",
                "32",
                "--no-progress",
                "--split-ratios",
                "0.5,0,0.5",
            ]
        )
        == 0
    )
    out = tmp_path / "page" / "rate.html"
    assert main(["annotate", str(data_dir), "--split", "test", "--max-items", "3", "--out", str(out)]) == 0
    assert "(rate, 3 items" in capsys.readouterr().out
    page_data = json.loads(re.search(r'id="page-data">(.*?)</script>', out.read_text(), re.S).group(1))
    assert len(page_data["items"]) == 3 and all(i["image"].startswith("data:image/png") for i in page_data["items"])
    assert set(json.loads((tmp_path / "page" / "rate.judge.json").read_text())["scores"]) <= {
        i["item_id"] for i in page_data["items"]
    }
    rank = tmp_path / "rank.html"
    assert main(["annotate", "--methods", f"a={data_dir}", f"b={data_dir}", "--out", str(rank)]) == 0
    for argv, message in [
        (["annotate", str(data_dir), "--split", "validation", "--out", str(out)], "is empty; pass --split one of"),
        (["annotate", str(data_dir), "--split", "dev", "--out", str(out)], "has no split 'dev'"),
        (["annotate", str(tmp_path / "nope"), "--out", str(out)], "does not exist"),
        (["annotate", "--out", str(out)], "pass either DIR"),
        (["annotate", "--methods", f"a={data_dir}", "--out", str(out)], "at least 2 methods"),
        (["annotate", "--methods", f"a={data_dir}", f"a={data_dir}", "--out", str(out)], "must be distinct"),
        (["annotate", "--methods", "nameless", "--out", str(out)], "must be NAME=DIR_OR_JSON"),
    ]:
        with pytest.raises(SystemExit):
            main(argv)
        assert message in capsys.readouterr().err
