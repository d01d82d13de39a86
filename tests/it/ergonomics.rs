//! Ergonomics: completions and man page generated from the CLI definition, worked examples in
//! every command's `--help`, no progress output when stderr is not a terminal, and the scale
//! generator (`dev gen-mesh`) is deterministic and collectable.

use std::path::Path;

use crate::harness::{AS_OF, Env};

#[test]
fn completions_for_every_shell_name_the_commands() {
    let env = Env::new();
    for shell in ["bash", "zsh", "fish"] {
        let out = env.cmd().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        let text = String::from_utf8(out.stdout).unwrap();
        for cmd in ["collect", "findings", "diff", "who-added"] {
            assert!(text.contains(cmd), "{shell} completion lacks {cmd}");
        }
    }
}

#[test]
fn man_page_has_a_section_per_command_with_examples() {
    let env = Env::new();
    let out = env.cmd().arg("man").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(".ie") || text.contains(".TH meshproof"),
        "{}",
        &text[..200.min(text.len())]
    );
    for section in [
        "MESHPROOF COLLECT",
        "MESHPROOF FINDINGS",
        "MESHPROOF DIFF",
        "MESHPROOF EVIDENCE LIST",
        "MESHPROOF KEY PUBLIC",
    ] {
        assert!(text.contains(section), "man page lacks {section}");
    }
    assert!(!text.contains("GEN\\-MESH") && !text.contains("MESHPROOF DEV"));
    assert!(text.contains("meshproof diff \\-\\-from 3 \\-\\-to 7"));
}

#[test]
fn every_command_help_has_worked_examples() {
    let env = Env::new();
    for cmd in [
        vec!["collect"],
        vec!["verify"],
        vec!["scans"],
        vec!["evidence", "list"],
        vec!["evidence", "show"],
        vec!["key", "public"],
        vec!["key", "generate"],
        vec!["who-added"],
        vec!["findings"],
        vec!["timeline"],
        vec!["diff"],
        vec!["completions"],
        vec!["man"],
    ] {
        let out = env.cmd().args(&cmd).arg("--help").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Example"),
            "`meshproof {} --help` has no example",
            cmd.join(" ")
        );
        assert!(!text.contains('\u{1b}'), "colour escapes in piped help");
    }
}

#[test]
fn no_progress_output_when_stderr_is_not_a_terminal() {
    let env = Env::new();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-evidence/mesh");
    let out = env
        .cmd()
        .args(["collect", "--as-of", AS_OF, "--from"])
        .arg(&sample)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("clusters ["), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

#[test]
fn gen_mesh_is_deterministic_and_collects_cleanly() {
    let env = Env::new();
    let generate = |dir: &str| {
        let out = env
            .cmd()
            .args([
                "dev",
                "gen-mesh",
                "--clusters",
                "4",
                "--objects-per-cluster",
                "150",
                "--seed",
                "9",
            ])
            .arg(env.path(dir))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let summary = generate("a");
    assert!(summary.contains("4 workload clusters"), "{summary}");
    generate("b");
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() { walk(&p, out) } else { out.push(p) }
        }
    }
    walk(&env.path("a"), &mut files);
    assert!(files.len() > 20);
    for f in &files {
        let rel = f.strip_prefix(env.path("a")).unwrap();
        assert_eq!(
            std::fs::read(f).unwrap(),
            std::fs::read(env.path("b").join(rel)).unwrap(),
            "{}",
            rel.display()
        );
    }
    // A non-empty output directory is refused.
    let again = env
        .cmd()
        .args(["dev", "gen-mesh", "--clusters", "1"])
        .arg(env.path("a"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));

    let out = env.collect(&env.path("a"), AS_OF, 0);
    assert!(out.contains("cluster-003"), "{out}");
    let who = env
        .cmd()
        .args(["--as-of", AS_OF, "who-added", "-o", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&who.stdout).unwrap();
    assert_eq!(
        rows.as_array().map(Vec::len),
        Some(4),
        "every generated cluster is a mesh member"
    );
}
