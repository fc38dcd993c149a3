//! The GPU pane, whole screen: samples go in through the real `update` path
//! (`Event::Gpu`), the screen comes out of `flightdeck::ui::render` into a `TestBackend`.
//! Snapshots drop colour, so key cells' styles are checked explicitly.

use crate::support::common;

use flightdeck::app::{Event, PaneId, State, update};
use flightdeck::config::theme::Health;
use flightdeck::sources::gpu::{
    GpuProcess, GpuSample, GpuUpdate, HostSample, Memory, ThrottleReason,
};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::buffer::Buffer;
use ratatui::style::Style;

/// 2026-11-23 03:00:00 UTC.
const NOW_MS: i64 = 1_795_402_800_000;
const GIB: u64 = 1 << 30;

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).expect("valid time")
}

fn state() -> State {
    common::state_builder()
        .config_toml(
            r#"
[[gpu.host]]
name = "dgx-01"
scrape = "http://dgx-01.invalid:9400/metrics"
"#,
        )
        .theme("dark")
        .at(ts(NOW_MS))
        .focus(PaneId::Hosts)
        .build()
}

fn h100(host: &str, index: u32, util: u32) -> GpuSample {
    let mut g = GpuSample::empty(host, index, format!("GPU-{host}-{index:04}"));
    g.name = Some("NVIDIA H100 80GB HBM3".into());
    g.util_gpu_pct = Some(util);
    g.util_mem_pct = Some(util / 2);
    g.memory = Memory::Dedicated {
        used_bytes: (10 + u64::from(index) * 8) * GIB,
        total_bytes: 80 * GIB,
    };
    g.temperature_c = Some(40 + index * 2);
    g.temp_slowdown_c = Some(87);
    g.temp_shutdown_c = Some(92);
    g.power_w = Some(100.0 + f64::from(util) * 5.0);
    g.power_limit_w = Some(700.0);
    g.throttle = Some(vec![]);
    g.processes = Some(vec![GpuProcess {
        pid: 4000 + index,
        name: Some(format!("python{index}")),
        gpu_memory_bytes: Some((9 + u64::from(index) * 8) * GIB),
        sm_util_pct: Some(util),
    }]);
    g
}

fn host(name: &str, at_ms: i64, gpus: Vec<GpuSample>) -> Event {
    Event::Gpu(GpuUpdate::Host(HostSample {
        host: name.into(),
        time: ts(at_ms),
        gpus,
        error: None,
        driver_version: Some("580.95.05".into()),
    }))
}

/// Feeds `n` samples a second apart ending at NOW, util moving so the sparkline shows.
fn feed(s: &mut State, name: &str, make: impl Fn(u32) -> Vec<GpuSample>) {
    for step in 0..8u32 {
        let at = NOW_MS - i64::from(7 - step) * 1000;
        update(s, host(name, at, make(step)));
    }
}

fn dgx(step: u32) -> Vec<GpuSample> {
    (0..8)
        .map(|i| h100("dgx-01", i, (i * 11 + step * 9) % 101))
        .collect()
}

/// Stale ages and the status bar's source ages are filtered: fixed by `now` here, but a
/// change in the age format should not churn every snapshot.
macro_rules! assert_screen {
    ($name:expr, $buf:expr) => {
        insta::with_settings!({filters => vec![
            (r"stale (<1m|\d+[smhd])", "stale [age]"),
            (r"gpu \d+[smhd] ", "gpu [age] "),
        ]}, {
            insta::assert_snapshot!($name, common::cells(&$buf));
        });
    };
}

fn find(buf: &Buffer, needle: &str) -> Option<(u16, u16)> {
    common::cells(buf)
        .lines()
        .enumerate()
        .find_map(|(y, line)| {
            let byte = line.find(needle)?;
            Some((line[..byte].chars().count() as u16, y as u16))
        })
}

/// Every cell of the first occurrence of `needle` has `style`'s colour and modifiers.
fn assert_style(buf: &Buffer, needle: &str, style: Style) {
    let (x, y) = find(buf, needle).unwrap_or_else(|| panic!("`{needle}` on screen"));
    for dx in 0..needle.chars().count() as u16 {
        let cell = &buf[(x + dx, y)];
        // a style without a colour leaves the terminal's own (Reset): checked as well
        let fg = style.fg.unwrap_or(ratatui::style::Color::Reset);
        assert_eq!(cell.fg, fg, "`{needle}` at {x},{y}: {cell:?}");
        assert!(
            cell.modifier.contains(style.add_modifier),
            "`{needle}` at {x},{y}: {cell:?}"
        );
    }
}

/// The GPU pane's lines (between its borders) of a 160x48 normal screen.
fn gpu_pane(buf: &Buffer) -> Vec<String> {
    let t = common::cells(buf);
    let lines: Vec<&str> = t.lines().collect();
    let top = lines
        .iter()
        .position(|l| l.starts_with("┏ Hosts") || l.starts_with("┌ Hosts"))
        .expect("Hosts pane on screen");
    lines[top + 1..]
        .iter()
        .take_while(|l| !l.starts_with('┗') && !l.starts_with('└'))
        .map(|l| l.chars().skip(1).take(78).collect())
        .collect()
}

#[test]
fn one_gpu() {
    let mut s = state();
    feed(&mut s, "dgx-01", |step| vec![h100("dgx-01", 0, 10 * step)]);
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("gpu_one", buf);
    let pane = gpu_pane(&buf).join("\n");
    assert!(pane.contains("dgx-01  driver 580.95.05  1 GPU"), "{pane}");
    assert!(pane.contains("H100 80GB HBM3"), "{pane}");
    assert!(
        pane.contains("70%") && pane.contains("10.0/80.0 GiB"),
        "{pane}"
    );
    assert!(pane.contains("40°C") && pane.contains("450/700W"), "{pane}");
    // util history: 8 samples, the last 6 in the sparkline, rising
    assert!(pane.contains("▂▃▄▅▅▆"), "{pane}");
    assert_style(&buf, "40°C", s.theme.health(Health::Ok));
}

#[test]
fn eight_gpus_of_a_dgx_fit_at_160x48() {
    let mut s = state();
    feed(&mut s, "dgx-01", dgx);
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("gpu_eight", buf);
    let pane = gpu_pane(&buf);
    let rows: Vec<&String> = pane
        .iter()
        .filter(|l| l.contains("H100 80GB HBM3"))
        .collect();
    assert_eq!(rows.len(), 8, "{}", pane.join("\n"));
    for i in 0..8 {
        assert!(
            rows.iter()
                .any(|r| r.trim_start().starts_with(&format!("{i} "))),
            "GPU {i}: {}",
            pane.join("\n")
        );
    }
    // every row shows the whole of its power column, nothing cut at the border
    assert!(
        rows.iter().all(|r| r.contains("/700W")),
        "{}",
        pane.join("\n")
    );
}

#[test]
fn hot_throttling_gpu_names_the_reasons() {
    let mut s = state();
    feed(&mut s, "dgx-01", |step| {
        let mut gpus = dgx(step);
        gpus[3].temperature_c = Some(89);
        gpus[3].throttle = Some(vec![ThrottleReason::SwThermal, ThrottleReason::PowerCap]);
        gpus[5].temperature_c = Some(84);
        gpus
    });
    let buf = common::draw_at(&s, 160, 48);
    let pane = gpu_pane(&buf).join("\n");
    assert!(pane.contains("thermal (sw), power"), "{pane}");
    assert_style(&buf, "89°C", s.theme.health(Health::Error));
    assert_style(&buf, "84°C", s.theme.health(Health::Warn));
    assert_style(&buf, "thermal (sw)", s.theme.health(Health::Error));
}

#[test]
fn unified_memory_and_missing_fields() {
    let mut s = state();
    feed(&mut s, "spark", |_| {
        let mut g = GpuSample::empty("spark", 0, "GPU-gb10".into());
        g.name = Some("NVIDIA GB10".into());
        g.util_gpu_pct = Some(35);
        g.memory = Memory::Unified {
            used_bytes: 45 * GIB,
            total_bytes: 119 * GIB,
            gpu_resident_bytes: Some(30 * GIB),
        };
        g.temperature_c = Some(52);
        g.power_w = Some(31.0);
        vec![g]
    });
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("gpu_unified", buf);
    let pane = gpu_pane(&buf).join("\n");
    assert!(pane.contains("unified 45.0/119 GiB gpu 30.0 GiB"), "{pane}");
    assert!(pane.contains("31W"), "power without a limit: {pane}");
    // no slowdown threshold known: the temperature is plain text, not "ok"
    assert_style(&buf, "52°C", s.theme.text());
    // a GPU with nothing known shows n/a everywhere, the row still there
    update(
        &mut s,
        host(
            "spark",
            NOW_MS + 1000,
            vec![GpuSample::empty("spark", 0, "GPU-gb10".into())],
        ),
    );
    let pane = gpu_pane(&common::draw_at(&s, 160, 48)).join("\n");
    let row = pane
        .lines()
        .find(|l| l.trim_start().starts_with("0 "))
        .expect("row");
    assert!(row.matches("n/a").count() >= 5, "{row}");
}

#[test]
fn a_down_gpu_and_a_stale_host() {
    let mut s = state();
    feed(&mut s, "dgx-01", |step| {
        let mut gpus = dgx(step);
        let mut lost = GpuSample::empty("dgx-01", 6, gpus[6].uuid.clone());
        lost.name = gpus[6].name.clone();
        lost.down = Some("GPU is lost (Xid 79): reboot the host".into());
        gpus[6] = lost;
        gpus
    });
    // then the host stops answering, three minutes later
    s.now = ts(NOW_MS + 180_000);
    update(
        &mut s,
        Event::Gpu(GpuUpdate::Host(HostSample::failed(
            "dgx-01",
            ts(NOW_MS + 180_000),
            "error sending request: connection refused\u{1b}[2J".into(),
        ))),
    );
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("gpu_down_stale", buf);
    let pane = gpu_pane(&buf).join("\n");
    assert!(pane.contains("down: GPU is lost (Xid 79)"), "{pane}");
    assert!(
        pane.contains("8 GPUs  stale 3m ")
            && pane.contains("\n  └ error sending request: connection refused "),
        "{pane}"
    );
    assert!(!pane.contains('\u{1b}') && !pane.contains("[2J"), "{pane}");
    assert_style(&buf, "down", s.theme.health(Health::Error));
    assert_style(&buf, "stale 3m", s.theme.health(Health::Stale));
    // the last values are kept, shown stale
    assert_style(&buf, "10.0/80.0 GiB", s.theme.health(Health::Stale));
}

#[test]
fn no_local_gpus_is_one_line() {
    let mut s = state();
    let line = "NVML not found: no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts";
    update(&mut s, Event::Gpu(GpuUpdate::NvmlUnavailable(line.into())));
    let pane = gpu_pane(&common::draw_at(&s, 160, 48)).join("\n");
    assert!(pane.contains("NVML not found: no local GPUs"), "{pane}");
    // with a remote host reporting, the line stays above its GPUs
    feed(&mut s, "dgx-01", |step| vec![h100("dgx-01", 0, step)]);
    let pane = gpu_pane(&common::draw_at(&s, 160, 48));
    assert!(pane[0].contains("NVML not found"), "{}", pane.join("\n"));
    assert!(
        pane.iter().any(|l| l.contains("H100")),
        "{}",
        pane.join("\n")
    );
}

#[test]
fn zoomed_charts_and_processes_by_memory() {
    let mut s = state();
    feed(&mut s, "dgx-01", dgx);
    s.zoomed = true;
    let buf = common::draw_at(&s, 160, 48);
    assert_screen!("gpu_zoomed", buf);
    let t = common::cells(&buf);
    assert!(t.contains("-10m") && t.contains("newest"), "{t}");
    // the selected GPU's details, missing fields as n/a
    assert!(
        t.contains("GPU 0 · SM n/a/n/a MHz · mem n/a/n/a MHz · mem util 31% · fan n/a"),
        "{t}"
    );
    assert!(t.contains("clocks held by: none · slowdown 87°C"), "{t}");
    // the process table, most GPU memory first
    let procs: Vec<usize> = (0..8)
        .map(|i| t.find(&format!("python{i}")).expect("process listed"))
        .collect();
    assert!(
        procs.windows(2).all(|w| w[0] > w[1]),
        "python7 (most memory) first: {t}"
    );
    let charts = t.matches(" H100 80GB HBM3 util mem ").count();
    assert_eq!(charts, 8, "one chart per GPU: {t}");

    // an exporter without process data: n/a, not "no processes"
    let mut s = state();
    feed(&mut s, "dgx-01", |step| {
        dgx(step)
            .into_iter()
            .map(|mut g| {
                g.processes = None;
                g
            })
            .collect()
    });
    s.zoomed = true;
    let t = common::cells(&common::draw_at(&s, 160, 48));
    assert!(t.contains("processes: n/a"), "{t}");
}

#[test]
fn same_data_same_screen() {
    // nothing in the pane follows the clock: a later `now` with no new data draws the same
    let mut s = state();
    feed(&mut s, "dgx-01", dgx);
    s.focus = PaneId::Errors;
    let before = gpu_pane(&common::draw_at(&s, 160, 48));
    s.now = ts(NOW_MS + 45_000);
    let after = gpu_pane(&common::draw_at(&s, 160, 48));
    assert_eq!(before, after);
}

#[test]
fn selection_is_clamped_and_highlighted() {
    let mut s = state();
    feed(&mut s, "dgx-01", dgx);
    s.pane_mut(PaneId::Hosts).selected = 99;
    let buf = common::draw_at(&s, 160, 48);
    // selected 99 of 8: the last GPU is highlighted, the first is not
    let (x, y) = find(&buf, "7 H100").expect("GPU 7 row");
    let (x0, y0) = find(&buf, "0 H100").expect("GPU 0 row");
    assert_ne!(buf[(x0, y0)].bg, buf[(x, y)].bg);
    assert_eq!(
        buf[(x, y)].bg,
        s.theme.selection(true).bg.expect("selection bg"),
        "{}",
        gpu_pane(&buf).join("\n")
    );
}

#[test]
fn hostile_data_at_any_size_never_panics_nor_reaches_the_terminal() {
    let mut s = state();
    for h in 0..3 {
        let name = format!("dgx-{h}\u{1b}]52;c;aGk=\u{7}");
        feed(&mut s, &name, |step| {
            let mut gpus = dgx(step);
            gpus[0].name = Some("\u{1b}[31mNVIDIA evil\u{9b}2J".into());
            gpus[1].memory = Memory::Dedicated {
                used_bytes: u64::MAX,
                total_bytes: 0,
            };
            gpus[2].power_w = Some(f64::NAN);
            gpus[2].power_limit_w = Some(f64::INFINITY);
            gpus[3].temperature_c = Some(u32::MAX);
            gpus[3].temp_slowdown_c = Some(u32::MAX);
            gpus[4].util_gpu_pct = Some(u32::MAX);
            gpus[5].processes = Some(vec![GpuProcess {
                pid: u32::MAX,
                name: Some("\u{1b}]0;title\u{7}miner".into()),
                gpu_memory_bytes: None,
                sm_util_pct: None,
            }]);
            gpus
        });
    }
    for (w, h) in [(60, 16), (80, 24), (120, 40), (160, 48), (250, 70)] {
        for zoomed in [false, true] {
            for selected in [0, 12, 23, 99] {
                s.zoomed = zoomed;
                s.pane_mut(PaneId::Hosts).selected = selected;
                let t = common::cells(&common::draw_at(&s, w, h));
                assert!(!t.contains('\u{1b}') && !t.contains('\u{9b}'), "{t}");
            }
        }
    }
}

#[test]
fn the_selected_gpu_scrolls_into_view() {
    let mut s = state();
    for h in 0..3 {
        feed(&mut s, &format!("dgx-{h}"), |step| {
            dgx(step)
                .into_iter()
                .map(|mut g| {
                    g.host = format!("dgx-{h}");
                    g
                })
                .collect()
        });
    }
    // host rows are selectable too: the last row (dgx-2's GPU 7) is 3 hosts + 23 GPUs in
    s.pane_mut(PaneId::Hosts).selected = 26;
    let buf = common::draw_at(&s, 160, 48);
    let pane = gpu_pane(&buf).join("\n");
    assert!(pane.contains("dgx-2  driver"), "{pane}");
    let last = gpu_pane(&buf)
        .into_iter()
        .rfind(|l| l.contains("H100"))
        .expect("rows");
    assert!(last.starts_with("7 "), "{pane}");
}

/// Counts what the terminal would be sent.
#[derive(Clone, Default)]
struct Counted(std::rc::Rc<std::cell::Cell<usize>>);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.set(self.0.get() + buf.len());
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Issue 9's budget: the console with the GPU pane visible writes under 2 KB/s at a 1 s
/// sample interval. Measured as bytes sent to a real crossterm backend per frame (not timed),
/// with frames drawn as the run loop draws them: only when `update` marked the state dirty.
#[test]
fn a_sample_of_eight_changing_gpus_writes_under_2_kb_and_no_change_writes_nothing() {
    use ratatui::backend::CrosstermBackend;
    use ratatui::layout::Rect;
    use ratatui::{TerminalOptions, Viewport};
    let mut s = state();
    s.focus = PaneId::Errors;
    feed(&mut s, "dgx-01", dgx);
    let counted = Counted::default();
    let mut term = Terminal::with_options(
        CrosstermBackend::new(counted.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 160, 48)),
        },
    )
    .expect("terminal");
    // the run loop's frame: settle and draw only when something visible changed
    let mut frame = |s: &mut State| -> usize {
        let before = counted.0.get();
        if s.dirty {
            flightdeck::app::update::settle(s);
            term.draw(|f| flightdeck::ui::render(s, f)).expect("draw");
            s.dirty = false;
        }
        counted.0.get() - before
    };
    assert!(frame(&mut s) > 0, "the first frame is drawn");
    for step in 8..18u32 {
        let at = NOW_MS + i64::from(step) * 1000;
        // every GPU's utilisation, memory and power move each sample: a busy DGX
        update(&mut s, Event::Tick(ts(at)));
        update(&mut s, host("dgx-01", at, dgx(step)));
        let sent = frame(&mut s);
        assert!(sent > 0, "sample {step}: the changed GPUs were not drawn");
        assert!(sent < 2048, "sample {step}: {sent} bytes");
    }
    // nothing changed: a tick at the same second is not a reason to draw, and the run loop
    // sends nothing at all
    let now = s.now;
    update(&mut s, Event::Tick(now));
    assert!(!s.dirty, "an unchanged tick marked the state dirty");
    assert_eq!(frame(&mut s), 0, "an unchanged frame sent bytes");
    // and had it drawn anyway, not one cell would differ from what the terminal shows
    let shown = common::draw_at(&s, 160, 48);
    let again = common::draw_at(&s, 160, 48);
    assert!(
        shown.diff(&again).is_empty(),
        "the same state drew differently"
    );
}
