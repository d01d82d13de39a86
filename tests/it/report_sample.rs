//! A hand-built, realistic report document for renderer tests: four clusters (one orphaned),
//! findings with evidence references (one waived), controls of every status, CA certificates in
//! rotation, remote-secret credentials, a collection gap and a short timeline.

#![allow(dead_code)]

use meshproof::model::{Finding, RecordRef, Severity, WaiverStatus, sha256};
use meshproof::report::model::{
    CertificateRow, CheckpointInfo, ClusterRow, ControlResult, ControlStatus, Cover, CredentialRow, FrameworkInfo,
    GapRow, Integrity, Inventory, Methodology, PeeringCell, Report, SCHEMA, SeverityCount, Summary, TimelineRow,
    WhoAddedRow,
};

/// A record reference with a hash derived from its sequence number.
pub fn rec(seq: u64) -> RecordRef {
    RecordRef {
        seq,
        hash: sha256(format!("record-{seq}").as_bytes()),
    }
}

fn finding(
    check: &str,
    name: &str,
    severity: Severity,
    cluster: Option<&str>,
    subject: &str,
    message: &str,
    evidence: &[u64],
) -> Finding {
    Finding {
        check: check.into(),
        name: name.into(),
        severity,
        cluster: cluster.map(Into::into),
        subject: subject.into(),
        message: message.into(),
        remediation: format!("Fix {subject}."),
        evidence: evidence.iter().map(|s| rec(*s)).collect(),
        waiver: None,
    }
}

/// The sample report.
pub fn sample_report() -> Report {
    let cert_expiring = finding(
        "CERT-001",
        "ca-expiring",
        Severity::High,
        Some("east-1"),
        "east-1/istio-system/Secret/cacerts",
        "Intermediate CA CN=east-1 intermediate expires in 21 days (2026-12-22), below the 30-day threshold",
        &[104, 105],
    );
    let orphan = finding(
        "REG-004",
        "orphaned-credential",
        Severity::Critical,
        Some("west-2"),
        "west-2/istio-system/Secret/istio-remote-secret-legacy-dc",
        "west-2 holds a remote secret for legacy-dc, which is not in the mesh <script>alert(1)</script>",
        &[210],
    );
    let mut legacy_token = finding(
        "TOKEN-002",
        "legacy-token",
        Severity::Medium,
        Some("west-2"),
        "west-2/istio-system/Secret/istio-remote-secret-east-1",
        "Remote secret for east-1 uses a legacy non-expiring service-account token (age 412 days)",
        &[211, 212],
    );
    legacy_token.waiver = Some(WaiverStatus {
        owner: "platform-team".into(),
        reason: "migration to bound tokens scheduled for Q1".into(),
        ticket: Some("SEC-1234".into()),
        until: "2027-02-01".into(),
        expired: false,
    });
    let rbac = finding(
        "RBAC-002",
        "ca-key-readers",
        Severity::Low,
        Some("central"),
        "central/istio-system/Role/ca-reader",
        "3 subjects outside istio-system can read the CA key secret cacerts",
        &[301],
    );
    let info = finding(
        "CHG-003",
        "scan-cadence",
        Severity::Info,
        None,
        "mesh",
        "Previous scan was 9 days ago (cadence 7 days)",
        &[],
    );
    let mut findings = vec![
        cert_expiring.clone(),
        orphan.clone(),
        legacy_token.clone(),
        rbac.clone(),
        info,
    ];
    findings.sort();

    let control = |framework: &str,
                   id: &str,
                   title: &str,
                   status: ControlStatus,
                   checks: &[&str],
                   listed: Vec<Finding>| ControlResult {
        framework: framework.into(),
        id: id.into(),
        title: title.into(),
        status,
        rationale: match status {
            ControlStatus::Satisfied => "Every mapped check ran on complete evidence and reported nothing open.".into(),
            ControlStatus::NotSatisfied => "At least one mapped check reported an open finding.".into(),
            ControlStatus::NotEvaluated => {
                "Evidence the mapped checks need is missing: a collection gap covers it.".into()
            }
        },
        evidence_description: format!("Evidence for {id}."),
        scope_note: (framework == "pci-dss").then(|| "Applied by analogy to service-mesh workload identity.".into()),
        checks: checks.iter().map(|c| (*c).into()).collect(),
        findings: listed
            .iter()
            .filter_map(|f| findings.iter().position(|a| a == f))
            .collect(),
    };

    let controls = vec![
        control(
            "soc2",
            "CC6.1",
            "Logical access security over protected assets, including encryption keys",
            ControlStatus::NotSatisfied,
            &["REG-004", "CERT-001", "TOKEN-002", "RBAC-002"],
            vec![cert_expiring.clone(), orphan.clone(), rbac.clone()],
        ),
        control(
            "soc2",
            "CC8.1",
            "Changes to infrastructure are authorised, tested and approved",
            ControlStatus::Satisfied,
            &["REG-001"],
            vec![],
        ),
        control(
            "soc2",
            "CC7.2",
            "System components are monitored for anomalies",
            ControlStatus::NotEvaluated,
            &["AUD-001"],
            vec![],
        ),
        control(
            "pci-dss",
            "8.3.1",
            "Strong authentication for users and administrators",
            ControlStatus::NotSatisfied,
            &["TOKEN-002", "REG-004"],
            vec![orphan.clone()],
        ),
        control(
            "dora",
            "DORA Art. 9(4)(c)",
            "Strong authentication mechanisms and protection of cryptographic keys",
            ControlStatus::Satisfied,
            &["CERT-002"],
            vec![],
        ),
    ];

    let cluster_row =
        |name: &str, in_mesh: bool, collected: bool, td: Option<&str>, objects: u64, findings: u64| ClusterRow {
            cluster: name.into(),
            in_mesh,
            registered: in_mesh,
            collected,
            trust_domain: td.map(Into::into),
            objects,
            findings,
        };
    let peer =
        |holder: &str, target: &str, credential: bool, gateway: bool, asymmetric: bool, orphaned: bool, ev: u64| {
            PeeringCell {
                holder: holder.into(),
                target: target.into(),
                credential,
                gateway,
                asymmetric,
                orphaned,
                evidence: vec![rec(ev)],
            }
        };
    let cert = |cluster: &str, role: &str, subject: &str, not_after: &str, days_left: i64, rotation: &str, ev: u64| {
        CertificateRow {
            cluster: cluster.into(),
            role: role.into(),
            subject: subject.into(),
            issuer: if role == "root" {
                subject.into()
            } else {
                "CN=Acme Mesh Root CA".into()
            },
            serial: format!("{:x}", ev * 7919),
            key: if role == "root" {
                "RSA 4096".into()
            } else {
                "EC P-256".into()
            },
            signature_algorithm: "sha256WithRSAEncryption".into(),
            not_before: "2025-01-01T00:00:00Z".into(),
            not_after: not_after.into(),
            days_left,
            chain_status: "valid".into(),
            rotation_state: rotation.into(),
            fingerprint: sha256(subject.as_bytes()).to_hex(),
            evidence: vec![rec(ev)],
        }
    };

    Report {
        schema: SCHEMA.into(),
        title: "SOC 2 — mesh trust evidence, Acme & Co <Payments>".into(),
        frameworks: vec![
            FrameworkInfo {
                id: "soc2".into(),
                name: "SOC 2 Trust Services Criteria".into(),
                version: "2017 criteria, 2022 points of focus".into(),
                publisher: "AICPA".into(),
            },
            FrameworkInfo {
                id: "pci-dss".into(),
                name: "PCI DSS".into(),
                version: "4.0.1".into(),
                publisher: "PCI SSC".into(),
            },
            FrameworkInfo {
                id: "dora".into(),
                name: "DORA".into(),
                version: "Regulation (EU) 2022/2554".into(),
                publisher: "European Union".into(),
            },
        ],
        cover: Cover {
            organisation: Some("Acme & Co".into()),
            clusters: vec!["central".into(), "east-1".into(), "legacy-dc".into(), "west-2".into()],
            namespaces: vec!["istio-system".into(), "payments".into()],
            period_start: Some("2026-09-01T00:00:00Z".into()),
            period_end: "2026-12-01T00:00:00Z".into(),
            as_of: "2026-12-01T00:00:00Z".into(),
            scan: 7,
            collected_at: "2026-11-30T23:50:00Z".into(),
            generator: "meshproof 0.1.0".into(),
        },
        integrity: Integrity {
            store_head: sha256(b"head").to_hex(),
            records: 412,
            checkpoint: Some(CheckpointInfo {
                tree_size: 412,
                root: sha256(b"root").to_hex(),
                origin: "meshproof.example/acme".into(),
                key: "meshproof.example/acme+1a2b3c4d+AbCdEf0123456789".into(),
                key_fingerprint: sha256(b"key").to_hex(),
                note: "meshproof.example/acme\n412\nq83bfK0=\n\n— meshproof.example/acme GgLGA1Xw\n".into(),
            }),
            verified: true,
            problem: None,
        },
        summary: Summary {
            satisfied: 2,
            not_satisfied: 2,
            not_evaluated: 1,
            findings_by_severity: Severity::ALL
                .iter()
                .map(|s| SeverityCount {
                    severity: *s,
                    count: findings.iter().filter(|f| f.severity == *s).count() as u64,
                })
                .collect(),
            top_risks: vec![
                "west-2 still holds a credential for legacy-dc, a cluster that has left the mesh.".into(),
                "The east-1 intermediate CA expires in 21 days.".into(),
            ],
        },
        who_added: vec![
            WhoAddedRow {
                cluster: "central".into(),
                added_at: Some("2025-02-03T10:00:00Z".into()),
                added_by: Some("alice@acme.example".into()),
                applied_by: None,
                committer: None,
                trust_domain: "acme.mesh".into(),
                trust_domain_source: "mesh-config".into(),
                method: "management-plane-registration".into(),
                evidence: vec![rec(11)],
            },
            WhoAddedRow {
                cluster: "east-1".into(),
                added_at: Some("2025-06-14T08:30:00Z".into()),
                added_by: Some("bob@acme.example".into()),
                applied_by: Some("system:serviceaccount:argocd:argocd-application-controller".into()),
                committer: Some("ci-bot".into()),
                trust_domain: "acme.mesh".into(),
                trust_domain_source: "peer-gateway".into(),
                method: "management-plane-registration".into(),
                evidence: vec![rec(21), rec(22)],
            },
            WhoAddedRow {
                cluster: "west-2".into(),
                added_at: Some("2026-03-01T12:00:00Z".into()),
                added_by: Some("mallory@contractor.example".into()),
                applied_by: None,
                committer: None,
                trust_domain: "acme.mesh".into(),
                trust_domain_source: "ca-certificate".into(),
                method: "manual-peering".into(),
                evidence: vec![rec(31)],
            },
        ],
        inventory: Inventory {
            clusters: vec![
                cluster_row("central", true, true, Some("acme.mesh"), 120, 1),
                cluster_row("east-1", true, true, Some("acme.mesh"), 98, 1),
                cluster_row("legacy-dc", false, false, None, 0, 0),
                cluster_row("west-2", true, true, Some("acme.mesh"), 87, 2),
            ],
            peering: vec![
                peer("central", "east-1", true, true, false, false, 41),
                peer("central", "west-2", true, true, false, false, 42),
                peer("east-1", "central", true, true, false, false, 43),
                peer("east-1", "west-2", false, true, true, false, 44),
                peer("west-2", "central", true, false, false, false, 45),
                peer("west-2", "east-1", true, true, false, false, 46),
                peer("west-2", "legacy-dc", true, false, true, true, 210),
            ],
        },
        certificates: vec![
            cert(
                "central",
                "root",
                "CN=Acme Mesh Root CA",
                "2035-01-01T00:00:00Z",
                2953,
                "current",
                101,
            ),
            cert(
                "east-1",
                "intermediate",
                "CN=east-1 intermediate",
                "2026-12-22T00:00:00Z",
                21,
                "current",
                104,
            ),
            cert(
                "east-1",
                "root",
                "CN=Acme Mesh Root CA",
                "2035-01-01T00:00:00Z",
                2953,
                "rotation in progress (2 roots)",
                105,
            ),
            cert(
                "west-2",
                "intermediate",
                "CN=west-2 intermediate",
                "2027-06-01T00:00:00Z",
                182,
                "current",
                106,
            ),
            cert(
                "central",
                "intermediate",
                "CN=central intermediate (old)",
                "2026-11-20T00:00:00Z",
                -11,
                "stale root",
                107,
            ),
        ],
        credentials: vec![
            CredentialRow {
                holder: "central".into(),
                target: "east-1".into(),
                identity: Some("istio-system/istio-reader-service-account".into()),
                token_kind: "bound".into(),
                issued: Some("2026-11-01T00:00:00Z".into()),
                expires: Some("2027-11-01T00:00:00Z".into()),
                age_days: Some(30),
                insecure_tls: false,
                evidence: vec![rec(201)],
            },
            CredentialRow {
                holder: "west-2".into(),
                target: "east-1".into(),
                identity: Some("istio-system/istio-reader-service-account".into()),
                token_kind: "legacy".into(),
                issued: Some("2025-10-15T00:00:00Z".into()),
                expires: None,
                age_days: Some(412),
                insecure_tls: false,
                evidence: vec![rec(211), rec(212)],
            },
            CredentialRow {
                holder: "west-2".into(),
                target: "legacy-dc".into(),
                identity: None,
                token_kind: "other".into(),
                issued: None,
                expires: None,
                age_days: None,
                insecure_tls: true,
                evidence: vec![rec(210)],
            },
        ],
        controls,
        gaps: vec![GapRow {
            cluster: Some("legacy-dc".into()),
            source: "audit/legacy-dc".into(),
            what: "API-server audit log".into(),
            reason: "cluster unreachable (connection refused)".into(),
            unevaluated_controls: vec!["CC7.2".into()],
            evidence: vec![rec(399)],
        }],
        timeline: vec![
            TimelineRow {
                time: "2026-03-01T12:00:00Z".into(),
                cluster: Some("west-2".into()),
                action: "cluster-joined".into(),
                subject: "west-2".into(),
                actor: Some("mallory@contractor.example".into()),
                source: "audit".into(),
                outcome: "success".into(),
                detail: "manual peering: remote secret created in west-2".into(),
                evidence: vec![rec(31)],
            },
            TimelineRow {
                time: "2026-10-02T09:15:00Z".into(),
                cluster: Some("east-1".into()),
                action: "root-rotation-started".into(),
                subject: "east-1/istio-system/Secret/cacerts".into(),
                actor: Some("bob@acme.example".into()),
                source: "git".into(),
                outcome: "success".into(),
                detail: "second root added to the trust bundle".into(),
                evidence: vec![rec(105)],
            },
            TimelineRow {
                time: "2026-11-12T16:40:00Z".into(),
                cluster: Some("central".into()),
                action: "secret-read-denied".into(),
                subject: "central/istio-system/Secret/cacerts".into(),
                actor: None,
                source: "audit".into(),
                outcome: "refused".into(),
                detail: "get secrets/cacerts forbidden".into(),
                evidence: vec![rec(301)],
            },
        ],
        timeline_omitted: None,
        findings,
        methodology: Methodology {
            paragraphs: vec![
                "Evidence was collected read-only from every reachable cluster and appended to a hash-chained store."
                    .into(),
                "Each finding cites the records it rests on by sequence number and record hash.".into(),
            ],
            verify_commands: vec![
                "meshproof verify --store meshproof.db".into(),
                "meshproof evidence show 104".into(),
            ],
            public_key: Some("meshproof.example/acme+1a2b3c4d+AbCdEf0123456789".into()),
        },
        changes: None,
    }
}
