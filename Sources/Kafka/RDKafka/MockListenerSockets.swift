import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Turns off Nagle's algorithm on the mock brokers' listening sockets.
///
/// librdkafka 2.0.2's mock brokers accept connections without `TCP_NODELAY`, unlike a real Kafka
/// broker, which sets it on every connection it accepts. With Nagle on, a response written while
/// the previous one is unacknowledged waits for the client's delayed ACK, so any client that keeps
/// two requests in flight waits for that timer on every round trip (the reason upstream librdkafka
/// made `socket.nagle.disable=true` its default, #4986; docs/decisions/0005-nagle-off.md). Linux
/// copies `TCP_NODELAY` from a listening socket to the sockets it accepts, so setting it on the
/// listeners before any client connects makes the mock answer like a broker (LRK-11).
///
/// The mock does not expose its sockets, so they are found by address: the process's descriptors
/// are scanned for listening TCP sockets bound to the brokers' ports. Written by hand because no
/// library does this; it only touches sockets that are listening on those ports.
enum MockListenerSockets {
    /// Sets `TCP_NODELAY` on the listening sockets bound to `ports`; returns how many it set.
    /// Does nothing (returns 0) where `/proc/self/fd` is not available.
    @discardableResult
    static func disableNagle(ports: Set<UInt16>) -> Int {
        #if os(Linux)
            var count = 0
            for descriptor in sockets(on: ports, listening: true) {
                var on: Int32 = 1
                if setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                    == 0
                {
                    count += 1
                }
            }
            return count
        #else
            return 0
        #endif
    }

    #if os(Linux)
        /// This process's TCP sockets bound locally to one of `ports`: the listening ones, or the
        /// connections accepted on them.
        static func sockets(on ports: Set<UInt16>, listening: Bool) -> [Int32] {
            // FileManager, not readdir: a `dirent`'s name field is declared 256 bytes long, but an
            // entry is only as long as its name, so copying the field out of the last entry of
            // readdir's buffer can read past the buffer's end.
            guard !ports.isEmpty,
                let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")
            else { return [] }
            return names.compactMap { Int32($0) }.filter { descriptor in
                guard let port = localPort(descriptor), ports.contains(port) else { return false }
                return isListening(descriptor) == listening
            }
        }

        /// Whether `TCP_NODELAY` is set on `descriptor`.
        static func hasNoDelay(_ descriptor: Int32) -> Bool {
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &value, &length) == 0 && value != 0
        }
    #endif

    /// The broker ports of a `host:port,host:port` bootstrap list.
    static func ports(bootstrapServers: String) -> Set<UInt16> {
        Set(
            bootstrapServers.split(separator: ",").compactMap { server in
                server.split(separator: ":").last.flatMap { UInt16($0) }
            })
    }

    #if os(Linux)
        private static func isListening(_ descriptor: Int32) -> Bool {
            var accepting: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) == 0 else { return false }
            return accepting != 0
        }

        private static func localPort(_ descriptor: Int32) -> UInt16? {
            var address = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let result = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            guard result == 0 else { return nil }
            switch Int32(address.ss_family) {
            case AF_INET:
                return withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
                }
            case AF_INET6:
                return withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
                }
            default:
                return nil
            }
        }
    #endif
}
