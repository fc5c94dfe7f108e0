/// A wait that did not end in time.
public struct TimedOut: Error, CustomStringConvertible {
    /// What was waited for.
    public let what: String

    public init(what: String) { self.what = what }

    public var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, failing with ``TimedOut`` after `seconds`.
public func within<T: Sendable>(
    _ seconds: Double, _ what: String, _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    // Not a task group: a group waits for its children, so a body that ignores cancellation
    // (awaiting another task's value, say) would hang the test instead of failing it. The body
    // runs in a task of its own, cancelled and left behind on timeout.
    let outcome = Locked<CheckedContinuation<T, any Error>?>(nil)
    return try await withCheckedThrowingContinuation { continuation in
        outcome.withLock { $0 = continuation }
        @Sendable func finish(_ result: Result<T, any Error>) -> Bool {
            guard
                let continuation = outcome.withLock({ state -> CheckedContinuation<T, any Error>? in
                    defer { state = nil }
                    return state
                })
            else { return false }
            continuation.resume(with: result)
            return true
        }
        let work = Task {
            do { _ = finish(.success(try await body())) } catch { _ = finish(.failure(error)) }
        }
        Task {
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            if finish(.failure(TimedOut(what: what))) { work.cancel() }
        }
    }
}

/// Polls `condition` every `interval` until it holds, failing with ``TimedOut`` after `seconds`.
public func eventually(
    _ seconds: Double = 15, _ what: String, every interval: Duration = .milliseconds(20),
    _ condition: @escaping @Sendable () async throws -> Bool
) async throws {
    _ = try await within(seconds, what) {
        while try await !condition() { try await Task.sleep(for: interval) }
        return true
    }
}

/// Runs `body` with `resource`, then `close`s it whether `body` returned or threw, so the cleanup
/// is over before the caller goes on (a test's cleanup never runs into the next test).
public func closing<Resource, T>(
    _ resource: Resource, by close: (Resource) async -> Void, _ body: (Resource) async throws -> T
) async throws -> T {
    let result: T
    do {
        result = try await body(resource)
    } catch {
        await close(resource)
        throw error
    }
    await close(resource)
    return result
}
