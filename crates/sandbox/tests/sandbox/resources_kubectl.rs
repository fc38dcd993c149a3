//! The real `kubectl` against the sandbox's Services, EndpointSlices, ConfigMaps, Secrets,
//! Ingresses, PersistentVolumeClaims, CustomResourceDefinitions and cert-manager
//! Certificates (discovery, the Table form with `-o wide`, writes), and the events its
//! controllers record. Where kubectl is absent these tests fail (see `tests/support/tools.rs`).

use crate::kubectl_support;

use flightdeck_sandbox::Scenario;
use kubectl_support::Kubectl;
use serde_json::Value;

/// The line of `out` whose first words are `words`, split into words.
fn row<'a>(out: &'a str, words: &[&str]) -> Vec<&'a str> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.len() >= words.len() && w[..words.len()] == *words)
        .unwrap_or_else(|| panic!("no row starting {words:?} in:\n{out}"))
}

/// The header of a table split where kubectl puts its columns (two or more spaces).
fn header(out: &str) -> Vec<String> {
    out.lines()
        .next()
        .unwrap_or("")
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_every_resource_kind_all_namespaces_and_wide() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let kinds = "svc,endpointslices,cm,secret,ing,pvc,crd,certificates";
    let all = k.run(&["get", kinds, "-A"]).await;
    for want in [
        "service/frontend",
        "endpointslice.discovery.k8s.io/frontend-",
        "configmap/checkout-config",
        "configmap/kube-root-ca.crt",
        "secret/checkout-db",
        "secret/shop-acme-example-tls",
        "ingress.networking.k8s.io/frontend",
        "persistentvolumeclaim/data-orders-db-0",
        "customresourcedefinition.apiextensions.k8s.io/certificates.cert-manager.io",
        "certificate.cert-manager.io/shop-acme-example-tls",
        "certificate.cert-manager.io/staging-shop-acme-example-tls",
    ] {
        assert!(all.contains(want), "{want} missing:\n{all}");
    }
    let wide = k.run(&["get", kinds, "-A", "-o", "wide"]).await;
    assert!(wide.contains("VOLUMEMODE"), "{wide}");

    // each kind's columns as kube-apiserver prints them
    let ing = k.run(&["get", "ing", "-n", "shop"]).await;
    assert_eq!(
        header(&ing),
        ["NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"]
    );
    let r = row(&ing, &["frontend"]);
    assert_eq!(
        r[..6],
        [
            "frontend",
            "nginx",
            "shop.acme.example",
            "203.0.113.10",
            "80,",
            "443"
        ],
        "{ing}"
    );
    let dev = k.run(&["get", "ing", "-n", "shop-dev", "frontend"]).await;
    assert!(
        row(&dev, &["frontend"]).contains(&"dev.shop.acme.example"),
        "{dev}"
    );

    let secrets = k.run(&["get", "secrets", "-n", "shop"]).await;
    assert_eq!(header(&secrets), ["NAME", "TYPE", "DATA", "AGE"]);
    assert_eq!(
        row(&secrets, &["shop-acme-example-tls"])[..3],
        ["shop-acme-example-tls", "kubernetes.io/tls", "3"]
    );
    assert_eq!(
        row(&secrets, &["checkout-db"])[..3],
        ["checkout-db", "Opaque", "2"]
    );

    let cms = k.run(&["get", "cm", "-n", "shop"]).await;
    assert_eq!(header(&cms), ["NAME", "DATA", "AGE"]);
    assert_eq!(row(&cms, &["checkout-config"])[1], "4");

    let pvc = k.run(&["get", "pvc", "-n", "shop", "-o", "wide"]).await;
    assert_eq!(
        header(&pvc),
        [
            "NAME",
            "STATUS",
            "VOLUME",
            "CAPACITY",
            "ACCESS MODES",
            "STORAGECLASS",
            "VOLUMEATTRIBUTESCLASS",
            "AGE",
            "VOLUMEMODE"
        ]
    );
    for ord in 0..3 {
        let name = format!("data-orders-db-{ord}");
        let r = row(&pvc, &[&name]);
        assert_eq!(r[1], "Bound", "{pvc}");
        assert!(r[2].starts_with("pvc-"), "{pvc}");
        assert_eq!(r[3..7], ["10Gi", "RWO", "standard", "<unset>"], "{pvc}");
        assert_eq!(r.last(), Some(&"Filesystem"), "{pvc}");
    }
    let pod = k.json(&["get", "pod", "-n", "shop", "orders-db-1"]).await;
    assert!(
        pod["spec"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["persistentVolumeClaim"]["claimName"] == "data-orders-db-1"),
        "{pod}"
    );
    let pending = k.run(&["get", "pvc", "-n", "shop-staging"]).await;
    assert_eq!(
        row(&pending, &["reports-archive"])[..3],
        ["reports-archive", "Pending", "fast-ssd"],
        "an unbound claim has no volume, capacity or access modes:\n{pending}"
    );

    // the CRD and its custom resources, columns from additionalPrinterColumns
    let crd = k.run(&["get", "crd"]).await;
    assert_eq!(header(&crd), ["NAME", "CREATED AT"]);
    assert!(
        row(&crd, &["certificates.cert-manager.io"])[1].ends_with('Z'),
        "{crd}"
    );
    let certs = k.run(&["get", "certificates", "-A"]).await;
    assert_eq!(
        header(&certs),
        ["NAMESPACE", "NAME", "READY", "SECRET", "AGE"]
    );
    assert_eq!(
        row(&certs, &["shop", "shop-acme-example-tls"])[2..4],
        ["True", "shop-acme-example-tls"]
    );
    assert_eq!(
        row(&certs, &["shop-staging", "staging-shop-acme-example-tls"])[2],
        "False"
    );
    let wide = k
        .run(&["get", "cert", "-n", "shop-staging", "-o", "wide"])
        .await;
    assert_eq!(
        header(&wide),
        ["NAME", "READY", "SECRET", "ISSUER", "STATUS", "AGE"]
    );
    assert!(
        wide.contains("letsencrypt")
            && wide.contains("Issuing certificate as Secret does not exist"),
        "{wide}"
    );

    // services and their slices
    let svc = k.run(&["get", "svc", "-n", "shop", "-o", "wide"]).await;
    assert_eq!(
        header(&svc),
        [
            "NAME",
            "TYPE",
            "CLUSTER-IP",
            "EXTERNAL-IP",
            "PORT(S)",
            "AGE",
            "SELECTOR"
        ]
    );
    let r = row(&svc, &["orders-db"]);
    assert_eq!(
        r[1..5],
        ["ClusterIP", "None", "<none>", "5432/TCP"],
        "{svc}"
    );
    assert_eq!(r.last(), Some(&"app=orders-db"));
    let eps = k
        .run(&[
            "get",
            "endpointslices",
            "-n",
            "shop",
            "-l",
            "kubernetes.io/service-name=orders-db",
        ])
        .await;
    assert_eq!(
        header(&eps),
        ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    );
    let pods = k
        .json(&["get", "pods", "-n", "shop", "-l", "app=orders-db"])
        .await;
    let mut ips: Vec<String> = pods["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"]["podIP"].as_str().unwrap().to_string())
        .collect();
    let r: Vec<&str> = eps
        .lines()
        .nth(1)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    assert_eq!(r[1..3], ["IPv4", "5432"], "{eps}");
    let mut shown: Vec<String> = r[3].split(',').map(str::to_string).collect();
    ips.sort();
    shown.sort();
    assert_eq!(shown, ips, "{eps}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_resources_lists_the_kinds_with_kubectls_short_names() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let out = k.run(&["api-resources"]).await;
    // kubectl 1.32 asks for aggregated discovery: /api and /apis answer everything, no
    // request per group version follows
    let paths: Vec<String> = k.sb.requests().into_iter().map(|r| r.path).collect();
    assert!(paths.iter().any(|p| p == "/apis"), "{paths:?}");
    assert!(
        !paths
            .iter()
            .any(|p| p.starts_with("/apis/") || p.starts_with("/api/")),
        "a request per group version: {paths:?}"
    );
    let line = |name: &str, api: &str| -> Vec<String> {
        out.lines()
            .map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .find(|w| w.first().map(String::as_str) == Some(name) && w.iter().any(|x| x == api))
            .unwrap_or_else(|| panic!("no {name} ({api}) in:\n{out}"))
    };
    for (name, short, api, namespaced, kind) in [
        ("services", Some("svc"), "v1", "true", "Service"),
        ("configmaps", Some("cm"), "v1", "true", "ConfigMap"),
        ("secrets", None, "v1", "true", "Secret"),
        (
            "persistentvolumeclaims",
            Some("pvc"),
            "v1",
            "true",
            "PersistentVolumeClaim",
        ),
        (
            "endpointslices",
            None,
            "discovery.k8s.io/v1",
            "true",
            "EndpointSlice",
        ),
        (
            "ingresses",
            Some("ing"),
            "networking.k8s.io/v1",
            "true",
            "Ingress",
        ),
        (
            "customresourcedefinitions",
            Some("crd,crds"),
            "apiextensions.k8s.io/v1",
            "false",
            "CustomResourceDefinition",
        ),
        (
            "certificates",
            Some("cert,certs"),
            "cert-manager.io/v1",
            "true",
            "Certificate",
        ),
    ] {
        let mut want = vec![name.to_string()];
        want.extend(short.map(str::to_string));
        want.extend([api.to_string(), namespaced.to_string(), kind.to_string()]);
        assert_eq!(line(name, api), want, "{out}");
    }
    // every short name resolves to its kind
    for short in ["svc", "cm", "ing", "pvc", "crd", "crds", "cert", "certs"] {
        k.run(&["get", short, "-A", "--no-headers"]).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configmaps_are_created_and_deleted_and_a_crd_removed_leaves_discovery() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let out = k
        .run(&[
            "create",
            "configmap",
            "feature-flags",
            "-n",
            "shop",
            "--from-literal=ONE_CLICK=true",
            "--from-literal=DARK_MODE=false",
        ])
        .await;
    assert!(out.contains("configmap/feature-flags created"), "{out}");
    let cm = k.json(&["get", "cm", "feature-flags", "-n", "shop"]).await;
    assert_eq!(cm["data"]["ONE_CLICK"], "true");
    let got = k.run(&["get", "cm", "feature-flags", "-n", "shop"]).await;
    assert_eq!(row(&got, &["feature-flags"])[1], "2");
    let out = k
        .run(&["delete", "cm", "feature-flags", "-n", "shop"])
        .await;
    assert!(out.contains("deleted"), "{out}");
    let gone = k
        .cmd(&["get", "cm", "feature-flags", "-n", "shop"])
        .output()
        .await
        .unwrap();
    assert!(!gone.status.success());
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NotFound"));
    // a namespace made through the API gets its kube-root-ca.crt
    k.run(&["create", "namespace", "team-a"]).await;
    let cms = k.run(&["get", "cm", "-n", "team-a", "--no-headers"]).await;
    assert!(cms.starts_with("kube-root-ca.crt "), "{cms}");
    // uninstalling cert-manager's CRD takes its kind out of discovery
    k.run(&["delete", "crd", "certificates.cert-manager.io"])
        .await;
    let gone = k
        .cmd(&["get", "certificates", "-A"])
        .output()
        .await
        .unwrap();
    assert!(!gone.status.success());
    // (kubectl's discovery cache still names the kind: the list itself is not found)
    let err = String::from_utf8_lossy(&gone.stderr);
    assert!(
        err.contains("the server doesn't have a resource type \"certificates\"")
            || err.contains("the server could not find the requested resource"),
        "{err}"
    );
    let resources = k.run(&["api-resources"]).await;
    assert!(!resources.contains("cert-manager.io"), "{resources}");
    assert!(resources.contains("apiextensions.k8s.io"), "{resources}");
    let apis = k.run(&["api-versions"]).await;
    assert!(!apis.contains("cert-manager.io"), "{apis}");
}

/// Endpoints of a Service's slices, by address.
async fn slice_endpoints(k: &Kubectl, ns: &str, svc: &str) -> Vec<Value> {
    let sel = format!("kubernetes.io/service-name={svc}");
    let slices = k
        .json(&["get", "endpointslices", "-n", ns, "-l", &sel])
        .await;
    slices["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["endpoints"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_slices_follow_the_services_pods() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let pods = k
        .json(&["get", "pods", "-n", "shop", "-l", "app=cart"])
        .await;
    let n = pods["items"].as_array().unwrap().len();
    let eps = slice_endpoints(&k, "shop", "cart").await;
    assert_eq!(eps.len(), n);
    for e in &eps {
        assert_eq!(e["conditions"]["ready"], true, "{e}");
        assert_eq!(e["targetRef"]["kind"], "Pod");
        assert!(e["nodeName"].is_string());
    }
    let slice = k
        .json(&[
            "get",
            "endpointslices",
            "-n",
            "shop",
            "-l",
            "kubernetes.io/service-name=cart",
        ])
        .await;
    let s = &slice["items"][0];
    assert_eq!(s["metadata"]["ownerReferences"][0]["kind"], "Service");
    assert_eq!(s["metadata"]["ownerReferences"][0]["name"], "cart");
    assert_eq!(
        s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"],
        "endpointslice-controller.k8s.io"
    );
    assert_eq!(s["ports"][0]["port"], 8080, "the target port: {s}");
    // scaled up: the new pods join, not ready until their probes pass
    k.run(&[
        "scale",
        "deploy/cart",
        "-n",
        "shop",
        &format!("--replicas={}", n + 2),
    ])
    .await;
    k.advance(2).await;
    let eps = slice_endpoints(&k, "shop", "cart").await;
    assert_eq!(eps.len(), n + 2, "{eps:?}");
    k.advance(30).await;
    let eps = slice_endpoints(&k, "shop", "cart").await;
    assert!(
        eps.iter().all(|e| e["conditions"]["ready"] == true),
        "{eps:?}"
    );
    // a selector that picks nothing leaves one empty slice; deleting the Service, none
    k.run(&[
        "patch",
        "svc",
        "cart",
        "-n",
        "shop",
        "-p",
        r#"{"spec":{"selector":{"app":"nobody"}}}"#,
    ])
    .await;
    assert!(slice_endpoints(&k, "shop", "cart").await.is_empty());
    let listed = k
        .run(&[
            "get",
            "endpointslices",
            "-n",
            "shop",
            "-l",
            "kubernetes.io/service-name=cart",
        ])
        .await;
    assert!(listed.contains("<unset>"), "{listed}");
    k.run(&["delete", "svc", "cart", "-n", "shop"]).await;
    let left = k
        .run(&[
            "get",
            "endpointslices",
            "-n",
            "shop",
            "-l",
            "kubernetes.io/service-name=cart",
            "--no-headers",
            "--ignore-not-found",
        ])
        .await;
    assert!(left.trim().is_empty(), "{left}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_are_applied_patched_and_printed_from_their_printer_columns() {
    let Some(k) = Kubectl::start(Scenario::Steady).await else {
        return;
    };
    let manifest = k.dir.path().join("cert.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: api-tls\n  namespace: shop-dev\nspec:\n  secretName: api-tls\n  dnsNames: [api.dev.shop.acme.example]\n  issuerRef: {name: letsencrypt, kind: ClusterIssuer}\n",
    )
    .unwrap();
    let out = k
        .run(&[
            "apply",
            "--validate=false",
            "-f",
            manifest.to_str().unwrap(),
        ])
        .await;
    assert!(
        out.contains("certificate.cert-manager.io/api-tls created"),
        "{out}"
    );
    // no status yet: READY and STATUS find nothing
    let got = k
        .run(&["get", "cert", "api-tls", "-n", "shop-dev", "-o", "wide"])
        .await;
    let r = row(&got, &["api-tls"]);
    assert_eq!(r[1..3], ["api-tls", "letsencrypt"], "{got}");
    let out = k
        .run(&[
            "patch",
            "certificate",
            "api-tls",
            "-n",
            "shop-dev",
            "--type=merge",
            "-p",
            r#"{"spec":{"secretName":"api-tls-v2"}}"#,
        ])
        .await;
    assert!(out.contains("patched"), "{out}");
    let got = k.run(&["get", "cert", "api-tls", "-n", "shop-dev"]).await;
    assert_eq!(row(&got, &["api-tls"])[1], "api-tls-v2", "{got}");
    // a strategic merge patch is refused, as for any custom resource
    let smp = k
        .cmd(&[
            "patch",
            "certificate",
            "api-tls",
            "-n",
            "shop-dev",
            "--type=strategic",
            "-p",
            r#"{"spec":{"secretName":"x"}}"#,
        ])
        .output()
        .await
        .unwrap();
    assert!(!smp.status.success());
    k.run(&["delete", "-f", manifest.to_str().unwrap()]).await;
}
