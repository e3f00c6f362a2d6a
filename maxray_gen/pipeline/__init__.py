"""Dataset generation: per-sample orchestration, shards, manifests, resume, executors."""
