import ContactWorkerTestSupport
import Foundation
import Testing

@Suite("TestPorts: the tests' HTTP servers listen outside the kernel's ephemeral range (LRK-17)")
struct TestPortsTests {
    @Test("ports are distinct and below the kernel's ephemeral range")
    func distinctFreePorts() throws {
        let rangeText = try String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)
        let ephemeralStart = try #require(rangeText.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) })
        let ports = try (0..<20).map { _ in try TestPorts.unassigned() }
        #expect(Set(ports).count == ports.count)
        for port in ports {
            #expect(port >= 20_000 && port < ephemeralStart, "port \(port)")
        }
    }
}
