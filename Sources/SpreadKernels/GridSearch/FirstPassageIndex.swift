import CIntrinsics
import Dispatch

/// A series with a max-pyramid over it, answering "first index at or after
/// `i` whose value is ≥ `level`" in `O(F · log_F n)` instead of a scan.
///
/// Level 0 is the series; every node of level `L + 1` holds the maximum of
/// `F = 16` consecutive nodes of level `L`. A query walks up from `i` while
/// the rest of the current group holds nothing ≥ `level`, then down through
/// the first node that does. Because the stored maxima are values of the
/// series (no arithmetic), the comparisons at every level agree with the
/// comparison at level 0 and the answer is exact.
///
/// This is the structure that lets a threshold grid search cost far less than
/// one pass per grid point: the spread columns do not change between grid
/// points, and both of the backtest's decisions are first-passage events of a
/// fixed series over a level set by the grid point (see `FirstPassageBacktest`).
///
/// Memory: the series plus `n / (F − 1)` maxima.
public struct FirstPassageIndex: Sendable {
    /// Nodes per group.
    public static let fanOut = 16

    /// All levels, level 0 first, back to back.
    @usableFromInline let storage: [Double]
    /// Offset of each level in `storage`, plus one past the end.
    @usableFromInline let offsets: [Int]

    /// Builds the pyramid over `count` values written by `fill` into level 0.
    ///
    /// NaN values never satisfy `≥` and never win a maximum, so they are never
    /// found, exactly as a plain scan would skip them.
    public init(count n: Int, fill: (UnsafeMutableBufferPointer<Double>) -> Void) {
        var sizes = [n]
        while sizes[sizes.count - 1] > Self.fanOut {
            sizes.append((sizes[sizes.count - 1] + Self.fanOut - 1) / Self.fanOut)
        }
        var offsets = [0]
        for size in sizes { offsets.append(offsets[offsets.count - 1] + size) }
        let total = offsets[offsets.count - 1]
        self.storage = [Double](unsafeUninitializedCapacity: total) { out, initialized in
            fill(UnsafeMutableBufferPointer(rebasing: out[0..<n]))
            for level in 1..<sizes.count {
                let below = UnsafeMutableBufferPointer(rebasing: out[offsets[level - 1]..<offsets[level]])
                let here = UnsafeMutableBufferPointer(rebasing: out[offsets[level]..<offsets[level + 1]])
                Self.reduce(below, into: here)
            }
            initialized = total
        }
        self.offsets = offsets
    }

    /// `here[k] = max(below[k·F ..< (k+1)·F])`, in parallel for large levels.
    private static func reduce(_ below: UnsafeMutableBufferPointer<Double>, into here: UnsafeMutableBufferPointer<Double>) {
        let nodes = here.count
        let chunkNodes = 4096
        let chunks = (nodes + chunkNodes - 1) / chunkNodes
        let source = UncheckedSendable(UnsafeBufferPointer(below)), target = UncheckedSendable(here)
        let work = { @Sendable (chunk: Int) in
            let b = source.value, h = target.value
            for node in chunk * chunkNodes..<min((chunk + 1) * chunkNodes, nodes) {
                let start = node * fanOut, end = min(start + fanOut, b.count)
                var m = -Double.infinity
                for child in start..<end where b[child] > m { m = b[child] }  // NaN never wins
                h[node] = m
            }
        }
        if chunks > 1 {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
        } else if chunks == 1 {
            work(0)
        }
    }

    /// Builds the pyramid over a copy of `values`.
    public init(_ values: [Double]) {
        self.init(count: values.count) { out in
            values.withUnsafeBufferPointer { v in
                for i in v.indices { out[i] = v[i] }
            }
        }
    }

    /// Number of values at level 0.
    @inlinable public var count: Int { offsets[1] - offsets[0] }

    /// The value at `index`.
    @inlinable public subscript(index: Int) -> Double { storage[index] }

    /// Runs `body` over the level-0 values.
    @inlinable
    public func withValues<R>(_ body: (UnsafeBufferPointer<Double>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    /// The first index `j` in `from..<to` with `value[j] >= level`, or nil.
    ///
    /// - Precondition: `0 ≤ from` and `to ≤ count`.
    @inlinable
    public func firstIndex(atLeast level: Double, from: Int, to: Int) -> Int? {
        precondition(from >= 0 && to <= count, "firstIndex: range \(from)..<\(to) outside 0..<\(count)")
        guard from < to else { return nil }
        return storage.withUnsafeBufferPointer { s -> Int? in
            offsets.withUnsafeBufferPointer { o -> Int? in
                let f = Self.fanOut
                var depth = 0
                var i = from
                // Up: finish the current group at each level.
                while true {
                    let base = o[depth], size = o[depth + 1] - base
                    let groupStart = i / f * f
                    let groupEnd = min(groupStart + f, size)  // the top level has at most `f` nodes
                    var hit = -1
                    if groupEnd - groupStart == f, let p = s.baseAddress {
                        let lane = Self.firstLane(p + base + groupStart, atLeast: level, from: i - groupStart)
                        if lane < f { hit = groupStart + lane }
                    } else {
                        var k = i
                        while k < groupEnd {
                            if s[base + k] >= level { hit = k; break }
                            k += 1
                        }
                    }
                    if hit >= 0 {
                        // Down: the first child ≥ level at each level below (one exists: the node is their maximum).
                        var node = hit
                        while depth > 0 {
                            depth -= 1
                            let b = o[depth], sz = o[depth + 1] - b
                            var child = node * f
                            if child + f <= sz, let p = s.baseAddress {
                                child += Self.firstLane(p + b + child, atLeast: level, from: 0)
                            } else {
                                let end = min(child + f, sz)
                                while child < end && !(s[b + child] >= level) { child += 1 }
                            }
                            node = child
                        }
                        return node < to ? node : nil
                    }
                    // Nothing left, or everything left starts at or past `to`.
                    if groupEnd >= size || groupEnd * Self.span(depth) >= to { return nil }
                    i = groupEnd / f
                    depth += 1
                }
            }
        }
    }

    /// The largest value in `from..<to`, −∞ when the range is empty or holds
    /// only NaN (NaN never wins, as in the pyramid).
    ///
    /// Exact: every level stores values of the series, so the maximum read off
    /// whole nodes is the maximum of their rows. `O(F · log_F n)`.
    ///
    /// - Precondition: `0 ≤ from` and `to ≤ count`.
    @inlinable
    public func maxValue(from: Int, to: Int) -> Double {
        precondition(from >= 0 && to <= count, "maxValue: range \(from)..<\(to) outside 0..<\(count)")
        return storage.withUnsafeBufferPointer { s -> Double in
            offsets.withUnsafeBufferPointer { o -> Double in
                let f = Self.fanOut
                let levels = o.count - 1
                var m = -Double.infinity
                var low = from, high = to, depth = 0
                while low < high {
                    let base = o[depth]
                    if depth == levels - 1 {
                        for k in low..<high where s[base + k] > m { m = s[base + k] }
                        break
                    }
                    // The partial groups at both ends at this level; whole groups go up a level.
                    while low < high && low % f != 0 {
                        if s[base + low] > m { m = s[base + low] }
                        low += 1
                    }
                    while high > low && high % f != 0 {
                        high -= 1
                        if s[base + high] > m { m = s[base + high] }
                    }
                    low /= f
                    high /= f
                    depth += 1
                }
                return m
            }
        }
    }

    /// The first of the 16 values at `p` from lane `first` on that is
    /// ≥ `level`, or 16: the compares as one 16-bit mask
    /// (`delta_arb_at_least_mask16`) and its lowest set bit, where a scan
    /// would mispredict its exit at every level of a query.
    @inlinable @inline(__always)
    static func firstLane(_ p: UnsafePointer<Double>, atLeast level: Double, from first: Int) -> Int {
        // NaN compares false, so it is never found, as in the scan.
        let hits = delta_arb_at_least_mask16(p, level) & (~0 << UInt32(first))
        return (hits | 1 << 16).trailingZeroBitCount
    }

    /// Level-0 values covered by one node of `depth`.
    @inlinable @inline(__always)
    static func span(_ depth: Int) -> Int {
        var s = 1
        for _ in 0..<depth { s *= fanOut }
        return s
    }
}
