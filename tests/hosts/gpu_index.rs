//! A GPU's index is what its exporter's label says (#28, item 5): a `gpu` label that is no
//! index a GPU can have (`4294967296` and larger, negative, not a number) is kept as its
//! text, never read as 4294967295 (u32's saturation) or as the next free number, and a GPU
//! whose series give no index never takes another GPU's number.

use flightdeck::sources::exposition;
use flightdeck::sources::gpu::{GpuIndex, GpuSample, map_samples};

fn page(text: &str) -> Vec<GpuSample> {
    let scrape = exposition::parse(text).expect("page parses");
    map_samples("node", &scrape.samples)
}

/// A DCGM page of one host: one GPU per `(uuid, gpu label)`, `None` for no `gpu` label.
fn dcgm(gpus: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from("# TYPE DCGM_FI_DEV_GPU_TEMP gauge\n");
    for (uuid, index) in gpus {
        let index = index.map_or(String::new(), |i| format!("gpu=\"{i}\","));
        out.push_str(&format!(
            "DCGM_FI_DEV_GPU_TEMP{{{index}UUID=\"{uuid}\",Hostname=\"dgx-01\"}} 50\n"
        ));
    }
    out
}

fn index_of<'g>(gpus: &'g [GpuSample], uuid: &str) -> &'g GpuIndex {
    &gpus
        .iter()
        .find(|g| g.uuid == uuid)
        .unwrap_or_else(|| panic!("{uuid} in {gpus:?}"))
        .index
}

#[test]
fn an_index_label_that_does_not_fit_is_kept_as_its_text() {
    let gpus = page(&dcgm(&[
        ("GPU-a", Some("0")),
        ("GPU-big", Some("4294967296")),
        ("GPU-huge", Some("18446744073709551616")),
        ("GPU-neg", Some("-1")),
        ("GPU-word", Some("gpu0x")),
        ("GPU-b", Some("1")),
    ]));
    assert_eq!(gpus.len(), 6, "{gpus:?}");
    let shown = |uuid: &str| index_of(&gpus, uuid).to_string();
    assert_eq!(shown("GPU-a"), "0");
    assert_eq!(shown("GPU-b"), "1");
    assert_eq!(shown("GPU-big"), "4294967296");
    assert_eq!(shown("GPU-huge"), "18446744073709551616");
    assert_eq!(shown("GPU-neg"), "-1");
    assert_eq!(shown("GPU-word"), "gpu0x");
    assert!(
        gpus.iter().all(|g| g.index.to_string() != "4294967295"),
        "{gpus:?}"
    );
    // what `gpu --once --json` writes: the label's text, a number only where it is one
    let json = serde_json::to_value(&gpus).expect("serialises");
    let indexes: Vec<String> = json
        .as_array()
        .expect("a list")
        .iter()
        .map(|g| g["index"].to_string())
        .collect();
    assert!(
        indexes.contains(&"\"4294967296\"".to_owned()),
        "{indexes:?}"
    );
    assert!(indexes.contains(&"0".to_owned()), "{indexes:?}");
}

#[test]
fn a_gpu_without_an_index_takes_no_number_another_gpu_has() {
    // the GPU without a label comes first on the page: it may not take 0 or 1
    let gpus = page(&dcgm(&[
        ("GPU-none", None),
        ("GPU-a", Some("0")),
        ("GPU-big", Some("4294967296")),
        ("GPU-b", Some("1")),
    ]));
    assert_eq!(index_of(&gpus, "GPU-none").to_string(), "2", "{gpus:?}");
    // after the largest number a GPU can have, there is none left to give
    let gpus = page(&dcgm(&[
        ("GPU-max", Some("4294967295")),
        ("GPU-none", None),
    ]));
    assert_eq!(index_of(&gpus, "GPU-max").number(), Some(u32::MAX));
    assert_eq!(index_of(&gpus, "GPU-none").number(), None, "{gpus:?}");
}

#[test]
fn series_without_a_uuid_are_told_apart_by_the_index_text() {
    let text = "\
DCGM_FI_DEV_GPU_TEMP{gpu=\"4294967296\",Hostname=\"dgx-01\"} 50
DCGM_FI_DEV_GPU_TEMP{gpu=\"4294967297\",Hostname=\"dgx-01\"} 60
DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",Hostname=\"dgx-01\"} 70
";
    let gpus = page(text);
    let mut seen: Vec<(String, Option<u32>)> = gpus
        .iter()
        .map(|g| (g.index.to_string(), g.temperature_c))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("0".to_owned(), Some(70)),
            ("4294967296".to_owned(), Some(50)),
            ("4294967297".to_owned(), Some(60)),
        ]
    );
}

#[test]
fn prometheus_fleet_keeps_the_index_text_too() {
    use flightdeck::sources::gpu::prometheus::fold;
    use flightdeck::sources::metrics::prometheus::Series;
    let series = |uuid: &str, gpu: &str| Series {
        metric: [
            ("__name__", "DCGM_FI_DEV_GPU_TEMP"),
            ("UUID", uuid),
            ("gpu", gpu),
            ("Hostname", "dgx-01"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        values: vec![(0, 50.0)],
    };
    let hosts = fold(
        "Hostname",
        &[series("GPU-a", "0"), series("GPU-big", "4294967296")],
        &[],
        jiff::Timestamp::UNIX_EPOCH,
    );
    let shown: Vec<String> = hosts
        .iter()
        .flat_map(|h| &h.gpus)
        .map(|g| g.index.to_string())
        .collect();
    assert_eq!(shown, ["0", "4294967296"]);
}
