//! The one-way rule: a module may use `model` and the stages to its left, never those to its right
//! (collect → store → analyze/query → report → cli).

use std::path::Path;

const ORDER: &[&str] = &["model", "collect", "store", "analyze", "query", "report", "cli"];

fn rank(module: &str) -> Option<usize> {
    match module {
        // analyze and query are siblings: both read the store's evidence view.
        "query" => Some(3),
        m => ORDER.iter().position(|o| *o == m),
    }
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_only_depend_leftwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut violations = Vec::new();
    for module in ORDER {
        let dir = src.join(module);
        if !dir.exists() {
            continue;
        }
        let own = rank(module).expect("rank");
        let mut files = Vec::new();
        rust_files(&dir, &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).expect("read");
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                for (i, _) in line.match_indices("crate::") {
                    let rest = &line[i + "crate::".len()..];
                    let used: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if let Some(r) = rank(&used)
                        && r > own
                    {
                        violations.push(format!("{}:{}: {module} uses crate::{used}", file.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(
        violations.is_empty(),
        "dependencies pointing right:\n{}",
        violations.join("\n")
    );
}
