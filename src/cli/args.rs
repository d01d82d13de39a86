//! What was typed: clap derive structs only. Doc comments become `--help`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::output::Format;

/// meshproof: tamper-evident audit evidence for multi-cluster Istio Ambient meshes.
///
/// Collects mesh objects, audit logs and git history into a hash-chained, signed evidence store,
/// and answers "who added which cluster, when, under which trust domain — and is its trust
/// pipeline in order?" from that store alone.
#[derive(Debug, Parser)]
#[command(name = "meshproof", version, propagate_version = true, after_help = EXAMPLES)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: Global,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  meshproof scan --config sample-evidence/meshproof.toml
  meshproof collect --from sample-evidence/mesh --as-of 2026-12-01T00:00:00Z
  meshproof verify
  meshproof scans
  meshproof evidence list --kind k8s.object --cluster us-east-1
  meshproof key public > meshproof.pub && meshproof verify --pubkey meshproof.pub
  meshproof findings --as-of 2026-12-01T00:00:00Z --fail-on high
  meshproof diff -o json
  meshproof completions bash > /etc/bash_completion.d/meshproof";

/// Options accepted before or after any subcommand.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// The evidence store (an SQLite file) [default: meshproof.db; for `scan`: the configuration's
    /// store.path, else meshproof.db].
    #[arg(long, global = true, env = "MESHPROOF_STORE", value_name = "STORE")]
    pub store: Option<PathBuf>,
    /// Evaluation time (RFC 3339), the only source of "now"; for `collect`, the collection time.
    #[arg(long, global = true, env = "MESHPROOF_AS_OF", value_name = "RFC3339")]
    pub as_of: Option<String>,
    /// More log output on stderr (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "MESHPROOF_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    /// Configuration file (default: `./meshproof.toml` when present).
    #[arg(long, global = true, env = "MESHPROOF_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Override one configuration value, e.g. `--set analysis.token_max_age_days=30` (repeatable).
    #[arg(long = "set", global = true, value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Collect, verify, analyse and write every report in one run (for cron and CI).
    #[command(after_help = "Examples:
  meshproof scan --config sample-evidence/meshproof.toml
  meshproof scan --config meshproof.toml --fail-on high --fail-on-gaps
  meshproof scan --config meshproof.toml --format json --format md --out-dir /tmp/out -q
  MESHPROOF_FAIL_ON=critical MESHPROOF_REPORTS_FORMATS=pdf,json meshproof scan --config meshproof.toml
  meshproof scan --config meshproof.toml --set sources.git_ref=main --as-of 2026-12-01T00:00:00Z

One run: collect every configured source as one scan; verify the whole store; answer who added
each cluster and list the findings (applying the recorded waivers); compare with the previous
complete scan; write meshproof-<framework>.<ext> for each configured framework and format, and
summary.json, into the output directory. Stdout: the who-added table, the findings summary and
the changes since the previous scan (-q silences it).

Configuration: docs/configuration.md. Precedence: flag > MESHPROOF_<SECTION>_<KEY> > file > default.
Relative input paths in the file resolve against its directory; the store and the output
directory against the working directory.

Exit codes: 0 done, nothing to fail on; 1 an operator must look: the store did not verify, or an
open finding is at or above --fail-on (summary.json names which); 2 could not run (invalid
configuration: every problem is listed); 3 the collection recorded gaps and --fail-on-gaps is set.")]
    Scan(ScanArgs),
    /// Collect evidence into the store (one scan).
    #[command(after_help = "Examples:
  meshproof collect --from sample-evidence/mesh
  meshproof collect --from ./dumps --as-of 2026-12-01T00:00:00Z --key /secure/meshproof.key
  meshproof collect --from sample-evidence/mesh --git sample-evidence/gitops.git
  meshproof collect --from sample-evidence/mesh --waivers sample-evidence/waivers.toml
  meshproof collect --context prod-eu=eu-west-1 --context prod-us=us-east-1
  meshproof collect --all-contexts --kubeconfig ~/.kube/mesh.yaml --concurrency 4

DIR holds one folder per cluster with `kubectl get … -o yaml|json` output and API-server
audit logs (JSON lines, plain or .gz). Private keys and tokens are reduced to non-secret facts
before anything is stored. Live collection (--context, --all-contexts, --in-cluster) reads the
same kinds through the API with read-only permissions (deploy/rbac.yaml); it may be mixed with
--from. Each --git repository contributes one record per commit that touches a manifest of a
kept kind. At least one source is required.
On a terminal, progress (per cluster and per phase) is drawn on stderr; never with -q, never on
stdout. --waivers records the validated waiver file with the scan (see `meshproof findings`).
Exit 0: all read; 3: gaps recorded (including an empty or shallow repository);
2: nothing could be collected (not a repository, unknown --git-ref, empty dump).")]
    Collect(CollectArgs),
    /// Check the store: every body hash, record hash, Merkle root and checkpoint signature.
    #[command(after_help = "Examples:
  meshproof verify
  meshproof verify --pubkey meshproof.pub -o json

Exit 0: intact; 1: tampering found (the first bad record is named); 2: could not run.")]
    Verify(VerifyArgs),
    /// List the scans in the store.
    #[command(after_help = "Example:\n  meshproof scans -o json")]
    Scans(ListArgs),
    /// Browse raw evidence records.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// The store's signing key.
    #[command(subcommand)]
    Key(KeyCommand),
    /// For each cluster in the mesh: when it was added, by whom, under which trust domain.
    #[command(after_help = "Examples:
  meshproof who-added --as-of 2026-12-01T00:00:00Z
  meshproof who-added us-east-1 -o json

Reads only the store (default: its latest complete scan). Every row cites the records it came
from (`meshproof evidence show <seq>`).")]
    WhoAdded(WhoAddedArgs),
    /// Run every check against one scan and list the findings.
    #[command(after_help = "Examples:
  meshproof findings --as-of 2026-12-01T00:00:00Z
  meshproof findings --severity high -o json
  meshproof findings --check CERT-001 --check TOKEN-003
  meshproof findings --fail-on high            # exit 1 when anything high or critical is found
  meshproof findings --set analysis.token_max_age_days=30
  meshproof findings --waivers waivers.toml      # try a waiver file before recording it

Waivers recorded with `collect --waivers FILE` are applied: a waived finding stays listed as
\"waived (owner, reason, until)\"; after its expiry date it is open again and says so. Waivers that
match nothing are reported on stderr.

Findings are sorted by severity, check, cluster and subject; every one cites the records it rests
on (`meshproof evidence show <seq>`). The check catalogue is in docs/checks.md.")]
    Findings(FindingsArgs),
    /// Trust-relevant events (audit log, git history, object timestamps) in time order.
    #[command(after_help = "Examples:
  meshproof timeline --cluster us-east-1
  meshproof timeline --subject us-east-1/payments/AuthorizationPolicy/billing-allow-payments
  meshproof timeline --since 2026-09-01T00:00:00Z --until 2026-09-30T23:59:59Z -o csv

Events after --as-of are left out.")]
    Timeline(TimelineArgs),
    /// Write a compliance report (SOC 2, PCI DSS, DORA or a custom catalogue) for one scan.
    #[command(after_help = "Examples:
  meshproof report --framework soc2 --format pdf -o soc2.pdf --as-of 2026-12-01T00:00:00Z
  meshproof report --framework all --format json -o - | jq .summary
  meshproof report --framework pci-dss --format csv -o pci.csv --scan 3
  meshproof report --framework acme --templates ./my-templates --format md -o acme.md
  meshproof report --format pdf,html,csv,json,md,oscal -o reports/

The store is verified in full first; the result is in the report's integrity section (exit 1
when it is not intact; the report is still written). The same store and --as-of give the same
bytes. --templates DIR adds or overrides catalogues: every DIR/*.toml with a [framework] table.
The organisation comes from meshproof.toml [organisation] name.")]
    Report(ReportArgs),
    /// Write the auditor's evidence bundle: store copy, signed checkpoint, public key, every report
    /// format, Merkle inclusion proofs for every cited record, a MANIFEST and a README.
    #[command(after_help = "Examples:
  meshproof export --bundle audit-2026-12.tar.gz --as-of 2026-12-01T00:00:00Z
  meshproof export --bundle ./bundle --framework soc2
  meshproof verify --bundle audit-2026-12.tar.gz --pubkey meshproof.pub

OUT ending in .tar.gz is written as a deterministic archive, anything else as a new directory.")]
    Export(ExportArgs),
    /// What changed in mesh trust state between two scans.
    #[command(after_help = "Examples:
  meshproof diff                         # the last two complete scans
  meshproof diff --from 3 --to 7 -o json
  meshproof diff --from 3                # scan 3 against the latest complete scan

Reports clusters added or removed, registrations changed, intermediates and roots rotated,
remote-secret tokens rotated or newly expired, RBAC grants added or removed, policies changed
(field by field, as JSON pointers with old and new values) and findings opened, closed or still
open. Each scan is evaluated at its own collection time.")]
    Diff(DiffArgs),
    /// Print a shell completion script on stdout.
    #[command(after_help = "Examples:
  meshproof completions bash > /etc/bash_completion.d/meshproof
  meshproof completions zsh > \"${fpath[1]}/_meshproof\"
  meshproof completions fish > ~/.config/fish/completions/meshproof.fish")]
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout.
    #[command(after_help = "Example:\n  meshproof man > meshproof.1 && man ./meshproof.1")]
    Man,
    /// Developer tools (not part of the stable interface).
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
}

/// `scan` options.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Output directory for reports and summary.json (reports.out_dir).
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Exit 1 when an open finding is at or above this severity, or `none` (fail.on).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Exit 3 when the collection recorded gaps (fail.on_gaps).
    #[arg(long)]
    pub fail_on_gaps: bool,
    /// Signing key file (store.key; default `<store>.key`, created with mode 0600 when absent).
    #[arg(long, env = "MESHPROOF_KEY", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Report format (repeatable or comma-separated; replaces reports.formats).
    #[arg(long, value_name = "FORMAT", value_delimiter = ',')]
    pub format: Vec<String>,
    /// Framework id or `all` (repeatable or comma-separated; replaces reports.frameworks).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub framework: Vec<String>,
}

/// `diff` options.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier scan (default: the complete scan before `--to`).
    #[arg(long, value_name = "SCAN")]
    pub from: Option<u64>,
    /// The later scan (default: the latest complete scan).
    #[arg(long, value_name = "SCAN")]
    pub to: Option<u64>,
    /// Output format (table, json or yaml).
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `completions` options.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `dev` subcommands.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Generate a synthetic mesh of kubectl-style dumps (for benchmarks), deterministically.
    #[command(after_help = "Example:\n  meshproof dev gen-mesh --clusters 100 --objects-per-cluster 2000 /tmp/mesh100")]
    GenMesh(GenMeshArgs),
}

/// `dev gen-mesh` options.
#[derive(Debug, Args)]
pub struct GenMeshArgs {
    /// Number of workload clusters (a management cluster is added).
    #[arg(long, default_value_t = 10)]
    pub clusters: u32,
    /// Kept objects per workload cluster (approximately).
    #[arg(long, default_value_t = 2000)]
    pub objects_per_cluster: u32,
    /// Seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created; must be empty or absent).
    pub out: PathBuf,
}

/// `report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Framework id (soc2, pci-dss, dora, a custom catalogue's id) or `all` for every one in one
    /// document.
    #[arg(long, value_name = "ID", default_value = "all")]
    pub framework: String,
    /// Output format; several (repeatable or comma-separated) are rendered from one analysis of
    /// the scan.
    #[arg(long, value_enum, value_delimiter = ',', required = true)]
    pub format: Vec<ReportFormat>,
    /// Output file, `-` for stdout; with several formats, a directory (created when missing) that
    /// receives `meshproof-<framework>.<ext>` per format. Files are written atomically (temporary
    /// file, then rename).
    #[arg(short = 'o', long = "out", value_name = "PATH")]
    pub out: PathBuf,
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// Directory of extra or replacement framework catalogues (`*.toml` with a `[framework]` table).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Require checkpoints to be signed by this public key (note format) when verifying.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,
    /// Leave out the appendix of changes since the previous complete scan (included by default
    /// when there is one; computing it analyses both scans).
    #[arg(long)]
    pub no_changes: bool,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The bundle to write: a new directory, or a `.tar.gz` file.
    #[arg(long, value_name = "OUT")]
    pub bundle: PathBuf,
    /// Framework id or `all` (one set of reports per framework).
    #[arg(long, value_name = "ID", default_value = "all")]
    pub framework: String,
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// Directory of extra or replacement framework catalogues.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Require checkpoints to be signed by this public key when verifying the store.
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,
}

/// `report --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// PDF for auditors.
    Pdf,
    /// Self-contained HTML.
    Html,
    /// CSV (RFC 4180), one row per control × finding.
    Csv,
    /// The JSON report document (docs/report-schema.json).
    Json,
    /// Markdown for tickets and wikis.
    Md,
    /// OSCAL assessment results (JSON).
    Oscal,
}

/// `who-added` options.
#[derive(Debug, Args)]
pub struct WhoAddedArgs {
    /// Only this cluster.
    pub cluster: Option<String>,
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// An identity that applies changes from git (repeatable; replaces the default Argo CD and
    /// Flux controllers). Its creates are attributed to the git commit's author.
    #[arg(long = "gitops-identity", value_name = "ID")]
    pub gitops_identity: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `timeline` options.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Only events about this cluster.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only subjects starting with this prefix (`cluster/namespace/Kind/name`).
    #[arg(long, value_name = "PREFIX")]
    pub subject: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub since: Option<String>,
    /// Only events at or before this time (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub until: Option<String>,
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `-o` for listing commands.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `collect` options.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Directory of kubectl-style dumps, one subfolder per cluster (repeatable; cluster names must
    /// differ across directories).
    #[arg(long = "from", value_name = "DIR")]
    pub from: Vec<PathBuf>,
    /// An API-server audit log of a cluster (JSON lines, plain or gzip), as CLUSTER=FILE
    /// (repeatable); read as a stream, whatever its size. Dump folders may hold audit logs too.
    #[arg(long = "audit-log", value_name = "CLUSTER=FILE")]
    pub audit_logs: Vec<String>,
    /// A local GitOps repository (working or bare clone) whose history to collect (repeatable).
    /// Later collections walk only commits added since the head recorded for that repository.
    #[arg(long = "git", value_name = "PATH")]
    pub git: Vec<PathBuf>,
    /// The git reference to walk from, in every `--git` repository (default: HEAD).
    #[arg(long = "git-ref", value_name = "REF", requires = "git")]
    pub git_ref: Option<String>,
    /// Only git paths matching this pathspec glob (repeatable; default: every path).
    #[arg(long = "git-path", value_name = "GLOB", requires = "git")]
    pub git_path: Vec<String>,
    /// Collect live from this kubeconfig context (repeatable); `NAME=ALIAS` names the cluster ALIAS.
    #[arg(long = "context", value_name = "NAME[=ALIAS]")]
    pub contexts: Vec<String>,
    /// Collect live from every context of the kubeconfig.
    #[arg(long, conflicts_with = "contexts")]
    pub all_contexts: bool,
    /// Kubeconfig file (default: the files in KUBECONFIG, merged as kubectl does, else ~/.kube/config).
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Collect live from the cluster this pod runs in (its service account), naming it NAME.
    #[arg(long, value_name = "NAME")]
    pub in_cluster: Option<String>,
    /// Objects per list request when collecting live.
    #[arg(long, default_value_t = 500, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    /// Clusters collected live at the same time.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Seconds to wait for one API request before retrying it.
    #[arg(long, default_value_t = 30, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,
    /// Signing key file (created with mode 0600 when absent). Default: `<store>.key`.
    #[arg(long, env = "MESHPROOF_KEY")]
    pub key: Option<PathBuf>,
    /// A waivers.toml file to record with this scan (validated first; `findings` applies it).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Refuse files larger than this many bytes (also after gzip decompression).
    #[arg(long, default_value_t = 256 << 20, value_name = "BYTES")]
    pub max_file_size: u64,
    /// Seconds to wait for another writer before giving up.
    #[arg(long, default_value_t = 10)]
    pub lock_timeout: u64,
    /// Output format of the summary.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `verify` options.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Require checkpoints to be signed by this public key (note format, from `meshproof key public`).
    #[arg(long, value_name = "FILE")]
    pub pubkey: Option<PathBuf>,
    /// Verify an evidence bundle (directory or `.tar.gz` from `meshproof export`) instead of the store.
    #[arg(long, value_name = "PATH")]
    pub bundle: Option<PathBuf>,
    /// A checkpoint note kept earlier (default: `<store>.checkpoint`).
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `evidence` subcommands.
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// List records of a scan's view (default: the latest complete scan).
    #[command(after_help = "Examples:
  meshproof evidence list --kind k8s.object --cluster eu-west-1
  meshproof evidence list --subject us-east-1/istio-system/Secret/ -o json")]
    List(EvidenceListArgs),
    /// Show one record and its body, by sequence number or record hash.
    #[command(after_help = "Example:\n  meshproof evidence show 42")]
    Show(EvidenceShowArgs),
}

/// `evidence list` options.
#[derive(Debug, Args)]
pub struct EvidenceListArgs {
    /// Only this record kind (k8s.object, audit.event, collection.gap, …).
    #[arg(long)]
    pub kind: Option<String>,
    /// Only records about this cluster.
    #[arg(long)]
    pub cluster: Option<String>,
    /// Only subjects starting with this prefix.
    #[arg(long, value_name = "PREFIX")]
    pub subject: Option<String>,
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// Output format (table or json).
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}

/// `evidence show` options.
#[derive(Debug, Args)]
pub struct EvidenceShowArgs {
    /// Sequence number, or a record hash (64 hex characters).
    pub record: String,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "json")]
    pub output: Format,
}

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Print the public key in note format, to publish and pin (`verify --pubkey`).
    #[command(
        after_help = "Example:\n  meshproof key public > meshproof.pub && meshproof verify --pubkey meshproof.pub"
    )]
    Public(KeyArgs),
    /// Create a new signing key (mode 0600); refuses to overwrite an existing one.
    #[command(
        after_help = "Example:\n  meshproof key generate --key /secure/meshproof.key\n  kubectl -n meshproof create secret generic meshproof-signing-key --from-file=meshproof.key=/secure/meshproof.key"
    )]
    Generate(KeyArgs),
}

/// Which key.
#[derive(Debug, Args)]
pub struct KeyArgs {
    /// Signing key file. Default: `<store>.key` (the first `collect` creates it).
    #[arg(long, env = "MESHPROOF_KEY")]
    pub key: Option<PathBuf>,
}

/// `findings` options.
#[derive(Debug, Args)]
pub struct FindingsArgs {
    /// Scan number (default: the latest complete scan).
    #[arg(long)]
    pub scan: Option<u64>,
    /// Only findings at or above this severity.
    #[arg(long, value_name = "SEVERITY")]
    pub severity: Option<String>,
    /// Only these checks (repeatable), e.g. CERT-001.
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,
    /// Exit 1 when a finding at or above this severity remains (currently waived findings do not count).
    #[arg(long, value_name = "SEVERITY")]
    pub fail_on: Option<String>,
    /// Apply this waivers.toml instead of the one recorded in the scan (not the recorded evidence:
    /// a warning says so).
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: Format,
}
