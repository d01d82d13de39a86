//! Offline collection from kubectl-style dumps: `DIR/<cluster>/**`.
