//! `meshproof verify`.

use std::path::Path;

use anyhow::Context as _;

use super::{ExitStatus, read_pubkey};
use crate::cli::args::VerifyArgs;
use crate::cli::output::{self, Format};
use crate::report::bundle;
use crate::store::{NoteVerifier, verify};

pub(super) fn run(store: &Path, args: VerifyArgs) -> anyhow::Result<ExitStatus> {
    let pinned = read_pubkey(args.pubkey.as_deref())?;
    if let Some(bundle_path) = &args.bundle {
        return verify_bundle(bundle_path, pinned.as_ref(), args.output);
    }
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

fn verify_bundle(path: &Path, pinned: Option<&NoteVerifier>, format: Format) -> anyhow::Result<ExitStatus> {
    let unpacked;
    let dir = if path.is_file() {
        unpacked = crate::store::sibling(path, ".verify");
        if unpacked.exists() {
            std::fs::remove_dir_all(&unpacked).with_context(|| format!("removing {}", unpacked.display()))?;
        }
        bundle::unpack(path, &unpacked).with_context(|| format!("unpacking {}", path.display()))?;
        unpacked.clone()
    } else {
        path.to_path_buf()
    };
    let result = bundle::verify_dir(&dir, pinned).with_context(|| format!("verifying bundle {}", path.display()));
    if path.is_file() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = result?;
    match format {
        Format::Json => output::print_json(&report)?,
        Format::Yaml => output::print_yaml(&report)?,
        Format::Table | Format::Csv => {
            let mut out = if report.intact {
                "INTACT: bundle files, checkpoint signature, inclusion proofs and the bundled store check out\n"
                    .to_string()
            } else {
                format!("TAMPERED: {}\n", report.problems.join("\n          "))
            };
            out.push_str(&format!("bundle:      {}\n", path.display()));
            out.push_str(&format!("files:       {} checked against MANIFEST\n", report.files));
            out.push_str(&format!("proofs:      {} inclusion proofs checked\n", report.proofs));
            if let Some((size, root)) = &report.checkpoint {
                out.push_str(&format!("checkpoint:  tree size {size}, root {root}\n"));
            }
            if let Some(key) = &report.key {
                let pinned = if report.key_pinned {
                    "pinned"
                } else {
                    "from the bundle; pass --pubkey to pin it"
                };
                out.push_str(&format!("signed by:   {key} ({pinned})\n"));
            }
            output::print(&out)?;
        }
    }
    Ok(if report.intact {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
