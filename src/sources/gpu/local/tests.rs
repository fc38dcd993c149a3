use super::*;

#[test]
fn meminfo_parses_kb_lines() {
    let text = "MemTotal:       131072000 kB\nMemFree:  1 kB\nMemAvailable:   100000000 kB\n";
    let m = HostMemory::parse(text);
    assert_eq!(
        m,
        Some(HostMemory {
            total_bytes: 131_072_000 * 1024,
            available_bytes: 100_000_000 * 1024
        })
    );
    assert_eq!(m.map(|m| m.used_bytes()), Some(31_072_000 * 1024));
    assert_eq!(HostMemory::parse("MemTotal: 5 kB\n"), None);
    assert_eq!(HostMemory::parse("garbage\nMemTotal: x kB\n"), None);
}

#[test]
fn unified_rule() {
    let host = Some(128 * 1024 * 1024 * 1024_u64);
    assert!(is_unified(&Err(NotSupported), host));
    assert!(is_unified(&Ok((0, 0)), host));
    assert!(is_unified(&Ok((1, 128 * 1024 * 1024 * 1024 - 4096)), host));
    assert!(!is_unified(&Ok((1, 80 * 1024 * 1024 * 1024)), host));
    assert!(!is_unified(&Ok((1, 80 * 1024 * 1024 * 1024)), None));
}

#[test]
fn process_name_falls_back_to_cmdline() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("42");
    std::fs::create_dir(&p).unwrap();
    std::fs::write(p.join("cmdline"), b"/usr/bin/python3\0train.py\0").unwrap();
    assert_eq!(process_name_in(dir.path(), 42).as_deref(), Some("python3"));
    std::fs::write(p.join("comm"), b"pt_main_thread\n").unwrap();
    assert_eq!(
        process_name_in(dir.path(), 42).as_deref(),
        Some("pt_main_thread")
    );
    assert_eq!(process_name_in(dir.path(), 43), None);
}

#[test]
fn missing_library_says_what_to_do() {
    let e = GpuError::NvmlNotFound {
        path: None,
        detail: "x".into(),
    };
    assert_eq!(
        e.to_string(),
        "NVML not found: no local GPUs; add [[gpu.host]] with a scrape URL for remote hosts"
    );
}
