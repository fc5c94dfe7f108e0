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
            #expect(try await Self.acceptsWithNoDelay(port: #require(ports.first)))
        }

        /// Going down, a mock broker closes its listening socket and binds a new one to the port.
        @Test("a broker that went down and came back accepts connections without Nagle's algorithm too")
        func acceptsWithoutNagleAfterComingBack() async throws {
            let cluster = try MockCluster(brokers: 1)
            defer { cluster.close() }
            try cluster.setBrokerDown(1)
            try cluster.setBrokerUp(1)
            let ports = MockListenerSockets.ports(bootstrapServers: cluster.bootstrapServers)
            #expect(try await Self.acceptsWithNoDelay(port: #require(ports.first)))
        }

        /// Connects to `port` and reports whether the connection the mock accepted has `TCP_NODELAY`.
        private static func acceptsWithNoDelay(port: UInt16) async throws -> Bool {
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            #expect(client >= 0)
            defer { close(client) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
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
                accepted = MockListenerSockets.sockets(on: [port], listening: false)
                if accepted.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
            }
            try #require(accepted.count == 1, "the mock never accepted the connection")
            return MockListenerSockets.hasNoDelay(accepted[0])
        }
    }
#endif
