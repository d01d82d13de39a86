//! `meshproof verify`.

use std::path::Path;

use anyhow::Context as _;

use super::ExitStatus;
use crate::cli::args::VerifyArgs;
use crate::cli::output::{self, Format};
use crate::store::{NoteVerifier, verify};

pub(super) fn run(store: &Path, args: VerifyArgs) -> anyhow::Result<ExitStatus> {
    let pinned = match &args.pubkey {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).with_context(|| format!("reading public key {}", path.display()))?;
            Some(NoteVerifier::parse(&text).with_context(|| format!("public key {}", path.display()))?)
        }
        None => None,
    };
    let options = verify::Options {
        pinned,
        checkpoint: args.checkpoint.clone(),
    };
    let report = verify::verify(store, &options).with_context(|| format!("verifying {}", store.display()))?;
    match args.output {
        Format::Json => output::print_json(&report)?,
        Format::Yaml => output::print_yaml(&report)?,
        Format::Table | Format::Csv => output::print(&render(&report))?,
    }
    Ok(if report.intact {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}

fn render(r: &verify::Report) -> String {
    let mut out = String::new();
    match &r.problem {
        None => out.push_str("INTACT: every body, record hash, Merkle root and signature checks out\n"),
        Some(p) => {
            let at = p.seq.map(|s| format!(" at record {s}")).unwrap_or_default();
            out.push_str(&format!("TAMPERED{at}: {}\n", p.what));
        }
    }
    out.push_str(&format!("store:       {}\n", r.store));
    out.push_str(&format!("records:     {} checked\n", r.records));
    out.push_str(&format!(
        "bodies:      {} re-hashed ({} bytes)\n",
        r.bodies, r.body_bytes
    ));
    if let Some(h) = &r.head {
        out.push_str(&format!("head:        {h}\n"));
    }
    if let (Some(size), Some(root)) = (r.checkpoint_size, &r.checkpoint_root) {
        out.push_str(&format!(
            "checkpoint:  tree size {size}, root {root} ({} verified)\n",
            r.checkpoints
        ));
    }
    if let (Some(key), Some(fp)) = (&r.key, &r.key_fingerprint) {
        let pinned = if r.key_pinned { "pinned" } else { "not pinned" };
        out.push_str(&format!(
            "signed by:   {key}\n             fingerprint {fp} ({pinned})\n"
        ));
    }
    if !r.incomplete_scans.is_empty() {
        let list: Vec<String> = r.incomplete_scans.iter().map(u64::to_string).collect();
        out.push_str(&format!(
            "incomplete:  scan(s) {} (interrupted; no scan.finished)\n",
            list.join(", ")
        ));
    }
    for note in &r.notes {
        out.push_str(&format!("note:        {note}\n"));
    }
    out
}
