@testable import LarderCore
import LarderTesting
import Testing

@Suite("Memory budget")
struct MemoryBudgetTests {
    @Test("reservations wait while the budget is taken, in order, and get it when it is returned")
    func waitsInOrder() async throws {
        let budget = MemoryBudget(capacity: 100)
        let order = Locked<[Int]>([])
        let gate = Locked(false)
        let first = Task {
            try await budget.withReservation(80, wait: .seconds(30), setting: "test") {
                while !gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
                order.withLock { $0.append(1) }
            }
        }
        while budget.used < 80 { try await Task.sleep(for: .milliseconds(5)) }
        let second = Task { try await budget.withReservation(50, wait: .seconds(30), setting: "test") { order.withLock { $0.append(2) } } }
        while budget.waitingCount < 1 { try await Task.sleep(for: .milliseconds(5)) }
        let third = Task { try await budget.withReservation(10, wait: .seconds(30), setting: "test") { order.withLock { $0.append(3) } } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(order.withLock { $0 }.isEmpty)  // 10 would fit, but it does not overtake 50
        gate.withLock { $0 = true }
        try await first.value
        try await second.value
        try await third.value
        #expect(order.withLock { $0 } == [1, 2, 3])
        #expect(budget.used == 0)
    }

    @Test("a reservation that waits too long is a 503 with Retry-After, naming the setting; one larger than the budget runs alone")
    func timeoutAndOversized() async throws {
        let budget = MemoryBudget(capacity: 100)
        let holding = Task { try await budget.withReservation(100, wait: .seconds(30), setting: "test") { try await Task.sleep(for: .seconds(2)) } }
        while budget.used < 100 { try await Task.sleep(for: .milliseconds(5)) }
        let error = try await #require(throws: LarderError.self) {
            try await budget.withReservation(1, wait: .milliseconds(50), setting: "metadata_memory_mb") {}
        }
        #expect(error.status == 503 && error.message.contains("metadata_memory_mb"))
        #expect(error.headers.contains { $0.0 == "Retry-After" })
        holding.cancel()
        _ = try? await holding.value
        #expect(try await budget.withReservation(1_000, wait: .seconds(1), setting: "test") { budget.used } == 100)
        #expect(budget.used == 0)
    }

    @Test("returning freed memory to the system after a large reservation works (and does not crash)")
    func trim() async throws {
        MemoryBudget.returnFreedMemory()
        let budget = MemoryBudget(capacity: MemoryBudget.trimThreshold * 2)
        try await budget.withReservation(MemoryBudget.trimThreshold, wait: .seconds(1), setting: "test") {}
        #expect(budget.used == 0)
    }
}
