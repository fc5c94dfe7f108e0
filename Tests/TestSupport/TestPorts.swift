import Foundation
import Synchronization

/// TCP ports for the HTTP servers that tests start, chosen below the range the kernel assigns
/// from (`/proc/sys/net/ipv4/ip_local_port_range`).
///
/// A librdkafka 2.0.2 mock broker that goes down closes its listening socket and binds the same
/// port again at once; if another socket took the port in that moment, the mock aborts the whole
/// test process (LRK-17 in `docs/librdkafka-workarounds.md`). The mock's ports come from binds to
/// port 0, so the kernel's range is where they live. A test server on a port outside that range
/// can never be the socket that takes one, whichever process it runs in: a worker process a test
/// starts, or a server in the test process.
///
/// Each port is handed out once per test process and only after a bind to it succeeded, so two
/// tests never get the same port and a port some other program holds is passed over.
public enum TestPorts {
    /// The ports handed out so far, and where the next search starts.
    private static let state = Mutex<(handedOut: Set<Int>, next: Int?)>(([], nil))

    /// The lowest port tried: above the ports that services on a developer's machine commonly
    /// listen on, such as PostgreSQL's 5432.
    public static let lowest = 20_000

    /// A port on 127.0.0.1 that no socket was bound to a moment ago, outside the kernel's
    /// ephemeral range, and not handed out before by this process.
    ///
    /// - Throws: ``TestPortsError`` when every port from ``lowest`` up to the ephemeral range is
    ///   taken or handed out.
    public static func unassigned() throws -> Int {
        let end = ephemeralRangeStart()
        guard end > lowest else {
            throw TestPortsError(
                description: "the kernel's ephemeral port range starts at \(end), leaving no ports for test "
                    + "servers from \(lowest): raise net.ipv4.ip_local_port_range's first value")
        }
        return try state.withLock { state in
            let count = end - lowest
            // Start at a random place so that test processes run one after the other do not
            // reuse a port a previous process's server may still hold in TIME_WAIT.
            var candidate = state.next ?? (lowest + Int.random(in: 0..<count))
            for _ in 0..<count {
                if candidate >= end { candidate = lowest }
                defer { candidate += 1 }
                if state.handedOut.contains(candidate) || !canBind(candidate) { continue }
                state.handedOut.insert(candidate)
                state.next = candidate + 1
                return candidate
            }
            throw TestPortsError(description: "no free port on 127.0.0.1 from \(lowest) to \(end - 1)")
        }
    }

    /// The first port of the kernel's ephemeral range (32768 when it cannot be read).
    public static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
            let first = text.split(whereSeparator: \.isWhitespace).first, let port = Int(first)
        else { return 32_768 }
        return port
    }

    /// Whether a TCP socket can be bound to 127.0.0.1:`port` now (the socket is closed again).
    private static func canBind(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}

/// No port for a test server could be found.
public struct TestPortsError: Error, CustomStringConvertible {
    public let description: String
}
