# Convenience targets; the scripts are the source of truth (README).
.PHONY: dev test bench bench-worker bench-instructions bench-consume bench-store bench-e2e

dev:
	scripts/dev.sh

test:
	scripts/test.sh

bench: bench-worker bench-consume
	scripts/bench.sh

# The worker process alone: CPU per command, peak RSS and latency, next to a kcat relay anchor.
bench-worker:
	scripts/bench-worker.sh

# The worker's instructions per command under callgrind: small changes, unmoved by the machine's load.
bench-instructions:
	scripts/bench-instructions.sh

# contact-worker bench consume vs kcat -C -e on one mock cluster (300,000 x 450 B, 32 partitions).
bench-consume:
	scripts/bench-consume.sh

# ContactStore alone: batches of 1,000 AddInteraction outcomes on SQLite and PostgreSQL.
bench-store:
	BENCH=store scripts/bench.sh

# The whole worker: throughput, then produce-to-result latency at 2,000 commands/s.
bench-e2e:
	BENCH=e2e scripts/bench.sh
