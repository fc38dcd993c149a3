#!/usr/bin/env python3
"""Measures the console in a real pseudo-terminal, as a person's terminal would see it.

  start    time from exec to the first complete frame (the status bar's last cell drawn)
  idle     bytes written to the terminal and CPU time used while nothing changes

Usage: scripts/measure-console.py [--bin PATH] [--runs N] [--idle SECONDS] [-- ARGS...]
Run it with a release build: cargo build --release.
"""
import argparse, os, pty, select, signal, statistics, struct, fcntl, termios, time, tempfile


def spawn(binary, args, cols=200, rows=60, env_extra=None):
    pid, fd = pty.fork()
    if pid == 0:
        # nothing of the caller's environment but PATH: HOME, the XDG folders and KUBECONFIG
        # are the measurement's own, so a developer's config or cluster never joins in
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
        env.update(env_extra or {})
        os.execve(binary, [binary] + args, env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def read_until(fd, needle, timeout):
    buf = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            buf += chunk
            if needle in buf:
                return buf, time.monotonic()
    return buf, None


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def stop(pid, fd):
    try:
        os.write(fd, b"q")
        for _ in range(100):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return status
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        return os.waitpid(pid, 0)[1]
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/flightdeck")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--idle", type=float, default=10.0)
    ap.add_argument("--needle", default="help", help="text of the status bar that completes the first frame")
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="a variable the console gets (nothing else is inherited but PATH)")
    ap.add_argument("args", nargs="*")
    a = ap.parse_args()
    cfg = tempfile.mkdtemp()
    env = {"HOME": cfg, "XDG_CONFIG_HOME": cfg, "XDG_DATA_HOME": cfg, "XDG_STATE_HOME": cfg,
           "XDG_CACHE_HOME": cfg, "KUBECONFIG": os.path.join(cfg, "no-kubeconfig"),
           "TERM": "xterm-256color"}
    for kv in a.env:
        key, _, value = kv.partition("=")
        env[key] = value

    starts = []
    for _ in range(a.runs):
        t0 = time.monotonic()
        pid, fd = spawn(a.bin, a.args, env_extra=env)
        _, t1 = read_until(fd, a.needle.encode(), 10)
        stop(pid, fd)
        if t1 is None:
            raise SystemExit("first frame never completed")
        starts.append((t1 - t0) * 1000)
    print(f"start to first complete frame: median {statistics.median(starts):.1f} ms, "
          f"min {min(starts):.1f} ms, max {max(starts):.1f} ms over {a.runs} runs")

    pid, fd = spawn(a.bin, a.args, env_extra=env)
    read_until(fd, a.needle.encode(), 10)
    read_until(fd, b"\x00never", 1.0)  # let start-up settle (first source reports)
    ticks0 = cpu_ticks(pid)
    buf, _ = read_until(fd, b"\x00never", a.idle)
    ticks1 = cpu_ticks(pid)
    hz = os.sysconf("SC_CLK_TCK")
    stop(pid, fd)
    print(f"idle for {a.idle:.0f} s: {len(buf)} bytes written ({len(buf) / a.idle:.1f} B/s), "
          f"CPU {(ticks1 - ticks0) / hz * 1000:.0f} ms ({(ticks1 - ticks0) / hz / a.idle * 100:.2f} %)")


if __name__ == "__main__":
    main()
