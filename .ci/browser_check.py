"""The course in a real browser: JupyterLab + headless Chromium, notebook 02 end to end.

    python .ci/browser_check.py [--out build/browser] [--notebook 02_stft_and_spectrograms.ipynb]

Run by ``make test-browser`` (and so by CI). Steps, each with a generous wait:

1. copy the notebook alone into a temporary folder (the repository's copy is never touched)
   and start JupyterLab there from the course environment, on a free local port with a
   random token;
2. drive Debian's Chromium (``chromium`` + ``chromedriver`` from apt) headless through
   Selenium: open the notebook, wait for its kernel, run all cells (JupyterLab's own
   ``notebook:run-all-cells`` command, after clearing the stored outputs) and wait until
   every code cell has run;
3. check that no cell produced an error output and that the spectrogram explorer's controls
   are rendered (its three sliders and the scale buttons);
4. move the ``n_mels`` slider with the keyboard and check that the slider's value, the
   explorer's caption and its figure (the PNG in the explorer's output area) all change;
5. save screenshots under ``--out`` (``notebook02_explorer.png`` after the slider moved).

Exit status 0 when everything passed; otherwise 1, with the step that failed, and the server
log and a screenshot of the moment kept under ``--out``. Needs ``chromium``,
``chromium-driver`` (apt) and ``selenium`` (``requirements-browser.txt``).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Seconds allowed for each wait (server start, page load, kernel start, all cells, redraw).
SERVER_START_S = 120
PAGE_LOAD_S = 120
RUN_ALL_S = 600
REDRAW_S = 120


class BrowserCheckFailed(RuntimeError):
    """One step of the check did not pass; the message says which and what was seen."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_executable(names: tuple[str, ...], what: str) -> str:
    for name in names:
        path = shutil.which(name) or (name if os.path.isabs(name) and os.access(name, os.X_OK) else None)
        if path:
            return path
    raise BrowserCheckFailed(f"{what} not found (looked for {', '.join(names)}); on Debian/Ubuntu: "
                             "sudo apt-get install chromium chromium-driver")


def start_jupyterlab(folder: Path, port: int, token: str, log_path: Path) -> subprocess.Popen:
    """JupyterLab serving ``folder`` on 127.0.0.1:``port``, its app object exposed to scripts."""
    env = dict(os.environ, JUPYTER_TOKEN=token)
    log = open(log_path, "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--ServerApp.root_dir={folder}", f"--IdentityProvider.token={token}",
         "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run commands, read the model
         "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         "--LabApp.extension_manager=readonly",  # offline: no PyPI extension listing
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BrowserCheckFailed(f"JupyterLab exited with status {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(url, timeout=5) as reply:
                if reply.status == 200:
                    return process
        except OSError:
            pass
        time.sleep(1)
    raise BrowserCheckFailed(f"JupyterLab did not answer on port {port} within {SERVER_START_S} s; see {log_path}")


def start_chromium(width: int = 1400, height: int = 1000):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = find_executable(("chromium", "chromium-browser", "/usr/bin/chromium"), "Chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 f"--window-size={width},{height}", "--no-first-run", "--mute-audio"):
        options.add_argument(flag)
    # the Debian driver that matches the Debian browser: Selenium must not download one
    service = Service(executable_path=find_executable(("chromedriver", "/usr/bin/chromedriver"), "chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(PAGE_LOAD_S)
    driver.set_script_timeout(60)
    return driver


def wait_for(predicate, timeout: float, what: str, interval: float = 1.0):
    """Call ``predicate`` until it returns something truthy; return that, or fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # the page may be mid-render: try again
            last_error = error
        time.sleep(interval)
    detail = f" (last error: {type(last_error).__name__}: {last_error})" if last_error else ""
    raise BrowserCheckFailed(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


# JavaScript run in the page through window.jupyterapp (exposed by --LabApp.expose_app_in_browser).
JS_NOTEBOOK_STATE = """
const app = window.jupyterapp;
if (!app || !app.shell) return null;
const panel = app.shell.currentWidget;
if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return null;
const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
const cells = panel.content.model.cells;
let code = 0, executed = 0, errors = [];
for (let i = 0; i < cells.length; i++) {
  const cell = cells.get(i);
  if (cell.type !== 'code') continue;
  code += 1;
  if (cell.executionCount !== null && cell.executionCount !== undefined) executed += 1;
  for (let j = 0; j < cell.outputs.length; j++) {
    const out = cell.outputs.get(j);
    if (out.type === 'error') {
      const json = out.toJSON();
      errors.push('cell ' + i + ': ' + json.ename + ': ' + json.evalue);
    }
  }
}
const busy = document.querySelectorAll('.jp-InputPrompt').length > 0 &&
  Array.from(document.querySelectorAll('.jp-InputPrompt')).some(p => p.textContent.includes('*'));
return {kernel: kernel ? kernel.status : 'none', code: code, executed: executed, errors: errors, busy: busy};
"""

# Clear the stored outputs first (execution counts become null), so "every code cell has an
# execution count" can only mean that this run executed it.
JS_CLEAR_ALL = "window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs'); return true;"
JS_RUN_ALL = "window.jupyterapp.commands.execute('notebook:run-all-cells'); return true;"

# JupyterLab asks once whether to fetch Jupyter news: answer "No" so it does not cover the page.
JS_DISMISS_NEWS = """
for (const b of document.querySelectorAll('.Toastify button, .jp-toast-button')) {
  if (b.textContent.trim() === 'No') { b.click(); }
}
return true;
"""

JS_EXPLORER = """
const sliders = Array.from(document.querySelectorAll('.widget-slider'));
const find = (label) => sliders.find(s => {
  const l = s.querySelector('.widget-label');
  return l && l.textContent.trim() === label;
});
const mels = find('n_mels');
const out = {sliders: sliders.map(s => (s.querySelector('.widget-label') || {}).textContent),
             toggles: document.querySelectorAll('.widget-toggle-buttons').length};
if (mels) {
  out.mels_value = mels.querySelector('.widget-readout').textContent.trim();
  const box = mels.closest('.widget-vbox');
  const imgs = box ? Array.from(box.querySelectorAll('.jp-OutputArea-output img, .widget-output img')) : [];
  out.figure = imgs.length ? imgs[imgs.length - 1].getAttribute('src') : null;
  const label = box ? Array.from(box.children).find(c => c.classList.contains('widget-label')) : null;
  out.caption = label ? label.textContent.trim() : null;
}
return out;
"""


def run_check(out_dir: Path, notebook: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    source = ROOT / "notebooks" / notebook
    if not source.is_file():
        raise BrowserCheckFailed(f"no notebook {source}")
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mer_lessons_browser_") as tmp:
        folder = Path(tmp)
        shutil.copy2(source, folder / notebook)
        port, token = free_port(), secrets.token_hex(16)
        log_path = out_dir / "jupyterlab.log"
        server = start_jupyterlab(folder, port, token, log_path)
        driver = None
        step = "starting Chromium"
        try:
            driver = start_chromium()
            started = time.monotonic()

            step = "opening the notebook"
            driver.get(f"http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}")
            state = wait_for(lambda: (lambda s: s if s and s["kernel"] == "idle" and s["code"] else None)(
                driver.execute_script(JS_NOTEBOOK_STATE)), PAGE_LOAD_S, "the notebook to open with an idle kernel")
            print(f"opened {notebook}: {state['code']} code cells, kernel {state['kernel']} "
                  f"({time.monotonic() - started:.0f} s)")

            step = "clearing the stored outputs"
            driver.execute_script(JS_CLEAR_ALL)
            wait_for(lambda: driver.execute_script(JS_NOTEBOOK_STATE)["executed"] == 0, PAGE_LOAD_S,
                     "the stored outputs to be cleared")
            step = "running all cells"
            driver.execute_script(JS_RUN_ALL)
            state = wait_for(lambda: (lambda s: s if s["executed"] == s["code"] and not s["busy"]
                                      and s["kernel"] == "idle" else None)(driver.execute_script(JS_NOTEBOOK_STATE)),
                             RUN_ALL_S, "every code cell to finish", interval=2.0)
            print(f"ran all {state['code']} code cells ({time.monotonic() - started:.0f} s)")
            if state["errors"]:
                raise BrowserCheckFailed("cells raised errors: " + "; ".join(state["errors"]))
            driver.save_screenshot(str(out_dir / "notebook02_ran.png"))

            step = "finding the spectrogram explorer"
            explorer = wait_for(lambda: (lambda e: e if e.get("figure") and e.get("mels_value") else None)(
                driver.execute_script(JS_EXPLORER)), REDRAW_S, "the explorer's sliders and figure to render")
            for label in ("window", "hop/window", "n_mels"):
                if label not in [s.strip() if s else s for s in explorer["sliders"]]:
                    raise BrowserCheckFailed(f"explorer slider {label!r} not rendered (sliders seen: "
                                             f"{explorer['sliders']})")
            if explorer["toggles"] < 1:
                raise BrowserCheckFailed("the explorer's scale buttons are not rendered")
            print(f"explorer rendered: sliders {explorer['sliders']}, n_mels = {explorer['mels_value']}")

            step = "moving the n_mels slider"
            handle = driver.execute_script(
                "return Array.from(document.querySelectorAll('.widget-slider')).find(s => "
                "(s.querySelector('.widget-label') || {}).textContent.trim() === 'n_mels')"
                ".querySelector('.noUi-handle');")
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", handle)
            time.sleep(0.5)
            handle.click()
            for _ in range(3):
                handle.send_keys(Keys.ARROW_LEFT)
                time.sleep(0.3)
            moved = wait_for(lambda: (lambda e: e if e.get("figure") and e["figure"] != explorer["figure"]
                                      and e["mels_value"] != explorer["mels_value"] else None)(
                driver.execute_script(JS_EXPLORER)), REDRAW_S, "the figure to change after the slider moved")
            if moved.get("caption") == explorer.get("caption"):
                raise BrowserCheckFailed(f"the caption did not change: {moved.get('caption')!r}")
            print(f"slider moved: n_mels {explorer['mels_value']} -> {moved['mels_value']}; figure and caption "
                  "redrawn")
            driver.execute_script(JS_DISMISS_NEWS)
            driver.execute_script("arguments[0].closest('.widget-vbox').scrollIntoView({block: 'start'});", handle)
            time.sleep(1.0)
            shot = out_dir / "notebook02_explorer.png"
            driver.save_screenshot(str(shot))
            state = driver.execute_script(JS_NOTEBOOK_STATE)
            if state["errors"]:
                raise BrowserCheckFailed("errors after moving the slider: " + "; ".join(state["errors"]))
            print(f"screenshot: {shot} ({time.monotonic() - started:.0f} s in the browser)")
        except BrowserCheckFailed as error:
            raise BrowserCheckFailed(f"{step}: {error}") from None
        except Exception as error:  # Selenium/driver trouble: report the step
            raise BrowserCheckFailed(f"{step}: {type(error).__name__}: {error}") from error
        finally:
            if driver is not None:
                try:
                    driver.save_screenshot(str(out_dir / "last_state.png"))
                except Exception:
                    pass
                driver.quit()
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "browser")
    parser.add_argument("--notebook", default="02_stft_and_spectrograms.ipynb")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        run_check(args.out.resolve(), args.notebook)
    except BrowserCheckFailed as error:
        print(f"browser check FAILED: {error}", file=sys.stderr)
        print(f"see {args.out}/ (jupyterlab.log, last_state.png)", file=sys.stderr)
        return 1
    print(f"browser check passed in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
