#!/usr/bin/env python3
"""Numbers from the binary users run: target/release/flightdeck in a pseudo-terminal against
`flightdeck sandbox --pods N`, as a person's terminal sees it. Prints a markdown table.

  scripts/measure.py                         # 10,000, 50,000 and 150,000 pods
  scripts/measure.py --pods 10000,50000      # some of them
  scripts/measure.py --bin PATH --no-build   # another binary, not rebuilt

For each pod count: a sandbox (`flightdeck sandbox --pods N`, simulated time paused so that
nothing moves but what the script drives), a fresh HOME holding only a generated kubeconfig
pointing at it, and the console (`flightdeck -A`) in a pty of --cols x --rows with nothing of
the caller's environment (no KUBECONFIG, XDG folders, config.toml or keymap of yours). The
terminal's byte stream is decoded into a screen (a small VT emulator below), and:

  first pod row      exec → the first pod row (`1/1  Running`) on screen
  list complete      exec → the first screen with pod rows and no `listing` in any title
  RSS                VmHWM (peak) and VmRSS (steady, after the list and the idle window)
  idle               bytes written to the pty over --idle seconds with nothing happening
  CPU per event      the console's utime+stime (/proc/PID/stat) over a window of
                     POST /_sandbox/churn at --rate events/s for --churn-secs, ÷ events
                     applied (annotation: nothing shown changes; restarts: a shown column)
  key → frame        `p` selects the pods of the selected deployment, then j/k alternate:
                     from writing the key to the arrival of the output that shows the
                     selection moved (the `pods of X (N of M)` counter), p50/p99 over --keys
                     samples; again while one of those pods logs --flood lines/s (POST
                     /_sandbox/pods/NS/POD/log?split=true), its lines drawn in the Logs pane

Everything the script starts is ended on exit (Ctrl-C included). Needs only Python 3 and a
built binary (it runs `cargo build --release` unless --no-build).
"""
import argparse
import codecs
import errno
import fcntl
import json
import os
import pty
import random
import re
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unicodedata
import urllib.error
import urllib.request

HZ = os.sysconf("SC_CLK_TCK")
CHILDREN = []  # (kind, pid) of everything started, ended in cleanup()


class Fail(Exception):
    pass


# ---------------------------------------------------------------------------------------
# a screen: enough of a VT100/xterm to follow what crossterm writes (cursor moves, erases,
# SGR ignored, OSC and other strings skipped)


class Screen:
    def __init__(self, cols, rows):
        self.cols, self.rows = cols, rows
        self.cells = [[" "] * cols for _ in range(rows)]
        self.x = self.y = 0
        self.state = "text"
        self.params = ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data):
        for ch in self.decoder.decode(data):
            self._char(ch)

    def _char(self, ch):
        s = self.state
        o = ord(ch)
        if s == "text":
            if ch == "\x1b":
                self.state = "esc"
            elif ch == "\r":
                self.x = 0
            elif ch == "\n":
                self.y = min(self.y + 1, self.rows - 1)
            elif ch == "\b":
                self.x = max(self.x - 1, 0)
            elif o < 0x20 or 0x7F <= o < 0xA0:
                pass
            else:
                self._put(ch)
        elif s == "esc":
            if ch == "[":
                self.state, self.params = "csi", ""
            elif ch == "]":
                self.state = "osc"
            elif ch in "PX^_":
                self.state = "str"
            elif ch in "()*+#%":
                self.state = "esc1"  # one more byte (a charset)
            else:
                self.state = "text"  # ESC 7, ESC 8, ESC =, ...
        elif s == "esc1":
            self.state = "text"
        elif s in ("osc", "str"):
            if ch == "\x07":
                self.state = "text"
            elif ch == "\x1b":
                self.state = "str_esc"
        elif s == "str_esc":
            self.state = "text" if ch == "\\" else s.replace("_esc", "")
        elif s == "csi":
            if 0x40 <= o <= 0x7E:
                self.state = "text"
                self._csi(self.params, ch)
            else:
                self.params += ch

    def _put(self, ch):
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if unicodedata.combining(ch):
            return
        if self.x >= self.cols:
            self.x = 0
            self.y = min(self.y + 1, self.rows - 1)
        self.cells[self.y][self.x] = ch
        if w == 2 and self.x + 1 < self.cols:
            self.cells[self.y][self.x + 1] = ""
        self.x += w

    def _csi(self, params, final):
        private = params[:1] in ("?", ">", "<", "=")
        nums = [int(p) if p.isdigit() else 0 for p in params.lstrip("?><=").split(";")]
        n = nums[0] if nums and nums[0] else 1
        if private:
            if final in "hl" and params.lstrip("?") in ("1049", "47", "1047"):
                self._erase(0, 0, self.rows, self.cols)
            return
        if final in "Hf":
            row = nums[0] if nums and nums[0] else 1
            col = nums[1] if len(nums) > 1 and nums[1] else 1
            self.y, self.x = min(row, self.rows) - 1, min(col, self.cols) - 1
        elif final == "A":
            self.y = max(self.y - n, 0)
        elif final == "B":
            self.y = min(self.y + n, self.rows - 1)
        elif final == "C":
            self.x = min(self.x + n, self.cols - 1)
        elif final == "D":
            self.x = max(self.x - n, 0)
        elif final == "G":
            self.x = min(n, self.cols) - 1
        elif final == "d":
            self.y = min(n, self.rows) - 1
        elif final == "J":
            mode = nums[0] if nums else 0
            if mode == 0:
                self._erase(self.y, self.x, self.y + 1, self.cols)
                self._erase(self.y + 1, 0, self.rows, self.cols)
            elif mode == 1:
                self._erase(0, 0, self.y, self.cols)
                self._erase(self.y, 0, self.y + 1, self.x + 1)
            else:
                self._erase(0, 0, self.rows, self.cols)
        elif final == "K":
            mode = nums[0] if nums else 0
            lo, hi = {0: (self.x, self.cols), 1: (0, self.x + 1)}.get(mode, (0, self.cols))
            self._erase(self.y, lo, self.y + 1, hi)
        elif final == "X":
            self._erase(self.y, self.x, self.y + 1, min(self.x + n, self.cols))
        # m (colours), r (scroll region), s/u, t, ... change no text

    def _erase(self, y0, x0, y1, x1):
        for y in range(max(y0, 0), min(y1, self.rows)):
            row = self.cells[y]
            for x in range(max(x0, 0), min(x1, self.cols)):
                row[x] = " "

    def text(self):
        return "\n".join("".join(r) for r in self.cells)


# ---------------------------------------------------------------------------------------
# the console in a pty, its output read by a thread into the screen


class Console:
    def __init__(self, binary, args, env, cols, rows):
        self.screen = Screen(cols, rows)
        self.cond = threading.Condition()
        self.bytes = 0
        self.last_chunk_at = None
        self.eof = False
        pid, fd = pty.fork()
        if pid == 0:
            try:
                # the size is set before exec: the console reads it once at start
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
                os.execve(binary, [binary] + args, env)
            finally:
                os._exit(127)
        CHILDREN.append(("console", pid))
        self.pid, self.fd = pid, fd
        self.started = time.monotonic()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                r, _, _ = select.select([self.fd], [], [], 0.5)
                if not r:
                    continue
                chunk = os.read(self.fd, 65536)
            except OSError as e:
                if e.errno in (errno.EIO, errno.EBADF):
                    break
                raise
            if not chunk:
                break
            now = time.monotonic()
            with self.cond:
                self.screen.feed(chunk)
                self.bytes += len(chunk)
                self.last_chunk_at = now
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, what, pred, timeout):
        """Waits until pred(screen text) holds; returns the arrival time of the output that
        made it hold."""
        end = time.monotonic() + timeout
        with self.cond:
            while True:
                if pred(self.screen.text()):
                    return self.last_chunk_at or time.monotonic()
                if self.eof:
                    raise Fail(f"the console exited while waiting for {what}:\n{self.screen.text()}")
                left = end - time.monotonic()
                if left <= 0:
                    raise Fail(f"never saw {what} within {timeout:.0f} s; the screen:\n{self.screen.text()}")
                self.cond.wait(left)

    def text(self):
        with self.cond:
            return self.screen.text()

    def key(self, k):
        os.write(self.fd, k)

    def cpu_ticks(self):
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def status(self, field):
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise Fail(f"no {field} in /proc/{self.pid}/status")

    def stop(self):
        for k in (b"\x1b", b"q"):
            try:
                self.key(k)
            except OSError:
                pass
            time.sleep(0.2)
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                try:
                    os.kill(self.pid, sig)
                except ProcessLookupError:
                    pass
            for _ in range(50):
                done, _ = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    CHILDREN.remove(("console", self.pid))
                    os.close(self.fd)
                    return
                time.sleep(0.04)


# ---------------------------------------------------------------------------------------
# the sandbox


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        raise Fail(f"{method} {url}: {e.code} {e.read()[:300]!r}") from None
    except (urllib.error.URLError, OSError) as e:
        raise Fail(f"{method} {url}: {e}") from None


class Sandbox:
    def __init__(self, binary, pods, work, env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(work, "sandbox.out"), "wb")
        self.proc = subprocess.Popen(
            [binary, "sandbox", "--pods", str(pods), "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True)
        CHILDREN.append(("sandbox", self.proc.pid))
        end = time.monotonic() + 60 + pods / 1000
        while True:
            if self.proc.poll() is not None:
                raise Fail(f"the sandbox exited ({self.proc.returncode}): "
                           f"{open(self.log.name, 'rb').read()[-2000:].decode(errors='replace')}")
            try:
                http("GET", self.base + "/version", timeout=2)
                break
            except Fail:
                if time.monotonic() > end:
                    raise Fail(f"the sandbox did not answer /version at {self.base}")
                time.sleep(0.1)
        # nothing moves but what the script drives
        self.admin("POST", "time/pause")

    def admin(self, method, route, body=None):
        return http(method, f"{self.base}/_sandbox/{route}", body)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        CHILDREN.remove(("sandbox", self.proc.pid))
        self.log.close()


def kubeconfig(base):
    return f"""apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: {base}
contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: sandbox
current-context: sandbox
users:
- name: sandbox
  user:
    token: sandbox-token
"""


def cleanup():
    for kind, pid in list(CHILDREN):
        try:
            if kind == "sandbox":
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---------------------------------------------------------------------------------------
# the measurements

POD_ROW = re.compile(r"\b\d+/\d+ +(Running|Pending|ContainerCreating|CrashLoopBackOff|Completed|Error)\b")
POD_COUNTER = re.compile(r"pods of \S+ \((\d+)(?:[–-]\d+)? of ([\d,]+)")
POD_OWNER = re.compile(r"pods of (\S+) \(")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, round(p / 100 * len(v) + 0.5) - 1))]


def churn(sb, con, rate, secs, change):
    """CPU of the console per watch event, `rate` events/s for `secs` seconds."""
    step = 0.05
    per = max(1, round(rate * step))
    t_end = time.monotonic() + secs
    ticks0 = con.cpu_ticks()
    events = 0
    nxt = time.monotonic()
    while time.monotonic() < t_end:
        r = sb.admin("POST", f"churn?n={per}&change={change}")
        events += int(r.get("modified", per))
        nxt += step
        delay = nxt - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    took = secs + max(0.0, time.monotonic() - t_end)
    time.sleep(1.0)  # the last events reach the console and are drawn
    ticks1 = con.cpu_ticks()
    return (ticks1 - ticks0) / HZ / events * 1e6, events / took


def key_latency(con, samples, label):
    out = []
    idx = None
    for i in range(samples):
        text = con.text()
        m = POD_COUNTER.search(text)
        if not m:
            raise Fail(f"{label}: no `pods of X (N of M)` line on screen:\n{text}")
        cur, total = int(m.group(1)), int(m.group(2).replace(",", ""))
        if total < 2:
            raise Fail(f"{label}: the selected deployment has {total} pod; need two to move between")
        key, want = (b"j", cur + 1) if cur == 1 else (b"k", cur - 1)
        t0 = time.monotonic()
        con.key(key)

        def moved(t, want=want):
            m = POD_COUNTER.search(t)
            return m is not None and int(m.group(1)) == want

        t1 = con.wait_for(f"the selection at pod {want} ({label})", moved, 10)
        out.append((t1 - t0) * 1000)
        time.sleep(random.uniform(0.03, 0.09))  # not in step with the frame clock
    return out


class Flood(threading.Thread):
    """Appends `rate` lines/s to one pod's log in 20 ms batches until stopped."""

    def __init__(self, sb, ns, pod, rate):
        super().__init__(daemon=True)
        self.url = f"{sb.base}/_sandbox/pods/{ns}/{pod}/log?split=true"
        self.rate, self.lines, self.error = rate, 0, None
        self.halt = threading.Event()

    def run(self):
        step = 0.02
        per = max(1, round(self.rate * step))
        n = 0
        self.t0 = nxt = time.monotonic()
        try:
            while not self.halt.is_set():
                body = "".join(f"flood line {n + i} level=info msg=\"measuring under load\"\n"
                               for i in range(per)).encode()
                http("POST", self.url, body)
                n += per
                self.lines = n
                nxt += step
                delay = nxt - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
        except Fail as e:
            self.error = e
        self.t1 = time.monotonic()

    def achieved(self):
        return self.lines / max(1e-9, self.t1 - self.t0)


def measure(a, pods):
    work = tempfile.mkdtemp(prefix="flightdeck-measure-")
    try:
        home = os.path.join(work, "home")
        os.makedirs(os.path.join(home, ".kube"))
        # nothing of the caller's: HOME is empty but for the kubeconfig; no XDG folder,
        # KUBECONFIG or config.toml of the caller's reaches either process
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
               "TERM": "xterm-256color"}
        sb = Sandbox(a.bin, pods, work, env)
        try:
            with open(os.path.join(home, ".kube", "config"), "w") as f:
                f.write(kubeconfig(sb.base))
            return run_console(a, sb, pods, env)
        finally:
            sb.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_console(a, sb, pods, env):
    r = {}
    limit = 60 + pods / 500
    con = Console(a.bin, ["-A"], env, a.cols, a.rows)
    try:
        t0 = con.started
        t = con.wait_for("a pod row", lambda s: POD_ROW.search(s), limit)
        r["first"] = (t - t0) * 1000
        t = con.wait_for("the list complete (no `listing` on screen)",
                         lambda s: POD_ROW.search(s) and "listing" not in s, limit)
        r["complete"] = (t - t0) * 1000
        time.sleep(2)  # start-up settles (the first contact probe, the log follows)

        b0, c0 = con.bytes, con.cpu_ticks()
        time.sleep(a.idle)
        r["idle_bytes"], r["idle_cpu"] = con.bytes - b0, (con.cpu_ticks() - c0) / HZ
        r["hwm"], r["rss"] = con.status("VmHWM"), con.status("VmRSS")

        r["cpu_annotation"], r["rate_annotation"] = churn(sb, con, a.rate, a.churn_secs, "annotation")
        r["cpu_restarts"], r["rate_restarts"] = churn(sb, con, a.rate, a.churn_secs, "restarts")
        r["hwm_churn"], r["rss_churn"] = con.status("VmHWM"), con.status("VmRSS")

        # a deployment with more pods than its list shows once they are selected (the list's
        # title then counts the selected one: `pods of X (2 of 18 ↓)`), its pods selected
        # with `p`, then j/k between them; Esc back to the deployments and on with j
        for _ in range(200):
            time.sleep(0.3)  # the pane settles (its list laid out for the new owner)
            text = con.text()
            m = POD_OWNER.search(text)
            if not m:
                raise Fail(f"no `pods of X` on screen:\n{text}")
            if POD_COUNTER.search(text):
                con.key(b"p")
                time.sleep(0.4)
                m2 = POD_COUNTER.search(con.text())
                if m2 and m2.group(1) == "1":
                    break
                con.key(b"\x1b")
                con.wait_for("the deployments selected again", lambda s: "p to select" in s, 10)
            con.key(b"j")
            con.wait_for("the next deployment's pods",
                         lambda s, was=m.group(1): (n := POD_OWNER.search(s)) and n.group(1) != was, 10)
        else:
            raise Fail("no deployment in the first 200 has more pods than its selected list shows")
        r["keys"] = key_latency(con, a.keys, "idle")

        # one pod of the shown deployment logs `flood` lines a second
        ns, pod = flood_target(sb, con)
        flood = Flood(sb, ns, pod, a.flood)
        flood.start()
        try:
            con.wait_for("the flood in the Logs pane", lambda s: "flood line" in s, 20)
            c0, t0 = con.cpu_ticks(), time.monotonic()
            r["keys_flood"] = key_latency(con, a.keys, "log flood")
            r["flood_cpu"] = (con.cpu_ticks() - c0) / HZ / (time.monotonic() - t0)
        finally:
            flood.halt.set()
            flood.join()
        if flood.error:
            raise flood.error
        r["flood_rate"] = flood.achieved()
        r["hwm_end"] = con.status("VmHWM")
    finally:
        con.stop()
    return r


def flood_target(sb, con):
    """A pod of the deployment whose pods are shown: the first pod row's name, found in the
    API (the screen may cut it)."""
    text = con.text()
    m = POD_COUNTER.search(text)
    if not m:
        raise Fail(f"no `pods of X` on screen:\n{text}")
    dep = m.group(0).split()[2]
    deps = http("GET", f"{sb.base}/apis/apps/v1/deployments?fieldSelector=metadata.name%3D{dep}")
    for d in deps.get("items", []):
        ns = d["metadata"]["namespace"]
        items = http("GET", f"{sb.base}/api/v1/namespaces/{ns}/pods").get("items", [])
        names = sorted(p["metadata"]["name"] for p in items
                       if p["metadata"]["name"].startswith(dep + "-"))
        shown = [n for n in names if n in text]
        if shown:
            return ns, shown[0]
    raise Fail(f"cannot find a pod of {dep} shown on screen to flood:\n{text}")


def mb(b):
    return f"{b / 1e6:.1f} MB"


def table(a, results):
    ns = list(results)
    head = "| | " + " | ".join(f"{n:,} pods" for n in ns) + " |"
    rows = [head, "|---" * (len(ns) + 1) + "|"]

    def row(name, f):
        rows.append(f"| {name} | " + " | ".join(f(results[n]) for n in ns) + " |")

    row("first pod row on screen", lambda r: f"{r['first']:.0f} ms")
    row("list complete on screen", lambda r: f"{r['complete']:.0f} ms")
    row("RSS steady / peak (VmRSS / VmHWM)", lambda r: f"{mb(r['rss'])} / {mb(r['hwm'])}")
    row(f"RSS after {2 * a.churn_secs:.0f} s of churn / peak",
        lambda r: f"{mb(r['rss_churn'])} / {mb(r['hwm_churn'])}")
    row(f"idle, {a.idle:.0f} s, nothing changing", lambda r: (
        f"{r['idle_bytes'] / a.idle:.1f} B/s ({r['idle_bytes']} bytes), "
        f"CPU {r['idle_cpu'] * 1000:.0f} ms"))
    row(f"CPU per watch event at {a.rate:,} events/s, annotation (nothing shown changes)",
        lambda r: f"{r['cpu_annotation']:.1f} µs ({r['rate_annotation']:.0f}/s)")
    row(f"CPU per watch event at {a.rate:,} events/s, restart count (a shown column)",
        lambda r: f"{r['cpu_restarts']:.1f} µs ({r['rate_restarts']:.0f}/s)")
    row(f"key → frame, p50 / p99 ({a.keys} keys)",
        lambda r: f"{statistics.median(r['keys']):.1f} / {pct(r['keys'], 99):.1f} ms")
    row(f"key → frame during a {a.flood:,} lines/s log flood, p50 / p99",
        lambda r: f"{statistics.median(r['keys_flood']):.1f} / {pct(r['keys_flood'], 99):.1f} ms "
                  f"({r['flood_rate']:,.0f} lines/s sent; the console's CPU {r['flood_cpu'] * 100:.0f} % of a core)")
    row("peak RSS at the end (after the flood)", lambda r: mb(r["hwm_end"]))
    return "\n".join(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--bin", default=None, help="the binary (default target/release/flightdeck, built)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build --release")
    ap.add_argument("--pods", default="10000,50000,150000", help="pod counts, comma-separated")
    ap.add_argument("--cols", type=int, default=160)
    ap.add_argument("--rows", type=int, default=45)
    ap.add_argument("--idle", type=float, default=10.0, help="idle window, seconds")
    ap.add_argument("--rate", type=int, default=1000, help="watch events per second")
    ap.add_argument("--churn-secs", type=float, default=15.0, help="each churn window, seconds")
    ap.add_argument("--keys", type=int, default=200, help="key samples per condition")
    ap.add_argument("--flood", type=int, default=5000, help="log lines per second in the flood")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if a.bin is None:
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target"))
        a.bin = os.path.join(target, "release", "flightdeck")
        if not a.no_build:
            print("building: cargo build --release --bin flightdeck", file=sys.stderr)
            if subprocess.call(["cargo", "build", "--release", "--bin", "flightdeck"], cwd=root) != 0:
                raise SystemExit("measure: cargo build --release failed")
    if not os.access(a.bin, os.X_OK):
        raise SystemExit(f"measure: {a.bin} is not an executable (build it: cargo build --release)")
    try:
        counts = [int(p.replace("_", "").replace(",", "")) for p in a.pods.split(",") if p]
    except ValueError:
        raise SystemExit(f"measure: --pods {a.pods!r}: expected numbers, e.g. 10000,50000")

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: (cleanup(), os._exit(130)))
    results = {}
    try:
        for n in counts:
            print(f"measuring {n:,} pods …", file=sys.stderr)
            t = time.monotonic()
            results[n] = measure(a, n)
            print(f"  done in {time.monotonic() - t:.0f} s", file=sys.stderr)
    except Fail as e:
        cleanup()
        if results:
            print(table(a, results))
        raise SystemExit(f"measure: {e}")
    finally:
        cleanup()
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"`{os.path.relpath(a.bin, root) if a.bin.startswith(root) else a.bin}` "
          f"in a {a.cols}x{a.rows} pty, `flightdeck -A` against `flightdeck sandbox --pods N` "
          f"(simulated time paused), {os.cpu_count()} CPUs, load average at the end {load}:\n")
    print(table(a, results))


if __name__ == "__main__":
    main()
