//! Config, storage, networking and cert-manager objects: the scenario's ConfigMaps, Secrets,
//! Ingresses, PersistentVolumeClaims and Certificates (with cert-manager's
//! CustomResourceDefinition), the EndpointSlice controller that keeps each Service's slices
//! in step with its selector's pods, and the StatefulSet's claims from its
//! `volumeClaimTemplates`.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::cast::{ENVS, MAIN_NS};
use super::{World, ts};
use crate::json::{at, str_at};
use crate::rng::fnv64;
use crate::store::{Kind, meta_str};

/// The name of cert-manager's Certificate CRD; the kind is served while it exists.
pub const CERTIFICATE_CRD: &str = "certificates.cert-manager.io";

/// At most this many endpoints in one EndpointSlice (the controller's default
/// `--max-endpoints-per-slice`).
const MAX_ENDPOINTS_PER_SLICE: usize = 100;

/// What the EndpointSlice controller manages (`endpointslice.kubernetes.io/managed-by`).
const SLICE_MANAGER: &str = "endpointslice-controller.k8s.io";

/// cert-manager's CustomResourceDefinition for Certificates (v1 only, its schema open), with
/// the release's `additionalPrinterColumns`.
pub fn certificate_crd(created: &str, uid: &str) -> Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {
            "name": CERTIFICATE_CRD,
            "uid": uid,
            "creationTimestamp": created,
            "generation": 1,
            "labels": {
                "app": "cert-manager",
                "app.kubernetes.io/instance": "cert-manager",
                "app.kubernetes.io/name": "cert-manager",
                "app.kubernetes.io/version": "v1.16.2",
            },
            "annotations": {"helm.sh/resource-policy": "keep"},
        },
        "spec": {
            "group": "cert-manager.io",
            "names": {
                "kind": "Certificate",
                "listKind": "CertificateList",
                "plural": "certificates",
                "singular": "certificate",
                "shortNames": ["cert", "certs"],
                "categories": ["cert-manager"],
            },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {
                    "description": "A Certificate resource should be created to ensure an up to date and signed X.509 certificate is stored in the Kubernetes Secret resource named in `spec.secretName`.",
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    },
                }},
                "additionalPrinterColumns": [
                    {"jsonPath": ".status.conditions[?(@.type==\"Ready\")].status", "name": "Ready", "type": "string"},
                    {"jsonPath": ".spec.secretName", "name": "Secret", "type": "string"},
                    {"jsonPath": ".spec.issuerRef.name", "name": "Issuer", "priority": 1, "type": "string"},
                    {"jsonPath": ".status.conditions[?(@.type==\"Ready\")].message", "name": "Status", "priority": 1, "type": "string"},
                    {"description": "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.",
                     "jsonPath": ".metadata.creationTimestamp", "name": "Age", "type": "date"},
                ],
            }],
            "conversion": {"strategy": "None"},
        },
        "status": {
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": created},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": created},
            ],
            "acceptedNames": {"kind": "Certificate", "listKind": "CertificateList", "plural": "certificates",
                              "singular": "certificate", "shortNames": ["cert", "certs"], "categories": ["cert-manager"]},
            "storedVersions": ["v1"],
        },
    })
}

/// A base64 text of `n` bytes (what a Secret's values look like).
fn b64(seed: &str, n: usize) -> String {
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut h = fnv64(seed.as_bytes());
    let len = n.div_ceil(3) * 4;
    (0..len)
        .map(|_| {
            h = h
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ALPHA[(h >> 58) as usize] as char
        })
        .collect()
}

impl World {
    fn put_new(&mut self, kind: Kind, ns: &str, name: &str, labels: Value, mut body: Value) {
        let mut meta = self.aux_meta(name, ns, self.now_ms);
        if labels.is_object() {
            meta["labels"] = labels;
        }
        if let Some(extra) = body.get("metadata").and_then(Value::as_object).cloned() {
            for (k, v) in extra {
                meta[k] = v;
            }
        }
        body["metadata"] = meta;
        self.create(kind, body);
    }

    /// The scenario's ConfigMaps, Secrets, Ingresses, PersistentVolumeClaims and
    /// Certificates (one not Ready), and cert-manager's CRD. Runs while building.
    pub(super) fn make_resources(&mut self) {
        let created = ts(self.now_ms);
        let uid = self.aux_rng.uid();
        self.store.put(
            Kind::CustomResourceDefinition,
            certificate_crd(&created, &uid),
        );
        for env in ENVS.iter() {
            let ns = env.namespace;
            let prod = ns == MAIN_NS;
            let host = if prod {
                "shop.acme.example".to_string()
            } else {
                format!("{}.shop.acme.example", env.name)
            };
            // checkout's configuration
            self.put_new(
                Kind::ConfigMap,
                ns,
                "checkout-config",
                json!({"app": "checkout"}),
                json!({
                    "data": {
                        "PAYMENTS_URL": "http://payments",
                        "CART_URL": "http://cart",
                        "LOG_LEVEL": if prod { "info" } else { "debug" },
                        "FEATURE_ONE_CLICK": if prod { "false" } else { "true" },
                    },
                }),
            );
            self.put_new(Kind::ConfigMap, ns, "frontend-nginx", json!({"app": "frontend"}), json!({
                "data": {"nginx.conf": "server {\n  listen 8080;\n  location / { proxy_pass http://checkout; }\n}\n"},
            }));
            self.put_new(Kind::Secret, ns, "checkout-db", json!({"app": "checkout"}), json!({
                "type": "Opaque",
                "data": {"username": b64("checkout", 8), "password": b64(&format!("{ns}/pw"), 24)},
            }));
            self.put_new(
                Kind::Secret,
                ns,
                "registry-credentials",
                Value::Null,
                json!({
                    "type": "kubernetes.io/dockerconfigjson",
                    "data": {".dockerconfigjson": b64(&format!("{ns}/registry"), 120)},
                }),
            );
            // the TLS secret the Certificate writes (staging's has not been issued)
            let tls = format!("{}-tls", host.replace('.', "-"));
            let ready = env.name != "staging";
            self.make_certificate(ns, &tls, &host, ready);
            if ready {
                self.put_new(Kind::Secret, ns, &tls, Value::Null, json!({
                    "metadata": {"annotations": {
                        "cert-manager.io/certificate-name": tls,
                        "cert-manager.io/common-name": host,
                        "cert-manager.io/issuer-kind": "ClusterIssuer",
                        "cert-manager.io/issuer-name": "letsencrypt",
                        "cert-manager.io/alt-names": host,
                    }},
                    "type": "kubernetes.io/tls",
                    "data": {"tls.crt": b64(&format!("{tls}/crt"), 1200), "tls.key": b64(&format!("{tls}/key"), 1700), "ca.crt": ""},
                }));
            }
            // the frontend's Ingress
            let lb = if prod { "203.0.113.10" } else { "203.0.113.20" };
            self.put_new(Kind::Ingress, ns, "frontend", json!({"app": "frontend"}), json!({
                "metadata": {"annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"}},
                "spec": {
                    "ingressClassName": "nginx",
                    "tls": [{"hosts": [host], "secretName": tls}],
                    "rules": [{"host": host, "http": {"paths": [
                        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "frontend", "port": {"number": 80}}}},
                        {"path": "/api/checkout", "pathType": "Prefix", "backend": {"service": {"name": "checkout", "port": {"number": 80}}}},
                    ]}}],
                },
                "status": {"loadBalancer": {"ingress": [{"ip": lb}]}},
            }));
        }
        // a claim waiting for its first consumer
        self.put_new(Kind::PersistentVolumeClaim, "shop-staging", "reports-archive", json!({"app": "nightly-report"}), json!({
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "50Gi"}},
                     "storageClassName": "fast-ssd", "volumeMode": "Filesystem"},
            "status": {"phase": "Pending"},
        }));
    }

    fn make_certificate(&mut self, ns: &str, name: &str, host: &str, ready: bool) {
        let now = ts(self.now_ms);
        let cond = if ready {
            json!({"type": "Ready", "status": "True", "reason": "Ready", "observedGeneration": 1,
                   "message": "Certificate is up to date and has not expired", "lastTransitionTime": now})
        } else {
            json!({"type": "Ready", "status": "False", "reason": "DoesNotExist", "observedGeneration": 1,
                   "message": "Issuing certificate as Secret does not exist", "lastTransitionTime": now})
        };
        let mut status = json!({"conditions": [cond]});
        if ready {
            status["notBefore"] = json!(now);
            status["notAfter"] = json!(ts(self.now_ms + 90 * 86_400_000));
            status["renewalTime"] = json!(ts(self.now_ms + 60 * 86_400_000));
            status["revision"] = json!(1);
        } else {
            let mut issuing = cond.clone();
            issuing["type"] = json!("Issuing");
            issuing["status"] = json!("True");
            issuing["reason"] = json!("DoesNotExist");
            if let Some(a) = status["conditions"].as_array_mut() {
                a.push(issuing);
            }
            status["failedIssuanceAttempts"] = json!(3);
        }
        self.put_new(Kind::Certificate, ns, name, Value::Null, json!({
            "metadata": {"generation": 1},
            "spec": {
                "secretName": name,
                "dnsNames": [host],
                "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer", "group": "cert-manager.io"},
                "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            },
            "status": status,
        }));
    }

    /// The `kube-root-ca.crt` ConfigMap that kube-controller-manager publishes in every
    /// namespace.
    pub(super) fn make_root_ca(&mut self, ns: &str) {
        if self
            .store
            .obj(Kind::ConfigMap, ns, "kube-root-ca.crt")
            .is_some()
        {
            return;
        }
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            b64("sandbox-cluster-ca", 48)
        );
        self.put_new(
            Kind::ConfigMap,
            ns,
            "kube-root-ca.crt",
            Value::Null,
            json!({"metadata": {"annotations": {"kubernetes.io/description": "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters."}},
                   "data": {"ca.crt": pem}}),
        );
    }

    /// The claims a StatefulSet's pod `ord` needs from its `volumeClaimTemplates`
    /// (`TEMPLATE-SET-ORD`), made when missing, bound at once to a dynamically provisioned
    /// volume; the pod volumes that mount them.
    pub(super) fn set_claims(&mut self, set: &Value, ord: i64) -> Vec<Value> {
        let ns = meta_str(set, "namespace").to_string();
        let set_name = meta_str(set, "name").to_string();
        let templates = at(set, &["spec", "volumeClaimTemplates"])
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut volumes = Vec::new();
        for t in templates {
            let tname = str_at(&t, &["metadata", "name"]).to_string();
            let claim = format!("{tname}-{set_name}-{ord}");
            volumes.push(json!({"name": tname, "persistentVolumeClaim": {"claimName": claim}}));
            if self
                .store
                .obj(Kind::PersistentVolumeClaim, &ns, &claim)
                .is_some()
            {
                continue;
            }
            let mut labels = at(set, &["spec", "selector", "matchLabels"])
                .cloned()
                .unwrap_or(json!({}));
            if let Some(tl) = at(&t, &["metadata", "labels"]).and_then(Value::as_object) {
                for (k, v) in tl {
                    labels[k] = v.clone();
                }
            }
            let mut spec = t.get("spec").cloned().unwrap_or(json!({}));
            if spec.get("storageClassName").is_none() {
                spec["storageClassName"] = json!("standard");
            }
            if spec.get("volumeMode").is_none() {
                spec["volumeMode"] = json!("Filesystem");
            }
            let uid = self.aux_rng.uid();
            let volume = format!("pvc-{uid}");
            spec["volumeName"] = json!(volume);
            let size = str_at(&spec, &["resources", "requests", "storage"]).to_string();
            let modes = spec.get("accessModes").cloned().unwrap_or(json!([]));
            self.put_new(Kind::PersistentVolumeClaim, &ns, &claim, labels, json!({
                "metadata": {"uid": uid, "finalizers": ["kubernetes.io/pvc-protection"], "annotations": {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                    "volume.kubernetes.io/storage-provisioner": "rancher.io/local-path",
                }},
                "spec": spec,
                "status": {"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}},
            }));
            let set_v = set.clone();
            self.record_event(
                &set_v,
                Kind::StatefulSet,
                "Normal",
                "SuccessfulCreate",
                &format!(
                    "create Claim {claim} Pod {set_name}-{ord} in StatefulSet {set_name} success"
                ),
            );
        }
        volumes
    }

    // ------------------------------------------------------------ endpoint slices

    /// The EndpointSlice controller: the Services of every namespace where a pod or a
    /// Service changed since it last looked (all of them when the store's history no longer
    /// reaches back that far) get their slices rewritten where they differ.
    pub(super) fn sync_endpoint_slices(&mut self) {
        let since = self.slices_rv;
        self.slices_rv = self.store.rv;
        let namespaces: BTreeSet<String> = match self.store.since(since) {
            Some(evts) => evts
                .iter()
                .filter(|e| matches!(e.kind, Kind::Pod | Kind::Service))
                .map(|e| e.obj.ns.clone())
                .collect(),
            None => self
                .store
                .map(Kind::Service)
                .keys()
                .map(|k| k.0.clone())
                .chain(
                    self.store
                        .map(Kind::EndpointSlice)
                        .keys()
                        .map(|k| k.0.clone()),
                )
                .collect(),
        };
        for ns in namespaces {
            self.sync_namespace_slices(&ns);
        }
        // the slices written above moved the store on; nothing else changed meanwhile
        self.slices_rv = self.store.rv;
    }

    fn sync_namespace_slices(&mut self, ns: &str) {
        let services: Vec<Value> = self
            .store
            .in_ns(Kind::Service, ns)
            .map(|s| s.value())
            .collect();
        let mut keep: BTreeSet<String> = BTreeSet::new();
        for svc in &services {
            if at(svc, &["spec", "selector"])
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty())
            {
                continue; // a Service without a selector has its slices written by hand
            }
            for slice in self.desired_slices(ns, svc) {
                let name = meta_str(&slice, "name").to_string();
                keep.insert(name.clone());
                let same = self
                    .store
                    .get(Kind::EndpointSlice, ns, &name)
                    .is_some_and(|old| {
                        old.get("endpoints") == slice.get("endpoints")
                            && old.get("ports") == slice.get("ports")
                            && at(&old, &["metadata", "labels"])
                                == at(&slice, &["metadata", "labels"])
                    });
                if same {
                    continue;
                }
                let mut slice = slice;
                if let Some(old) = self.store.get(Kind::EndpointSlice, ns, &name) {
                    slice["metadata"]["uid"] = json!(meta_str(&old, "uid"));
                    slice["metadata"]["creationTimestamp"] =
                        json!(meta_str(&old, "creationTimestamp"));
                    self.store.put(Kind::EndpointSlice, slice);
                } else {
                    slice["metadata"]["uid"] = json!(self.aux_rng.uid());
                    self.create(Kind::EndpointSlice, slice);
                }
            }
        }
        // slices of Services gone, or beyond what a Service needs now
        let stale: Vec<String> = self
            .store
            .in_ns(Kind::EndpointSlice, ns)
            .filter(|s| s.label("endpointslice.kubernetes.io/managed-by") == Some(SLICE_MANAGER))
            .filter(|s| !keep.contains(&s.name))
            .map(|s| s.name.clone())
            .collect();
        for n in stale {
            self.store.delete(Kind::EndpointSlice, ns, &n);
        }
    }

    /// The slices a Service with a selector should have: its selector's pods that have an
    /// address and have not finished, by name, at most 100 to a slice (one empty slice when
    /// none).
    fn desired_slices(&self, ns: &str, svc: &Value) -> Vec<Value> {
        let svc_name = meta_str(svc, "name");
        let selector: Vec<(String, String)> = at(svc, &["spec", "selector"])
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let headless = str_at(svc, &["spec", "clusterIP"]) == "None";
        let endpoints: Vec<Value> = self
            .store
            .in_ns(Kind::Pod, ns)
            .filter(|p| selector.iter().all(|(k, v)| p.label(k) == Some(v.as_str())))
            .filter(|p| p.phase != "Succeeded" && p.phase != "Failed")
            .filter_map(|p| {
                let ip = p.pod.as_ref().map(|c| c.ip.clone()).unwrap_or_default();
                if ip.is_empty() {
                    return None;
                }
                let v = p.value();
                let terminating = at(&v, &["metadata", "deletionTimestamp"]).is_some();
                let mut e = json!({
                    "addresses": [ip],
                    "conditions": {"ready": p.ready && !terminating, "serving": p.ready, "terminating": terminating},
                    "targetRef": {"kind": "Pod", "namespace": ns, "name": p.name, "uid": meta_str(&v, "uid")},
                });
                if !p.node.is_empty() {
                    e["nodeName"] = json!(p.node);
                }
                let hostname = str_at(&v, &["spec", "hostname"]);
                if headless && !hostname.is_empty() && str_at(&v, &["spec", "subdomain"]) == svc_name {
                    e["hostname"] = json!(hostname);
                }
                Some(e)
            })
            .collect();
        let ports: Vec<Value> = at(svc, &["spec", "ports"])
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .map(|p| {
                        let port = p
                            .get("targetPort")
                            .and_then(Value::as_i64)
                            .or_else(|| p.get("port").and_then(Value::as_i64));
                        let mut out = json!({"port": port, "protocol": str_at(p, &["protocol"])});
                        if let Some(n) = p.get("name").and_then(Value::as_str) {
                            out["name"] = json!(n);
                        }
                        out
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut labels = at(svc, &["metadata", "labels"])
            .cloned()
            .unwrap_or(json!({}));
        labels["kubernetes.io/service-name"] = json!(svc_name);
        labels["endpointslice.kubernetes.io/managed-by"] = json!(SLICE_MANAGER);
        let chunks: Vec<&[Value]> = if endpoints.is_empty() {
            vec![&[]]
        } else {
            endpoints.chunks(MAX_ENDPOINTS_PER_SLICE).collect()
        };
        chunks
            .into_iter()
            .enumerate()
            .map(|(i, chunk)| {
                json!({
                    "metadata": {
                        "name": slice_name(ns, svc_name, i),
                        "generateName": format!("{svc_name}-"),
                        "namespace": ns,
                        "labels": labels,
                        "ownerReferences": [super::owned::owner_ref(Kind::Service, svc)],
                        "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": ts(self.now_ms)},
                    },
                    "addressType": "IPv4",
                    "endpoints": chunk,
                    "ports": ports,
                })
            })
            .collect()
    }
}

/// The `i`-th slice of a Service: `SERVICE-xxxxx`, the suffix fixed by namespace, Service
/// and index so that a rewrite keeps the name.
fn slice_name(ns: &str, svc: &str, i: usize) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut h = fnv64(format!("{ns}/{svc}/{i}").as_bytes());
    let suffix: String = (0..5)
        .map(|_| {
            let c = ALPHA[(h % ALPHA.len() as u64) as usize] as char;
            h /= ALPHA.len() as u64;
            c
        })
        .collect();
    format!("{svc}-{suffix}")
}
