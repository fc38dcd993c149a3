//! Untrusted text (log lines, names, commit titles, alert annotations) on its way to the
//! screen. Terminal control sequences are removed, never passed through: a hostile pod
//! can otherwise retitle the window, write to the clipboard (OSC 52) or clear the screen.

use jiff::Timestamp;

// `escape-audit` turns sanitising off so tests can show they notice: never in a release.
#[cfg(all(feature = "escape-audit", not(debug_assertions)))]
compile_error!("the escape-audit feature turns sanitising off: tests only, never a release build");
use unicode_width::UnicodeWidthChar;

/// Removes ANSI/OSC/DCS/APC/PM/SOS sequences and every C0/C1 control character except
/// tab (shown as spaces by the caller); a carriage return becomes the visible `␍`.
/// Invalid UTF-8 must already have been replaced (`String::from_utf8_lossy`).
pub fn sanitize(input: &str) -> String {
    if cfg!(feature = "escape-audit") {
        return input.to_owned();
    }
    let mut out = String::with_capacity(input.len());
    let mut chars = input.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            // 8-bit CSI, OSC, DCS, SOS, PM, APC introducers
            '\u{9b}' => skip_csi(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string(&mut chars),
            '\t' => out.push_str("    "),
            '\r' => out.push('␍'),
            c if c.is_control() => {}
            // bidi overrides, isolates and marks can disguise text: drop them
            '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{061c}' => {}
            // line and paragraph separators would break a row: a space
            '\u{2028}' | '\u{2029}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Is the text free of anything [`sanitize`] would change? Cheap check for the hot path.
pub fn is_clean(input: &str) -> bool {
    if cfg!(feature = "escape-audit") {
        return true;
    }
    // fast path: printable ASCII needs nothing
    if input.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return true;
    }
    !input.chars().any(is_hazard)
}

/// A character that must never reach a terminal as it is: a C0 or C1 control (DEL
/// included), a bidi override, isolate or mark, a line or paragraph separator.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{061c}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// Text for a terminal, line by line: each line [`sanitize`]d, the line breaks kept. What
/// a subcommand prints on stdout or stderr goes through here.
pub fn sanitize_lines(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for (i, line) in input.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&clean(line));
    }
    out
}

/// A JSON document with every [`is_hazard`] character written as a `\uXXXX` escape.
/// serde_json escapes only C0, `"` and `\`, so C1, DEL, bidi controls and line
/// separators would otherwise reach a terminal (`cat`, `less -R`, a `--json` printed
/// raw) and reorder or hide text. They only occur inside JSON strings, where the escape
/// means the same character: the document parses to the same value.
pub fn escape_json_hazards(json: &str) -> String {
    // raw newlines and tabs are the document's own whitespace: serde_json escapes them
    // inside strings
    let escape = |c: char| is_hazard(c) && !matches!(c, '\n' | '\t' | '\r');
    if !json.chars().any(escape) {
        return json.to_owned();
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escape(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Sanitises only when needed, borrowing otherwise.
pub fn clean(input: &str) -> std::borrow::Cow<'_, str> {
    if is_clean(input) {
        std::borrow::Cow::Borrowed(input)
    } else {
        std::borrow::Cow::Owned(sanitize(input))
    }
}

fn skip_escape(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    match chars.peek().copied() {
        Some('[') => {
            chars.next();
            skip_csi(chars);
        }
        Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
            chars.next();
            skip_string(chars);
        }
        // two-character sequences (ESC c, ESC 7, ESC ( B ...): drop the next char, and a
        // charset designator's final byte too
        Some('(') | Some(')') | Some('*') | Some('+') => {
            chars.next();
            chars.next();
        }
        Some(_) => {
            chars.next();
        }
        None => {}
    }
}

/// CSI: parameter and intermediate bytes, then one final byte in 0x40..=0x7e.
fn skip_csi(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            // not a valid CSI body: stop, the char is dropped with the sequence
            return;
        }
    }
}

/// OSC/DCS/PM/APC/SOS: until BEL, ST (ESC \) or 8-bit ST.
fn skip_string(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                return;
            }
            _ => {}
        }
    }
}

/// Pads or cuts text to exactly `width` terminal cells; a cut ends in `…`.
pub fn fit(text: &str, width: usize) -> String {
    let total: usize = text
        .chars()
        .map(|c| UnicodeWidthChar::width(c).unwrap_or(0))
        .sum();
    let mut out = String::with_capacity(width + 2);
    let mut w = 0;
    if total <= width {
        out.push_str(text);
        w = total;
    } else if width > 0 {
        for c in text.chars() {
            let cw = UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > width - 1 {
                break;
            }
            out.push(c);
            w += cw;
        }
        out.push('…');
        w += 1;
    }
    while w < width {
        out.push(' ');
        w += 1;
    }
    out
}

/// Pads or cuts a name to exactly `width` terminal cells, cutting in the middle so that
/// both ends survive: `checkout-cdtnfz7b9d-nlgpp` in 18 cells is `checkout-cdt…nlgpp`.
/// The end of a generated name (a pod's random suffix, a host's number) is what tells
/// rows apart, so the last `-`/`.`/`/`-separated part is kept whole when it takes at most
/// two thirds of the room; otherwise the room is shared between both ends.
pub fn fit_middle(text: &str, width: usize) -> String {
    let cells = |s: &str| -> usize {
        s.chars()
            .map(|c| UnicodeWidthChar::width(c).unwrap_or(0))
            .sum()
    };
    let total = cells(text);
    if total <= width {
        let mut out = String::with_capacity(text.len() + width - total);
        out.push_str(text);
        out.extend(std::iter::repeat_n(' ', width - total));
        return out;
    }
    if width == 0 {
        return String::new();
    }
    let room = width - 1;
    let last_part = text
        .rfind(['-', '.', '/', '_'])
        .map(|i| cells(&text[i + 1..]))
        .filter(|w| *w > 0);
    // the last part whole while it leaves a third of the room to the head
    let tail_w = match last_part {
        Some(w) if w <= room * 2 / 3 => w,
        _ => room / 2,
    };
    // the end, taken from the back without splitting a wide character
    let mut tail: Vec<char> = Vec::new();
    let mut tw = 0;
    for c in text.chars().rev() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if tw + cw > tail_w {
            break;
        }
        tail.push(c);
        tw += cw;
    }
    let head_w = room - tw;
    let mut out = String::with_capacity(width + 8);
    let mut hw = 0;
    for c in text.chars() {
        let cw = UnicodeWidthChar::width(c).unwrap_or(0);
        if hw + cw > head_w {
            break;
        }
        out.push(c);
        hw += cw;
    }
    out.push('…');
    out.extend(tail.iter().rev());
    // a wide character that did not fit leaves a cell: pad so columns stay aligned
    out.extend(std::iter::repeat_n(' ', room - hw - tw));
    out
}

/// `namespace/name` (cleaned), or the name alone without a namespace.
pub fn qualified_name(namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{}/{}", clean(ns), clean(name)),
        None => clean(name).into_owned(),
    }
}

/// `namespace/name` in exactly `width` cells: when it does not fit the namespace gives
/// way first (cut in the middle: `sho…dev/checkout`), the name stays whole while it
/// can; only then is the name cut in the middle too (`…/check…kout`).
pub fn fit_qualified(namespace: &str, name: &str, width: usize) -> String {
    let (ns, name) = (clean(namespace), clean(name));
    let whole = format!("{ns}/{name}");
    let cells = |s: &str| -> usize {
        s.chars()
            .map(|c| UnicodeWidthChar::width(c).unwrap_or(0))
            .sum()
    };
    if cells(&whole) <= width {
        return fit(&whole, width);
    }
    let name_w = cells(&name);
    // at least two cells of namespace and the slash beside a whole name
    if name_w + 3 <= width {
        let ns_cut = fit_middle(&ns, width - name_w - 1);
        return format!("{}/{name}", ns_cut.trim_end());
    }
    if width > 4 {
        return format!("…/{}", fit_middle(&name, width - 2));
    }
    fit_middle(&name, width)
}

/// A count with its noun in the right number: `1 pod`, `0 pods`, `3 restarts`.
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A compact age: `4s`, `12m`, `3h`, `2d`.
pub fn age(from: Timestamp, now: Timestamp) -> String {
    let secs = now.duration_since(from).as_secs().max(0);
    format_secs(secs)
}

pub fn format_secs(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

/// A measured number in a bounded width, the one formatter for values that come from
/// outside: `0.2`, `999.9`, `1.2k`, `3.4M`, `5.6G`, `7.8T`, `9.0P`, beyond that `1.0e308`;
/// `—` for NaN and ±Inf. `decimals` applies below 1,000.
pub fn bounded(v: f64, decimals: usize) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    if v.abs() < 999.5 {
        let s = format!("{v:.decimals$}");
        // a value that rounds up to 1000 is shown as 1.0k below
        if s.trim_start_matches('-')
            .split('.')
            .next()
            .is_some_and(|i| i.len() <= 3)
        {
            return s;
        }
    }
    let mut x = v;
    for unit in ["k", "M", "G", "T", "P"] {
        x /= 1000.0;
        if x.abs() < 999.95 {
            return format!("{x:.1}{unit}");
        }
    }
    format!("{v:.1e}")
}

/// A duration as kubectl prints an age (apimachinery's `duration.HumanDuration`):
/// `45s`, `3m20s`, `2h5m`, `3d4h`, `12d`, `2y`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (m, h, d) = (60, 3600, 86_400);
    match s {
        s if s < 2 * m => format!("{s}s"),
        s if s < 10 * m => match s % m {
            0 => format!("{}m", s / m),
            r => format!("{}m{r}s", s / m),
        },
        s if s < 3 * h => format!("{}m", s / m),
        s if s < 8 * h => match (s % h) / m {
            0 => format!("{}h", s / h),
            r => format!("{}h{r}m", s / h),
        },
        s if s < 48 * h => format!("{}h", s / h),
        s if s < 8 * d => match (s % d) / h {
            0 => format!("{}d", s / d),
            r => format!("{}d{r}h", s / d),
        },
        s if s < 2 * 365 * d => format!("{}d", s / d),
        s if s < 8 * 365 * d => match (s % (365 * d)) / d {
            0 => format!("{}y", s / (365 * d)),
            r => format!("{}y{r}d", s / (365 * d)),
        },
        s => format!("{}y", s / (365 * d)),
    }
}

/// `150000` → `150,000`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `HH:MM` in the local time zone.
pub fn hh_mm(t: Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::system())
        .strftime("%H:%M")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_osc_csi_and_controls() {
        let hostile = "a\x1b]52;c;ZXZpbA==\x07b\x1b]0;owned\x1b\\c\x1b[2Jd\u{9b}31me\x00f\rg";
        assert_eq!(sanitize(hostile), "abcdef␍g");
        assert!(!is_clean(hostile));
        assert!(is_clean("plain text ✓"));
        assert_eq!(sanitize("a\u{202e}b\u{200f}c\u{2028}d"), "abc d");
        assert!(!is_clean("x\u{2029}"));
    }

    #[test]
    fn a_namespace_gives_way_before_the_name() {
        assert_eq!(fit_qualified("shop", "checkout", 16), "shop/checkout   ");
        // `-A`: the name whole, the namespace cut in the middle
        assert_eq!(
            fit_qualified("shop-dev", "checkout", 16),
            "sho…dev/checkout"
        );
        assert_eq!(cells(&fit_qualified("shop-dev", "checkout", 14)), 14);
        assert!(fit_qualified("shop-dev", "checkout", 14).ends_with("/checkout"));
        assert!(fit_qualified("shop-dev", "checkout-canary-long", 12).starts_with("…/"));
        // a revision keeps its hash
        assert_eq!(fit_middle("train-llama-bm5c8d9f7", 16), "train-…bm5c8d9f7");
    }

    #[test]
    fn counts_agree_with_their_noun() {
        assert_eq!(count(1u32, "pod", "pods"), "1 pod");
        assert_eq!(count(0u32, "pod", "pods"), "0 pods");
        assert_eq!(count(2u64, "restart", "restarts"), "2 restarts");
    }

    #[test]
    fn bounded_numbers_stay_short() {
        assert_eq!(bounded(0.25, 2), "0.25");
        assert_eq!(bounded(12.345, 1), "12.3");
        assert_eq!(bounded(999.96, 1), "1.0k");
        assert_eq!(bounded(1234.0, 1), "1.2k");
        assert_eq!(bounded(-2_500_000.0, 0), "-2.5M");
        assert_eq!(bounded(9.0e15, 1), "9.0P");
        assert_eq!(bounded(1e308, 1), "1.0e308");
        assert_eq!(bounded(f64::MAX, 1), "1.8e308");
        assert_eq!(bounded(f64::NAN, 1), "—");
        assert_eq!(bounded(f64::NEG_INFINITY, 1), "—");
        for v in [1e3, 1e6, 1e9, 1e12, 1e15, 1e18, 1e100, 1e308, -1e308] {
            assert!(bounded(v, 2).chars().count() <= 8, "{v}: {}", bounded(v, 2));
        }
    }

    fn cells(s: &str) -> usize {
        s.chars()
            .map(|c| UnicodeWidthChar::width(c).unwrap_or(0))
            .sum()
    }

    #[test]
    fn fit_middle_keeps_the_end_that_tells_names_apart() {
        assert_eq!(
            fit_middle("checkout-cdtnfz7b9d-nlgpp", 18),
            "checkout-cdt…nlgpp"
        );
        let a = fit_middle("checkout-cdtnfz7b9d-nlgpp", 16);
        let b = fit_middle("checkout-cdtnfz7b9d-x2kqw", 16);
        assert_ne!(a, b, "{a} vs {b}");
        assert_eq!(cells(&a), 16);
        // short enough: padded, not cut
        assert_eq!(fit_middle("cart", 6), "cart  ");
        assert_eq!(fit_middle("cart", 4), "cart");
        // a long last part shares the room with the start
        assert_eq!(fit_middle("abcdefghij-klmnopqrstuv", 9), "abcd…stuv");
        // no separator at all
        assert_eq!(fit_middle("abcdefghijklmnop", 7), "abc…nop");
        assert_eq!(fit_middle("abcdef", 1), "…");
        assert_eq!(fit_middle("abcdef", 0), "");
    }

    #[test]
    fn fit_middle_counts_cells_not_bytes() {
        // wide characters take two cells and are never split
        let s = fit_middle("日本語のポッド-名前", 9);
        assert_eq!(cells(&s), 9, "{s:?}");
        assert!(s.contains('…'));
        assert!(s.contains("…名前"), "the end survives: {s:?}");
        // multi-byte but one cell each
        assert_eq!(fit_middle("ééééééééé-ü", 5), "ééé…ü");
        for w in 0..12 {
            assert_eq!(cells(&fit_middle("漢字漢字漢字-漢字", w)), w, "width {w}");
        }
    }

    #[test]
    fn unterminated_sequences_do_not_eat_nothing_else() {
        assert_eq!(sanitize("x\x1b"), "x");
        assert_eq!(sanitize("x\x1b]0;title"), "x");
        assert_eq!(sanitize("tab\tend"), "tab    end");
    }
}
