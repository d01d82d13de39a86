//! HTML report: one self-contained, escaped, deterministic page; rendered in headless Chromium
//! when it is installed (skipped with a message otherwise).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::report_sample::sample_report;
use meshproof::report::html;

fn page() -> String {
    String::from_utf8(html::render(&sample_report()).expect("renders")).expect("utf-8")
}

#[test]
fn page_has_every_section_and_is_deterministic() {
    let a = page();
    assert_eq!(a, page(), "two renders differ");
    for id in [
        "cover",
        "integrity",
        "summary",
        "who-added",
        "inventory",
        "certificates",
        "credentials",
        "controls",
        "findings",
        "gaps",
        "timeline",
        "methodology",
    ] {
        assert!(a.contains(&format!("id=\"{id}\"")), "missing section {id}");
    }
    // Charts are inline SVG.
    assert!(a.contains("class=\"matrix\""));
    assert!(a.contains("class=\"expiry\""));
    assert!(a.contains("@media print"));
    // Who-added names and evidence references are on the page.
    assert!(a.contains("mallory@contractor.example"));
    assert!(a.contains("#104<code>"));
}

#[test]
fn everything_from_the_document_is_escaped() {
    let a = page();
    assert!(a.contains("<title>SOC 2 — mesh trust evidence, Acme &amp; Co &lt;Payments&gt;</title>"));
    assert!(!a.contains("<script>alert(1)</script>"));
    assert!(a.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
    // The inline script is template text, not data: it is not escaped.
    assert!(a.contains("r.hasAttribute(\"data-sev\")"));
    assert!(a.contains("!== -1) &&"));
}

#[test]
fn page_is_self_contained() {
    let a = page();
    assert_eq!(a.matches("<script").count(), 1, "one inline script");
    assert!(!a.contains("<script src"));
    assert!(!a.contains("<link"));
    assert!(!a.contains("@import"));
    assert!(!a.contains("url("));
    // The only absolute URL is the SVG namespace (an identifier, never fetched).
    let urls: Vec<&str> = a
        .match_indices("http")
        .map(|(i, _)| &a[i..(i + 40).min(a.len())])
        .filter(|u| !u.starts_with("http://www.w3.org/2000/svg") && !u.starts_with("http-equiv"))
        .collect();
    assert!(urls.is_empty(), "external references: {urls:?}");
}

#[test]
fn templates_can_be_overridden_from_a_directory() {
    let env = crate::harness::Env::new();
    env.write(
        "tpl/report.html",
        "<p>{{ report.title }} / {{ report.who_added|length }}</p>",
    );
    let out = html::render_with(&sample_report(), Some(&env.path("tpl"))).expect("renders");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<p>SOC 2 — mesh trust evidence, Acme &amp; Co &lt;Payments&gt; / 3</p>"
    );
    // A broken template is an error naming the problem, not a panic.
    env.write("bad/report.html", "{% for x in %}");
    let err = html::render_with(&sample_report(), Some(&env.path("bad"))).expect_err("fails");
    assert!(err.to_string().contains("template"), "{err}");
}

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(|name| {
            let out = Command::new("which").arg(name).output().ok()?;
            out.status
                .success()
                .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string()))
        })
}

fn run_chromium(bin: &Path, profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("chromium runs")
}

/// Distinct colours and the share of non-white pixels of a PNG.
fn png_stats(path: &Path) -> (usize, f64) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).expect("png")));
    let mut reader = decoder.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("png frame");
    let bytes = &buf[..info.buffer_size()];
    let channels = info.color_type.samples();
    let mut colours = std::collections::BTreeSet::new();
    let mut ink = 0usize;
    let mut total = 0usize;
    for px in bytes.chunks(channels) {
        let rgb = (
            px[0],
            px.get(1).copied().unwrap_or(px[0]),
            px.get(2).copied().unwrap_or(px[0]),
        );
        colours.insert(rgb);
        total += 1;
        if rgb.0 < 240 || rgb.1 < 240 || rgb.2 < 240 {
            ink += 1;
        }
    }
    (colours.len(), ink as f64 / total.max(1) as f64)
}

#[test]
fn renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        println!("SKIPPED renders_in_headless_chromium: chromium is not installed (apt-get install -y chromium)");
        return;
    };
    let env = crate::harness::Env::new();
    let file = env.write("report.html", html::render(&sample_report()).expect("renders"));
    let url = format!("file://{}", file.display());
    let png = env.path("shot.png");

    let out = run_chromium(
        &bin,
        &env.path("profile-shot"),
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,2000".into(),
        ],
        &url,
    );
    assert!(png.is_file(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    let (colours, ink) = png_stats(&png);
    assert!(colours > 50, "screenshot looks blank ({colours} colours)");
    assert!(ink > 0.05, "screenshot looks blank ({ink:.3} non-white)");

    let out = run_chromium(&bin, &env.path("profile-dom"), &["--dump-dom".into()], &url);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<title>SOC 2 — mesh trust evidence, Acme &amp; Co &lt;Payments&gt;</title>"),
        "title missing from DOM"
    );
    for who in ["alice@acme.example", "bob@acme.example", "mallory@contractor.example"] {
        assert!(dom.contains(who), "{who} missing from DOM");
    }
    // The script ran: the filters are visible and counted.
    assert!(dom.contains("5 of 5 shown"), "findings filter did not initialise");
    assert!(!dom.contains("alert(1)</script>"));

    if std::env::var_os("MESHPROOF_UPDATE_SCREENSHOT").is_some() {
        let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        std::fs::create_dir_all(&docs).expect("docs dir");
        std::fs::copy(&png, docs.join("report-screenshot.png")).expect("copy screenshot");
        let target = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        std::fs::copy(&file, target.join("report-sample.html")).expect("copy page");
    }
}

/// Long lists are cut the same way in every prose format: a control lists its first findings and
/// a row its first evidence references, each with a note on the rest.
#[test]
fn long_finding_and_evidence_lists_are_cut_with_a_note() {
    use meshproof::model::{Digest, RecordRef};
    use meshproof::report::model::{CONTROL_FINDINGS_LISTED, REFS_LISTED, unlisted_refs};
    let mut report = sample_report();
    let refs: Vec<RecordRef> = (0..REFS_LISTED as u64 + 4)
        .map(|seq| RecordRef {
            seq: 9000 + seq,
            hash: Digest::from_slice(&[7; 32]).expect("digest"),
        })
        .collect();
    report.findings[0].evidence = refs;
    let copies = vec![report.findings[0].clone(); CONTROL_FINDINGS_LISTED + 3];
    let first = report.findings.len();
    report.findings.extend(copies);
    report.controls[0].findings = (first..report.findings.len()).collect();
    let a = String::from_utf8(html::render(&report).expect("renders")).expect("utf-8");
    let note = unlisted_refs(REFS_LISTED + 4).expect("a note");
    assert!(a.contains(&note), "{note}");
    assert!(
        !a.contains(&format!("#{}<code>", 9000 + REFS_LISTED)),
        "a reference past the limit is shown"
    );
    let more = report.controls[0].unlisted_findings().expect("a note");
    let unquoted = more.split('"').next().unwrap_or_default();
    assert!(
        unquoted.contains("the other 3 are in") && a.contains(unquoted),
        "{more}"
    );
}
