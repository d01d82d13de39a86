//! Rendering command output on stdout: aligned tables, JSON, YAML and CSV.

use std::io::Write as _;

use serde::Serialize;

/// Output format of listing and query commands (`-o`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// JSON (arrays for lists).
    Json,
    /// YAML.
    Yaml,
    /// CSV (RFC 4180) with a header row.
    Csv,
}

/// Writes `text` to stdout.
pub fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// Writes raw bytes to stdout (`report -o -`).
pub fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Pretty JSON plus newline.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    print(&text)
}

/// YAML.
pub fn print_yaml<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let json = serde_json::to_value(value)?;
    print(&serde_saphyr::to_string(&json)?)
}

/// A table: header row and rows of cells.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: &mut dyn Iterator<Item = String>, out: &mut String| {
        let mut parts = Vec::new();
        for (i, cell) in cells.enumerate() {
            let w = widths.get(i).copied().unwrap_or(0);
            parts.push(format!("{cell:<w$}"));
        }
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().map(|h| h.to_string()), &mut out);
    for row in rows {
        line(&mut row.iter().cloned(), &mut out);
    }
    out
}

/// CSV with a header row.
pub fn csv(headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers)?;
    for row in rows {
        w.write_record(row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Prints rows in `format`; `json` is the machine form used for JSON and YAML.
pub fn print_rows<T: Serialize + ?Sized>(
    format: Format,
    headers: &[&str],
    rows: &[Vec<String>],
    json: &T,
) -> anyhow::Result<()> {
    match format {
        Format::Table => print(&table(headers, rows)),
        Format::Csv => print(&csv(headers, rows)?),
        Format::Json => print_json(json),
        Format::Yaml => print_yaml(json),
    }
}
