import Synchronization

/// A thread-safe least-recently-used cache bounded by a total cost (bytes, or a count when
/// every cost is 1). Lookups take one lock and no I/O, which is what a cache hit should cost.
public final class LRUCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Node {
        var key: Key
        var value: Value
        var cost: Int
        var prev: Int
        var next: Int
    }

    private struct Storage {
        var index: [Key: Int] = [:]
        var nodes: [Node] = []
        var free: [Int] = []
        var head = -1  // most recent
        var tail = -1  // least recent
        var totalCost = 0
    }

    private let storage = Mutex(Storage())
    /// The largest total cost kept.
    public let capacity: Int

    /// Creates a cache holding at most `capacity` total cost.
    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// The value for `key`, marking it most recently used.
    public func get(_ key: Key) -> Value? {
        storage.withLock { s in
            guard let i = s.index[key] else { return nil }
            Self.moveToFront(&s, i)
            return s.nodes[i].value
        }
    }

    /// Stores `value` under `key`, evicting the least recently used entries beyond capacity.
    /// A value costing more than the whole capacity is not stored.
    public func set(_ key: Key, _ value: Value, cost: Int = 1) {
        guard cost <= capacity else {
            remove(key)
            return
        }
        storage.withLock { s in
            if let i = s.index[key] {
                s.totalCost += cost - s.nodes[i].cost
                s.nodes[i].value = value
                s.nodes[i].cost = cost
                Self.moveToFront(&s, i)
            } else {
                let node = Node(key: key, value: value, cost: cost, prev: -1, next: s.head)
                let i: Int
                if let reused = s.free.popLast() {
                    s.nodes[reused] = node
                    i = reused
                } else {
                    s.nodes.append(node)
                    i = s.nodes.count - 1
                }
                if s.head >= 0 { s.nodes[s.head].prev = i }
                s.head = i
                if s.tail < 0 { s.tail = i }
                s.index[key] = i
                s.totalCost += cost
            }
            while s.totalCost > capacity, s.tail >= 0 {
                Self.unlink(&s, s.tail)
            }
        }
    }

    /// Removes `key`.
    public func remove(_ key: Key) {
        storage.withLock { s in
            if let i = s.index[key] { Self.unlink(&s, i) }
        }
    }

    /// The total cost held.
    public var totalCost: Int { storage.withLock { $0.totalCost } }

    /// The number of entries held.
    public var count: Int { storage.withLock { $0.index.count } }

    private static func moveToFront(_ s: inout Storage, _ i: Int) {
        guard s.head != i else { return }
        let node = s.nodes[i]
        if node.prev >= 0 { s.nodes[node.prev].next = node.next }
        if node.next >= 0 { s.nodes[node.next].prev = node.prev }
        if s.tail == i { s.tail = node.prev }
        s.nodes[i].prev = -1
        s.nodes[i].next = s.head
        if s.head >= 0 { s.nodes[s.head].prev = i }
        s.head = i
    }

    private static func unlink(_ s: inout Storage, _ i: Int) {
        let node = s.nodes[i]
        if node.prev >= 0 { s.nodes[node.prev].next = node.next } else { s.head = node.next }
        if node.next >= 0 { s.nodes[node.next].prev = node.prev } else { s.tail = node.prev }
        s.index[node.key] = nil
        s.totalCost -= node.cost
        s.free.append(i)
    }
}
