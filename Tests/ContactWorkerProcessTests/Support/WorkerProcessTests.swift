import Testing

/// The suites that run real `contact-worker` processes (crash safety, scale-out, fault recovery).
///
/// Nested in one serialized suite so they run one after another: each keeps a 2-core machine busy
/// on its own, and running them side by side would only stretch every timeout.
@Suite("Worker processes and faults", .serialized)
struct WorkerProcessTests {}
