//! `meshproof dev …`: developer tools (hidden from `--help`; not a stable interface).

use super::ExitStatus;
use crate::cli::args::GenMeshArgs;
use crate::cli::gen_mesh;
use crate::cli::output;

pub(super) fn gen_mesh(args: GenMeshArgs) -> anyhow::Result<ExitStatus> {
    if args.clusters == 0 {
        anyhow::bail!("--clusters must be at least 1");
    }
    let generated = gen_mesh::generate(&args.out, args.clusters, args.objects_per_cluster, args.seed)?;
    output::print(&format!(
        "{} workload clusters + mgmt in {}: {} kept objects, {} audit events, {} files, {} bytes (seed {})\n",
        generated.clusters,
        args.out.display(),
        generated.objects,
        generated.audit_events,
        generated.files,
        generated.bytes,
        args.seed
    ))?;
    Ok(ExitStatus::Success)
}
