//! GPU source costs: one full NVML sample of 8 GPUs through nvml-wrapper (against
//! the fake libnvidia-ml.so, so this measures our side and the wrapper, not a
//! driver), and parsing + mapping one exporter page for 8 GPUs.

#[cfg(target_os = "linux")]
#[path = "../tests/fake_nvml/mod.rs"]
mod fake_nvml;

use criterion::{Criterion, criterion_group, criterion_main};

#[cfg(target_os = "linux")]
fn nvml_sample(c: &mut Criterion) {
    use flightdeck::sources::gpu::LocalSampler;
    let lib = fake_nvml::lib("h100x8");
    let mut sampler = match LocalSampler::open(Some(&lib)) {
        Ok(s) => s,
        Err(e) => panic!("fake NVML: {e}"),
    };
    c.bench_function("gpu/nvml_sample_8_gpus", |b| {
        b.iter(|| std::hint::black_box(sampler.sample(false)))
    });
    c.bench_function("gpu/nvml_sample_8_gpus_with_pcie", |b| {
        b.iter(|| std::hint::black_box(sampler.sample(true)))
    });
}

#[cfg(not(target_os = "linux"))]
fn nvml_sample(_: &mut Criterion) {}

#[path = "../tests/gpu_pages/mod.rs"]
mod gpu_pages;

fn dcgm_page(c: &mut Criterion) {
    use flightdeck::sources::exposition;
    use flightdeck::sources::gpu::map_samples;
    let page = gpu_pages::dcgm_page("dgx-02", "Hostname", 8);
    c.bench_function("gpu/dcgm_parse_and_map_8_gpus", |b| {
        b.iter(|| {
            let scrape = match exposition::parse(std::hint::black_box(&page)) {
                Ok(s) => s,
                Err(e) => panic!("page: {e}"),
            };
            std::hint::black_box(map_samples("dgx-02", &scrape.samples))
        })
    });
}

criterion_group!(benches, nvml_sample, dcgm_page);
criterion_main!(benches);
