# Convenience targets; the scripts are the source of truth (README).
.PHONY: dev test bench bench-consume bench-store

dev:
	scripts/dev.sh

test:
	scripts/test.sh

bench: bench-consume bench-store

# contact-worker bench consume vs kcat -C -e on one mock cluster (300,000 x 450 B, 32 partitions).
bench-consume:
	scripts/bench-consume.sh

# ContactStore.apply of 1,000-AddInteraction batches on SQLite and PostgreSQL (release build).
bench-store:
	CONTACT_WORKER_BENCH=1 scripts/with-postgres.sh swift test -c release --scratch-path .build-release --filter StoreBenchmark
