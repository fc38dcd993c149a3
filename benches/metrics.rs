//! Direct mode's hot path: parse and fold a 10,000-series `/metrics` page (target: < 20 ms).
//!
//! `cargo bench --bench metrics`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use flightdeck::sources::exposition::parse;
use flightdeck::sources::metrics::fold::DirectFold;

const SERVICES: usize = 250;
const STATUSES: [&str; 6] = ["200", "201", "304", "404", "500", "503"];
const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];
const LE: [&str; 14] = [
    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30", "60",
    "+Inf",
];

/// 250 services × (24 request series + 14 buckets + sum + count) = 10,000 series.
fn page(round: u64) -> String {
    let mut out = String::with_capacity(1 << 20);
    out.push_str(
        "# HELP http_requests_total Requests served.\n# TYPE http_requests_total counter\n",
    );
    for s in 0..SERVICES {
        for (i, status) in STATUSES.iter().enumerate() {
            for (j, method) in METHODS.iter().enumerate() {
                let v = round * (10 + (i * 4 + j) as u64) + s as u64;
                out.push_str(&format!(
                    "http_requests_total{{service=\"svc-{s:03}\",status=\"{status}\",method=\"{method}\"}} {v}\n"
                ));
            }
        }
    }
    out.push_str("# HELP http_request_duration_seconds Latency.\n# TYPE http_request_duration_seconds histogram\n");
    for s in 0..SERVICES {
        for (k, le) in LE.iter().enumerate() {
            let v = round * 100 * (k as u64 + 1);
            out.push_str(&format!(
                "http_request_duration_seconds_bucket{{service=\"svc-{s:03}\",le=\"{le}\"}} {v}\n"
            ));
        }
        out.push_str(&format!(
            "http_request_duration_seconds_sum{{service=\"svc-{s:03}\"}} {}.25\n",
            round * 40
        ));
        out.push_str(&format!(
            "http_request_duration_seconds_count{{service=\"svc-{s:03}\"}} {}\n",
            round * 1400
        ));
    }
    out
}

fn bench(c: &mut Criterion) {
    let pages = [page(1), page(2)];
    let series = parse(&pages[0]).map_or(0, |s| s.samples.len());
    assert_eq!(series, 10_000);
    let mut group = c.benchmark_group("metrics_10k_series");
    group.bench_function("parse", |b| b.iter(|| parse(black_box(&pages[0]))));

    let scrapes = [
        parse(&pages[0]).expect("bench page parses"),
        parse(&pages[1]).expect("bench page parses"),
    ];
    let mut fold = DirectFold::default();
    let mut n: u64 = 0;
    let _ = fold.fold(&scrapes[0], "x", 0);
    group.bench_function("fold", |b| {
        b.iter(|| {
            n += 1;
            fold.fold(black_box(&scrapes[(n % 2) as usize]), "x", n as i64 * 1000)
        })
    });

    let mut fold = DirectFold::default();
    let mut n: u64 = 0;
    group.bench_function("parse_and_fold", |b| {
        b.iter(|| {
            n += 1;
            let scrape = parse(black_box(&pages[(n % 2) as usize])).expect("parses");
            fold.fold(&scrape, "x", n as i64 * 1000)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
