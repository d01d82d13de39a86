//! Tests of the PDF renderer: a realistic hand-built document (4 to 200 clusters), text
//! extraction with `pdftotext`, determinism within and across processes, size and time.

use std::process::Command;
use std::time::Instant;

use super::fonts::{Fonts, Weight};
use super::layout::wrap;
use super::render;
use crate::model::{Finding, RecordRef, Severity, WaiverStatus, sha256};
use crate::report::model::*;

const AS_OF: &str = "2026-12-01T00:00:00Z";
const UNICODE: &str = "Zürich – naïve façade ✓ →";

fn rref(seq: u64) -> RecordRef {
    RecordRef {
        seq,
        hash: sha256(&seq.to_be_bytes()),
    }
}

fn cluster_name(i: usize) -> String {
    const REGIONS: [&str; 5] = ["eu-zurich", "eu-frankfurt", "us-east", "ap-tokyo", "sa-saopaulo"];
    format!("{}-prod-{:03}", REGIONS[i % REGIONS.len()], i + 1)
}

/// A long cluster name that must wrap in narrow columns.
const LONG_CLUSTER: &str = "payments-platform-europe-west-zürich-production-cluster-with-an-unusually-long-name";

fn finding(i: usize, cluster: &str, severity: Severity) -> Finding {
    let (check, name) = [
        ("CERT-001", "ca-expiring"),
        ("CERT-004", "stale-root"),
        ("TOKEN-002", "legacy-token"),
        ("PEER-003", "asymmetric-peering"),
        ("RBAC-001", "cluster-admin-binding"),
    ][i % 5];
    Finding {
        check: check.into(),
        name: name.into(),
        severity,
        cluster: Some(cluster.to_string()),
        subject: format!(
            "k8s/{cluster}/istio-system/Secret/istio-remote-secret-{}-with-a-long-generated-suffix-{i:04}",
            cluster_name(i + 7)
        ),
        message: format!(
            "The intermediate CA on {cluster} (subject CN=Istio Intermediate {UNICODE}, serial 0x{:032x}) expires on 2026-12-{:02}T00:00:00Z, \
             which is inside the 90-day window; the workload certificates it signs will stop validating across the mesh. \
             Fingerprint sha256:{} was observed in records from three collections.",
            i * 7919,
            (i % 27) + 1,
            sha256(&i.to_le_bytes()).to_hex()
        ),
        remediation: "Issue a new intermediate (or start a root rotation) and roll it out before the expiry date; \
                      then re-run `meshproof collect` and `meshproof analyze` to confirm."
            .into(),
        evidence: vec![rref(i as u64 * 3 + 10), rref(i as u64 * 3 + 11)],
        waiver: (i % 11 == 3).then(|| WaiverStatus {
            owner: "Zoë Müller".into(),
            reason: "Rotation scheduled in change window CW-49".into(),
            ticket: Some("SEC-1234".into()),
            until: "2027-01-15".into(),
            expired: i % 22 == 3,
        }),
    }
}

/// A realistic document with `n` clusters (the last one has a very long name when `n` > 3).
pub(super) fn sample_report(n: usize) -> Report {
    let mut clusters: Vec<String> = (0..n).map(cluster_name).collect();
    if n > 3 {
        clusters[n - 1] = LONG_CLUSTER.to_string();
    }
    clusters.sort();
    let mut findings = Vec::new();
    for i in 0..40.max(n / 3) {
        let sev = Severity::ALL[i % 5];
        findings.push(finding(i, &clusters[i % n], sev));
    }
    findings.push(Finding {
        check: "MESH-009".into(),
        name: "orphaned-peer".into(),
        severity: Severity::High,
        cluster: None,
        subject: "mesh".into(),
        message: format!("A peer gateway points at decommissioned-cluster, which is not in the mesh {UNICODE}."),
        remediation: "Delete the gateway.".into(),
        evidence: vec![rref(5)],
        waiver: None,
    });
    findings.sort();
    let by_sev = Severity::ALL
        .iter()
        .map(|s| SeverityCount {
            severity: *s,
            count: findings.iter().filter(|f| f.severity == *s).count() as u64,
        })
        .collect();
    let mut peering = Vec::new();
    for (i, c) in clusters.iter().enumerate() {
        let next = &clusters[(i + 1) % n];
        if next != c {
            peering.push(PeeringCell {
                holder: c.clone(),
                target: next.clone(),
                credential: true,
                gateway: i % 3 != 0,
                asymmetric: i % 4 == 1,
                orphaned: false,
                evidence: vec![rref(i as u64 + 100)],
            });
        }
        if i != 0 {
            peering.push(PeeringCell {
                holder: clusters[0].clone(),
                target: c.clone(),
                credential: i % 2 == 0,
                gateway: true,
                asymmetric: false,
                orphaned: false,
                evidence: vec![rref(i as u64 + 400)],
            });
        }
    }
    peering.push(PeeringCell {
        holder: clusters[0].clone(),
        target: "decommissioned-cluster".into(),
        credential: false,
        gateway: true,
        asymmetric: true,
        orphaned: true,
        evidence: vec![rref(5)],
    });
    peering.sort_by(|a, b| (&a.holder, &a.target).cmp(&(&b.holder, &b.target)));
    peering.dedup_by(|a, b| a.holder == b.holder && a.target == b.target);
    let certificates = clusters
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            let days_left = [400i64, 45, -12, 2900, 120][i % 5];
            let not_after = chrono::DateTime::parse_from_rfc3339(AS_OF).unwrap() + chrono::Duration::days(days_left);
            [
                CertificateRow {
                    cluster: c.clone(),
                    role: "root".into(),
                    subject: format!(
                        "CN=Acme Mesh Root CA {UNICODE}, O=Acme Corp, OU=Platform Security, L=Zürich, C=CH"
                    ),
                    issuer: "CN=Acme Mesh Root CA, O=Acme Corp".into(),
                    serial: format!("{:040x}", i * 104729),
                    key: "RSA 4096".into(),
                    signature_algorithm: "sha256WithRSAEncryption".into(),
                    not_before: "2021-01-01T00:00:00Z".into(),
                    not_after: "2031-01-01T00:00:00Z".into(),
                    days_left: 1492,
                    chain_status: "valid".into(),
                    rotation_state: if i % 7 == 0 {
                        "rotation in progress (2 roots)".into()
                    } else {
                        "current".into()
                    },
                    fingerprint: sha256(format!("root{i}").as_bytes()).to_hex(),
                    evidence: vec![rref(i as u64 * 2 + 1000)],
                },
                CertificateRow {
                    cluster: c.clone(),
                    role: "intermediate".into(),
                    subject: format!("CN=Istio intermediate {c}, O=Acme Corp"),
                    issuer: "CN=Acme Mesh Root CA, O=Acme Corp".into(),
                    serial: format!("{:040x}", i * 7 + 1),
                    key: "EC P-256".into(),
                    signature_algorithm: "ecdsa-with-SHA256".into(),
                    not_before: "2025-06-01T00:00:00Z".into(),
                    not_after: not_after.to_rfc3339(),
                    days_left,
                    chain_status: if days_left < 0 {
                        "expired".into()
                    } else {
                        "valid".into()
                    },
                    rotation_state: "current".into(),
                    fingerprint: sha256(format!("int{i}").as_bytes()).to_hex(),
                    evidence: vec![rref(i as u64 * 2 + 1001)],
                },
            ]
        })
        .collect();
    let credentials = peering
        .iter()
        .filter(|p| p.credential)
        .enumerate()
        .map(|(i, p)| CredentialRow {
            holder: p.holder.clone(),
            target: p.target.clone(),
            identity: Some("istio-system/istio-reader-service-account".into()),
            token_kind: if i % 3 == 0 { "legacy".into() } else { "bound".into() },
            issued: Some("2026-01-15T08:30:00Z".into()),
            expires: (i % 3 != 0).then(|| "2027-01-15T08:30:00Z".into()),
            age_days: Some(320),
            insecure_tls: i % 9 == 4,
            evidence: p.evidence.clone(),
        })
        .collect();
    let control = |fw: &str, id: &str, title: &str, status: ControlStatus, fs: Vec<Finding>| {
        ControlResult {
        framework: fw.into(),
        id: id.into(),
        title: title.into(),
        status,
        rationale: match status {
            ControlStatus::Satisfied => "Every mapped check ran on complete evidence and reported nothing open.".into(),
            ControlStatus::NotSatisfied => format!("{} open findings.", fs.len()),
            ControlStatus::NotEvaluated => "A collection gap left the evidence incomplete.".into(),
        },
        evidence_description: "CA certificates, remote secrets and peer gateways of every cluster, with their change history from audit logs and GitOps.".into(),
        scope_note: (fw == "pci-dss").then(|| "Applied to the service mesh by analogy: the mesh CA is treated as a cryptographic key-management system.".into()),
        checks: vec!["CERT-001".into(), "CERT-004".into(), "TOKEN-002".into()],
        findings: fs.iter().filter_map(|f| findings.iter().position(|a| a == f)).collect(),
    }
    };
    let high: Vec<Finding> = findings
        .iter()
        .filter(|f| f.severity <= Severity::High)
        .cloned()
        .collect();
    let certs: Vec<Finding> = findings
        .iter()
        .filter(|f| f.check.starts_with("CERT"))
        .cloned()
        .collect();
    let controls = vec![
        control(
            "soc2",
            "CC6.1",
            "Logical access security over protected information assets",
            ControlStatus::NotSatisfied,
            high,
        ),
        control(
            "soc2",
            "CC6.6",
            "Boundary protection against threats from outside",
            ControlStatus::Satisfied,
            vec![],
        ),
        control(
            "soc2",
            "CC7.2",
            "Monitoring of system components for anomalies",
            ControlStatus::NotEvaluated,
            vec![],
        ),
        control(
            "pci-dss",
            "3.6.1",
            "Cryptographic key-management procedures",
            ControlStatus::NotSatisfied,
            certs,
        ),
        control(
            "dora",
            "Art. 9(4)(c)",
            "ICT security: strong authentication and key management",
            ControlStatus::Satisfied,
            vec![],
        ),
    ];
    let sat = controls.iter().filter(|c| c.status == ControlStatus::Satisfied).count() as u64;
    let not = controls
        .iter()
        .filter(|c| c.status == ControlStatus::NotSatisfied)
        .count() as u64;
    let ne = controls
        .iter()
        .filter(|c| c.status == ControlStatus::NotEvaluated)
        .count() as u64;
    Report {
        schema: SCHEMA.into(),
        title: "SOC 2, PCI DSS and DORA — mesh trust evidence, Acme Corp (Zürich)".into(),
        frameworks: vec![
            FrameworkInfo { id: "soc2".into(), name: "SOC 2".into(), version: "2017 (rev. 2022)".into(), publisher: "AICPA".into() },
            FrameworkInfo { id: "pci-dss".into(), name: "PCI DSS".into(), version: "4.0.1".into(), publisher: "PCI SSC".into() },
            FrameworkInfo { id: "dora".into(), name: "DORA".into(), version: "2022/2554".into(), publisher: "EU".into() },
        ],
        cover: Cover {
            organisation: Some("Acme Corp — Zürich façade team".into()),
            clusters: clusters.clone(),
            namespaces: vec!["istio-system".into(), "payments".into(), "ztunnel".into()],
            period_start: Some("2026-09-01T00:00:00Z".into()),
            period_end: AS_OF.into(),
            as_of: AS_OF.into(),
            scan: 42,
            collected_at: "2026-11-30T23:58:12Z".into(),
            generator: "meshproof 0.1.0".into(),
        },
        integrity: Integrity {
            store_head: sha256(b"head").to_hex(),
            records: 123_456,
            checkpoint: Some(CheckpointInfo {
                tree_size: 123_456,
                root: sha256(b"root").to_hex(),
                origin: "meshproof.acme.example/store".into(),
                key: "meshproof.acme.example+1a2b3c4d+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl".into(),
                key_fingerprint: sha256(b"key").to_hex(),
                note: "meshproof.acme.example/store\n123456\nq83v0dLb9sW1X2Y3Z4a5b6c7d8e9f0g1h2i3j4k5l6m=\n\n— meshproof.acme.example 1a2b3c4d sig…".into(),
            }),
            verified: true,
            problem: None,
        },
        summary: Summary {
            satisfied: sat,
            not_satisfied: not,
            not_evaluated: ne,
            findings_by_severity: by_sev,
            top_risks: vec![
                format!("The intermediate CA of {} expired 12 days before the as-of time.", clusters[2 % n]),
                format!("A peer gateway points at decommissioned-cluster, outside the mesh {UNICODE}."),
                "A third of the remote secrets use legacy, non-expiring service-account tokens.".into(),
            ],
        },
        who_added: clusters
            .iter()
            .enumerate()
            .map(|(i, c)| WhoAddedRow {
                cluster: c.clone(),
                added_at: Some(format!("2026-{:02}-{:02}T10:{:02}:00Z", 1 + i % 11, 1 + i % 27, i % 60)),
                added_by: Some(if i % 2 == 0 { "Zoë Müller <zoe.mueller@acme.example>".into() } else { "alice@acme.example".into() }),
                applied_by: Some("system:serviceaccount:argocd:argocd-application-controller".into()),
                committer: (i % 3 == 0).then(|| "ci-bot@acme.example".into()),
                trust_domain: format!("{c}.acme.internal"),
                trust_domain_source: "mesh-config".into(),
                method: if i % 4 == 0 { "manual-peering".into() } else { "management-plane-registration".into() },
                evidence: vec![rref(i as u64 + 2000), rref(i as u64 + 2001)],
            })
            .collect(),
        inventory: Inventory {
            clusters: clusters
                .iter()
                .enumerate()
                .map(|(i, c)| ClusterRow {
                    cluster: c.clone(),
                    in_mesh: true,
                    registered: i % 4 != 0,
                    collected: i % 10 != 9,
                    trust_domain: Some(format!("{c}.acme.internal")),
                    objects: 100 + i as u64 * 3,
                    findings: findings.iter().filter(|f| f.cluster.as_deref() == Some(c)).count() as u64,
                })
                .collect(),
            peering,
        },
        certificates,
        credentials,
        controls,
        gaps: vec![GapRow {
            cluster: Some(clusters[n - 1].clone()),
            source: format!("k8s/{}", clusters[n - 1]),
            what: "Secrets in istio-system (remote secrets, cacerts)".into(),
            reason: "403 Forbidden: the collector's service account lacks list on secrets".into(),
            unevaluated_controls: vec!["soc2/CC7.2".into(), "pci-dss/3.6.1".into()],
            evidence: vec![rref(77)],
        }],
        timeline: (0..n.min(40))
            .map(|i| TimelineRow {
                time: format!("2026-{:02}-{:02}T{:02}:00:00Z", 9 + i % 3, 1 + i % 28, i % 24),
                cluster: Some(clusters[i].clone()),
                action: if i % 5 == 0 { "cluster-added".into() } else { "remote-secret-created".into() },
                subject: format!("Secret istio-system/istio-remote-secret-{}", clusters[(i + 1) % n]),
                actor: Some("Zoë Müller <zoe.mueller@acme.example>".into()),
                source: "audit".into(),
                outcome: if i % 7 == 6 { "refused".into() } else { "success".into() },
                detail: format!("kubectl apply by {UNICODE}"),
                evidence: vec![rref(i as u64 + 3000)],
            })
            .collect(),
        timeline_omitted: (n > 40).then(|| TimelineOmitted {
            total: n * 1000,
            listed: 40,
            by_action: [("object-created".to_string(), n * 1000 - 40), ("remote-secret-created".to_string(), 40)]
                .into_iter()
                .collect(),
        }),
        findings,
        methodology: Methodology {
            paragraphs: vec![
                "Evidence was collected read-only from every cluster's API server, its audit log and the GitOps repository, and appended to a hash-chained store.".into(),
                "Analyzers evaluated the evidence as of the stated time; no cluster was contacted while the report was built.".into(),
            ],
            verify_commands: vec![
                "meshproof verify --store meshproof.db --key meshproof.acme.example+1a2b3c4d+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl".into(),
                "meshproof report --store meshproof.db --as-of 2026-12-01T00:00:00Z --format json | sha256sum".into(),
            ],
            public_key: Some("meshproof.acme.example+1a2b3c4d+AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefghijkl".into()),
        },
        changes: None,
    }
}

/// Text of `pdf` via `pdftotext`, or `None` (with a message) when poppler-utils is missing.
#[allow(clippy::print_stderr)]
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.pdf");
    std::fs::write(&path, pdf).unwrap();
    match Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            eprintln!("skipping text extraction: pdftotext not available ({e}); install poppler-utils");
            None
        }
    }
}

/// Text with line breaks and hyphen-free wraps joined, for searching names that may wrap.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn small_report_has_all_sections_and_extractable_text() {
    let report = sample_report(4);
    let pdf = render(&report).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let Some(text) = pdftotext(&pdf) else { return };
    let flat = flat(&text);
    for section in [
        "Contents",
        "Evidence integrity",
        "Executive summary",
        "Who added each cluster",
        "Mesh inventory and peering",
        "Certificate inventory",
        "Credential inventory",
        "Control-by-control results",
        "Collection gaps",
        "Trust-change timeline",
        "Methodology and how to verify",
        "Appendix A: All findings",
    ] {
        assert!(flat.contains(section), "missing section {section}");
    }
    let squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    for c in &report.cover.clusters {
        assert!(squashed.contains(c.as_str()), "missing cluster {c}");
    }
    for who in ["Zoë Müller", "alice@acme.example"] {
        assert!(text.contains(who), "missing who-added name {who}");
    }
    for f in &report.findings {
        assert!(text.contains(f.check.as_str()), "missing finding {}", f.check);
    }
    assert!(text.contains(UNICODE), "Unicode text lost");
    assert!(text.contains("page 1 of "), "no page numbers");
    assert!(text.contains("CC6.1") && text.contains("3.6.1"));
    assert!(flat.contains("PASSED"));
}

#[test]
fn same_document_gives_identical_bytes_in_one_process() {
    let report = sample_report(6);
    let a = render(&report).unwrap();
    let b = render(&report).unwrap();
    assert_eq!(a.len(), b.len());
    assert!(a == b, "two renders in one process differ");
}

/// Helper for [`same_document_gives_identical_bytes_across_processes`] (and for looking at the
/// pages): when `MESHPROOF_PDF_TEST_OUT` is set, renders the sample with
/// `MESHPROOF_PDF_TEST_CLUSTERS` clusters (default 6) into that file. Does nothing otherwise.
#[test]
fn render_into_file_named_by_env() {
    if let Ok(path) = std::env::var("MESHPROOF_PDF_TEST_OUT") {
        let n = std::env::var("MESHPROOF_PDF_TEST_CLUSTERS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(6);
        std::fs::write(path, render(&sample_report(n)).unwrap()).unwrap();
    }
}

#[test]
fn same_document_gives_identical_bytes_across_processes() {
    // Advance printpdf's process-wide id counter first, so this process and the child differ.
    let _ = render(&sample_report(4)).unwrap();
    let here = render(&sample_report(6)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("child.pdf");
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "report::pdf::tests::render_into_file_named_by_env",
            "--test-threads=1",
        ])
        .env("MESHPROOF_PDF_TEST_OUT", &out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stdout));
    let there = std::fs::read(&out).unwrap();
    assert!(here == there, "renders in two processes differ");
}

#[test]
#[allow(clippy::print_stderr)]
fn two_hundred_clusters_render_small_and_fast_with_list_fallback() {
    let report = sample_report(200);
    let start = Instant::now();
    let pdf = render(&report).unwrap();
    let took = start.elapsed();
    eprintln!("200 clusters: {} bytes in {:?} (this build profile)", pdf.len(), took);
    assert!(pdf.len() < 5 * 1024 * 1024, "{} bytes", pdf.len());
    let Some(text) = pdftotext(&pdf) else { return };
    let flat = flat(&text);
    assert!(flat.contains("The mesh has 201 clusters"), "no list fallback note");
    for c in report.inventory.clusters.iter().filter(|c| c.cluster != LONG_CLUSTER) {
        assert!(text.contains(c.cluster.as_str()), "missing cluster {}", c.cluster);
    }
    let pages = text.matches('\u{c}').count();
    assert!(text.contains(&format!("page {pages} of {pages}")), "last page number");
}

#[test]
fn sixty_clusters_draw_a_scaled_matrix() {
    let pdf = render(&sample_report(60)).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(
        !flat(&text).contains("The mesh has"),
        "60 clusters should still get a matrix"
    );
    assert!(text.contains("asymmetric"));
}

#[test]
fn metadata_dates_are_the_as_of_time() {
    let pdf = render(&sample_report(4)).unwrap();
    let needle = b"D:20261201000000+00'00'";
    let hits = pdf.windows(needle.len()).filter(|w| w == needle).count();
    assert!(hits >= 2, "creation and modification dates: {hits} hits");
}

#[test]
fn bad_as_of_is_an_error_not_a_panic() {
    let mut report = sample_report(4);
    report.cover.as_of = "yesterday".into();
    assert!(render(&report).is_err());
}

#[test]
fn empty_document_renders() {
    let mut report = sample_report(4);
    report.who_added.clear();
    report.inventory.clusters.clear();
    report.inventory.peering.clear();
    report.certificates.clear();
    report.credentials.clear();
    report.controls.clear();
    report.gaps.clear();
    report.timeline.clear();
    report.findings.clear();
    report.summary.top_risks.clear();
    let pdf = render(&report).unwrap();
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(text.contains("None recorded"));
    assert!(
        flat(&text).contains("Inconsistent document"),
        "summary counts no longer match"
    );
}

#[test]
fn wrap_breaks_long_tokens_and_keeps_every_character() {
    let fonts = Fonts::load().unwrap();
    let hash = sha256(b"x").to_hex();
    let text = format!("evidence #12 {hash} spiffe://cluster.local/ns/istio-system/sa/istiod {UNICODE}\nsecond line");
    let lines = wrap(&fonts, &text, Weight::Regular, 7.0, 60.0);
    assert!(lines.len() > 4);
    for l in &lines {
        assert!(fonts.width(Weight::Regular, l, 7.0) <= 60.0 + 0.01, "{l:?} too wide");
    }
    let joined: String = lines.concat().chars().filter(|c| !c.is_whitespace()).collect();
    let original: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert_eq!(joined, original);
}

#[test]
fn template_text_parses() {
    let t = super::text::Texts::load().unwrap();
    assert_eq!(t.cover.title, "Cover");
}

#[test]
fn a_long_timeline_says_how_many_events_it_leaves_out_in_every_prose_format() {
    let report = sample_report(60);
    for format in [crate::report::Format::Html, crate::report::Format::Markdown] {
        let text = String::from_utf8(crate::report::render(&report, format).unwrap()).unwrap();
        assert!(
            text.contains(
                "The period holds 60000 events (object-created 59960, remote-secret-created 40); the 40 most recent"
            ),
            "{format:?}"
        );
    }
    if let Some(text) = pdftotext(&render(&report).unwrap()) {
        assert!(text.contains("60000 events"), "{text}");
    }
}
