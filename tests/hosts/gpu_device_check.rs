//! `scripts/gpu-device-check.sh`'s comparison, without a GPU: the real `flightdeck gpu
//! --once --json` over the fake libnvidia-ml.so, against a fake `nvidia-smi` on PATH that
//! prints what flightdeck saw, within tolerance (PASS) or off by more (FAIL); and with no
//! `nvidia-smi` at all it says so and exits 2.

#[cfg(target_os = "linux")]
use crate::support::fake_nvml;

#[cfg(target_os = "linux")]
mod linux {
    use std::path::{Path, PathBuf};
    use std::process::{Command, Output};

    const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gpu-device-check.sh");
    const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

    fn setup(dir: &Path) -> (PathBuf, PathBuf) {
        let config = dir.join("config.toml");
        std::fs::write(&config, "").expect("config");
        (config, super::fake_nvml::lib("h100x8"))
    }

    /// What flightdeck itself reports for the fake GPUs, as nvidia-smi's CSV lines, with
    /// `temp_delta` °C and `util_delta` points added.
    fn csv_of_flightdeck(config: &Path, lib: &Path, temp_delta: i64, util_delta: i64) -> String {
        let out = Command::new(BIN)
            .args(["--config"])
            .arg(config)
            .arg("--nvml-lib")
            .arg(lib)
            .args(["gpu", "--once", "--json"])
            .output()
            .expect("run flightdeck");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let gpus = v["hosts"][0]["gpus"]
            .as_array()
            .expect("local GPUs")
            .clone();
        assert!(!gpus.is_empty());
        gpus.iter()
            .map(|g| {
                let mib = |k: &str| g["memory"][k].as_u64().unwrap_or(0) / (1 << 20);
                format!(
                    "{}, {}, {}, {}, {}, {:.2}, {}\n",
                    g["index"],
                    g["name"].as_str().unwrap_or(""),
                    mib("total_bytes"),
                    mib("used_bytes"),
                    g["temperature_c"].as_i64().unwrap_or(0) + temp_delta,
                    g["power_w"].as_f64().unwrap_or(0.0) * 1.05,
                    (g["util_gpu_pct"].as_i64().unwrap_or(0) + util_delta).clamp(0, 100),
                )
            })
            .collect()
    }

    fn run_script(dir: &Path, config: &Path, lib: &Path, csv: Option<&str>) -> Output {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).expect("bin dir");
        let path = match csv {
            Some(csv) => {
                std::fs::write(dir.join("smi.csv"), csv).expect("csv");
                let smi = bin.join("nvidia-smi");
                std::fs::write(
                    &smi,
                    format!("#!/bin/sh\ncat '{}'\n", dir.join("smi.csv").display()),
                )
                .expect("fake nvidia-smi");
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&smi, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod");
                format!(
                    "{}:{}",
                    bin.display(),
                    std::env::var("PATH").unwrap_or_default()
                )
            }
            // nothing on PATH at all: no nvidia-smi
            None => bin.display().to_string(),
        };
        // bash itself found on the test's own PATH (the script's PATH may hold nothing)
        let bash = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
            .map(|d| d.join("bash"))
            .find(|b| b.is_file())
            .unwrap_or_else(|| PathBuf::from("/bin/bash"));
        Command::new(bash)
            .arg(SCRIPT)
            .arg("--config")
            .arg(config)
            .arg("--nvml-lib")
            .arg(lib)
            .env("PATH", path)
            .env("FLIGHTDECK", BIN)
            .output()
            .expect("run the script")
    }

    #[test]
    fn within_tolerance_passes_and_off_fails() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (config, lib) = setup(dir.path());
        // temperature +2 °C, utilisation +10 points, power +5 %: within tolerance
        let close = csv_of_flightdeck(&config, &lib, 2, 10);
        let out = run_script(dir.path(), &config, &lib, Some(&close));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("temperature °C") && text.trim_end().ends_with("PASS (8 GPUs)"),
            "{text}"
        );

        // temperature 10 °C off: FAIL, the row says which
        let off = csv_of_flightdeck(&config, &lib, 10, 0);
        let out = run_script(dir.path(), &config, &lib, Some(&off));
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            text.lines()
                .any(|l| l.contains("temperature °C") && l.ends_with("FAIL")),
            "{text}"
        );
        assert!(text.trim_end().ends_with("FAIL (8 GPUs)"), "{text}");
    }

    #[test]
    fn no_nvidia_smi_exits_2() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (config, lib) = setup(dir.path());
        let out = run_script(dir.path(), &config, &lib, None);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains("nvidia-smi not found"), "{text}");
    }
}
