#if os(Linux)
    import Glibc
    @testable import Kafka
    import Testing

    @Suite("Mock cluster")
    struct MockClusterTests {
        /// A real broker accepts connections with `TCP_NODELAY`; without it the mock delays a response
        /// written behind an unacknowledged one by the client's delayed ACK (about 40 ms).
        @Test("the mock brokers accept connections without Nagle's algorithm, as a real broker does")
        func acceptsWithoutNagle() async throws {
            let cluster = try MockCluster(brokers: 2)
            defer { cluster.close() }
            let ports = MockListenerSockets.ports(bootstrapServers: cluster.bootstrapServers)
            #expect(ports.count == 2)

            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(client >= 0)
            defer { close(client) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = try #require(ports.first).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(connected == 0)

            // The mock's thread accepts the connection shortly after the connect returns.
            var accepted: [Int32] = []
            for _ in 0..<200 where accepted.isEmpty {
                accepted = MockListenerSockets.sockets(on: ports, listening: false)
                if accepted.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            }
            try #require(accepted.count == 1, "the mock never accepted the connection")
            #expect(MockListenerSockets.hasNoDelay(accepted[0]))
        }
    }
#endif
