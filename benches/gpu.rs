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

criterion_group!(benches, nvml_sample);
criterion_main!(benches);
