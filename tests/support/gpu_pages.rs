//! Exporter pages for the remote GPU tests and the bench.

use std::fmt::Write as _;

pub const DCGM_BLANK: &str = "9223372036854775794";

pub fn dcgm_uuid(i: u32) -> String {
    format!("GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e{i:02}")
}

/// A DCGM-exporter page for `gpus` H100s on `host`, as dcgm-exporter 3.x/4.x renders
/// its default counters plus the power limit and fan (GPU 0's fan is DCGM's blank
/// sentinel: SXM boards have none). `host_label` is `Hostname` (older exporters) or
/// `hostname` (since #655).
pub fn dcgm_page(host: &str, host_label: &str, gpus: u32) -> String {
    type Field = (&'static str, &'static str, &'static str, fn(u32) -> String);
    let fields: [Field; 12] = [
        (
            "DCGM_FI_DEV_SM_CLOCK",
            "gauge",
            "SM clock frequency (in MHz).",
            |_| "1980".into(),
        ),
        (
            "DCGM_FI_DEV_MEM_CLOCK",
            "gauge",
            "Memory clock frequency (in MHz).",
            |_| "2619".into(),
        ),
        (
            "DCGM_FI_DEV_MEMORY_TEMP",
            "gauge",
            "Memory temperature (in C).",
            |_| "0".into(),
        ),
        (
            "DCGM_FI_DEV_GPU_TEMP",
            "gauge",
            "GPU temperature (in C).",
            |i| (40 + i).to_string(),
        ),
        (
            "DCGM_FI_DEV_POWER_USAGE",
            "gauge",
            "Power draw (in W).",
            |i| format!("{}.{}", 300 + i, 25),
        ),
        (
            "DCGM_FI_DEV_POWER_MGMT_LIMIT",
            "gauge",
            "Power management limit (in W).",
            |_| "700".into(),
        ),
        (
            "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
            "counter",
            "Total energy consumption since boot (in mJ).",
            |i| (1_234_567_890 + i as u64).to_string(),
        ),
        (
            "DCGM_FI_DEV_GPU_UTIL",
            "gauge",
            "GPU utilization (in %).",
            |i| (50 + i).to_string(),
        ),
        (
            "DCGM_FI_DEV_MEM_COPY_UTIL",
            "gauge",
            "Memory utilization (in %).",
            |i| (10 + i).to_string(),
        ),
        (
            "DCGM_FI_DEV_FB_FREE",
            "gauge",
            "Frame buffer memory free (in MiB).",
            |i| (81559 - 1024 * (i + 1) - 512).to_string(),
        ),
        (
            "DCGM_FI_DEV_FB_USED",
            "gauge",
            "Frame buffer memory used (in MiB).",
            |i| (1024 * (i + 1)).to_string(),
        ),
        (
            "DCGM_FI_DEV_FAN_SPEED",
            "gauge",
            "Fan speed (in 0-100%).",
            |i| {
                if i == 0 {
                    DCGM_BLANK.into()
                } else {
                    "30".into()
                }
            },
        ),
    ];
    let mut out = String::new();
    let mut with_reserved = fields.to_vec();
    with_reserved.push((
        "DCGM_FI_DEV_FB_RESERVED",
        "gauge",
        "Frame buffer memory reserved (in MiB).",
        |_| "512".into(),
    ));
    for (name, kind, help, value) in with_reserved {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for i in 0..gpus {
            let _ = writeln!(
                out,
                "{name}{{gpu=\"{i}\",UUID=\"{}\",pci_bus_id=\"00000000:{:02X}:00.0\",device=\"nvidia{i}\",modelName=\"NVIDIA H100 80GB HBM3\",{host_label}=\"{host}\",DCGM_FI_DRIVER_VERSION=\"570.133.20\"}} {}",
                dcgm_uuid(i),
                0x18 + i * 0x10,
                value(i)
            );
        }
    }
    out
}

/// The seed's `dgx_gpu_*` page (no model name, no clocks).
pub fn dgx_page(host: &str, gpus: u32) -> String {
    let mut out = String::new();
    type Field = (&'static str, fn(u32) -> String);
    let fields: [Field; 5] = [
        ("dgx_gpu_temperature_celsius", |i| (60 + i).to_string()),
        ("dgx_gpu_utilization_percent", |i| (90 - i).to_string()),
        ("dgx_gpu_memory_used_bytes", |i| {
            ((u64::from(i) + 1) << 30).to_string()
        }),
        ("dgx_gpu_memory_total_bytes", |_| (80_u64 << 30).to_string()),
        ("dgx_gpu_power_watts", |i| (250 + i).to_string()),
    ];
    for (name, value) in fields {
        let _ = writeln!(out, "# TYPE {name} gauge");
        for i in 0..gpus {
            let _ = writeln!(
                out,
                "{name}{{gpu=\"{i}\",uuid=\"GPU-dgx-{i:04}\",hostname=\"{host}\"}} {}",
                value(i)
            );
        }
    }
    out
}

/// Serves `app` on a free loopback port until the test ends; its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

/// A DCGM exporter for `dgx-02` with two GPUs; its `/metrics` URL.
pub async fn serve_dcgm() -> String {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async { dcgm_page("dgx-02", "Hostname", 2) }),
    );
    format!("{}/metrics", serve(app).await)
}

/// A loopback URL nothing listens on.
pub async fn closed_url() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}/metrics")
}
