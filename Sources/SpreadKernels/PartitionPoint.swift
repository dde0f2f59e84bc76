extension RandomAccessCollection where Index == Int {
    /// The first index in `range` whose element satisfies `isInSecondPart`,
    /// or `range.upperBound` when none does — the one binary search of the
    /// project (sorted timestamps, row anchors).
    ///
    /// The elements of `range` must be partitioned by the predicate: every
    /// element for which it is false comes before every element for which it
    /// is true (e.g. `{ $0 >= time }` over non-decreasing times). Costs
    /// `⌈log₂(range.count + 1)⌉` evaluations.
    ///
    /// - Precondition: `range` lies within `startIndex...endIndex`.
    @inlinable
    public func partitionPoint(in range: Range<Int>, where isInSecondPart: (Element) throws -> Bool) rethrows -> Int {
        precondition(range.lowerBound >= startIndex && range.upperBound <= endIndex,
                     "partitionPoint: range \(range) outside \(startIndex)..<\(endIndex)")
        var low = range.lowerBound, high = range.upperBound
        while low < high {
            let middle = low + (high - low) / 2
            if try isInSecondPart(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
