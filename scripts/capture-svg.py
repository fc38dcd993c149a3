#!/usr/bin/env python3
"""Renders a terminal capture with colours (`tmux capture-pane -e -p`) as an SVG picture.

  tmux capture-pane -e -p -t SESSION | scripts/capture-svg.py > assets/screen.svg

Understands the SGR codes tmux emits: 16/256/true colours, bold, dim, italic, underline and
reverse. Every cell is one monospace column (box drawing and block elements included).
"""
import html, re, sys

CW, CH = 8.4, 17  # cell size in px
BASE16 = ["#1a1b26", "#f7768e", "#9ece6a", "#e0af68", "#7aa2f7", "#bb9af7", "#7dcfff", "#a9b1d6",
          "#414868", "#ff7a93", "#b9f27c", "#ff9e64", "#7da6ff", "#d4a6ff", "#b4f9f8", "#c0caf5"]
FG, BG = "#c0caf5", "#1a1b26"


def c256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


def parse(lines):
    rows = []
    for line in lines:
        st = {"fg": None, "bg": None, "bold": False, "dim": False, "italic": False, "ul": False, "rev": False}
        cells = []
        for part in re.split(r"(\x1b\[[0-9;:]*m)", line):
            m = re.fullmatch(r"\x1b\[([0-9;:]*)m", part)
            if not m:
                for ch in part:
                    cells.append((ch, dict(st)))
                continue
            codes = [int(c) if c else 0 for c in m.group(1).replace(":", ";").split(";")] or [0]
            i = 0
            while i < len(codes):
                c = codes[i]
                if c == 0:
                    st = {k: (None if k in ("fg", "bg") else False) for k in st}
                elif c == 1: st["bold"] = True
                elif c == 2: st["dim"] = True
                elif c == 3: st["italic"] = True
                elif c == 4: st["ul"] = True
                elif c == 7: st["rev"] = True
                elif c == 22: st["bold"] = st["dim"] = False
                elif c == 23: st["italic"] = False
                elif c == 24: st["ul"] = False
                elif c == 27: st["rev"] = False
                elif 30 <= c <= 37: st["fg"] = BASE16[c - 30]
                elif c == 39: st["fg"] = None
                elif 40 <= c <= 47: st["bg"] = BASE16[c - 40]
                elif c == 49: st["bg"] = None
                elif 90 <= c <= 97: st["fg"] = BASE16[c - 90 + 8]
                elif 100 <= c <= 107: st["bg"] = BASE16[c - 100 + 8]
                elif c in (38, 48) and i + 1 < len(codes):
                    key = "fg" if c == 38 else "bg"
                    if codes[i + 1] == 5 and i + 2 < len(codes):
                        st[key] = c256(codes[i + 2]); i += 2
                    elif codes[i + 1] == 2 and i + 4 < len(codes):
                        st[key] = "#%02x%02x%02x" % tuple(codes[i + 2:i + 5]); i += 4
                i += 1
        rows.append(cells)
    return rows


def main():
    rows = parse(sys.stdin.read().rstrip("\n").split("\n"))
    width = max((len(r) for r in rows), default=0)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width * CW:.0f}" height="{len(rows) * CH}" '
           f'font-family="DejaVu Sans Mono, Menlo, Consolas, monospace" font-size="14">',
           f'<rect width="100%" height="100%" fill="{BG}"/>']
    for y, row in enumerate(rows):
        for x, (ch, st) in enumerate(row):
            fg, bg = st["fg"] or FG, st["bg"]
            if st["rev"]:
                fg, bg = bg or BG, fg
            if bg:
                out.append(f'<rect x="{x * CW:.1f}" y="{y * CH}" width="{CW + 0.5:.1f}" height="{CH}" fill="{bg}"/>')
            if ch.strip():
                attrs = f'fill="{fg}"'
                if st["bold"]: attrs += ' font-weight="bold"'
                if st["italic"]: attrs += ' font-style="italic"'
                if st["dim"]: attrs += ' opacity="0.6"'
                if st["ul"]: attrs += ' text-decoration="underline"'
                out.append(f'<text x="{x * CW:.1f}" y="{y * CH + 13}" {attrs}>{html.escape(ch)}</text>')
    out.append("</svg>")
    print("\n".join(out))


if __name__ == "__main__":
    main()
