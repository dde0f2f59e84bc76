import Testing
@testable import SpreadKernels

@Suite("Timeout cut-off")
struct TimeoutCutoffTests {
    /// The integer cut-off is the first elapsed time whose hours reach the limit,
    /// for limits that are and are not whole nanoseconds.
    @Test(arguments: [6.0, 0.5, 1e-9, 1.0 / 3.0, 123.456789, 0.1 + 0.2, 2.0.nextUp, 1e5])
    func cutoffIsTheFirstQualifyingNanosecond(maxHours: Double) {
        let cutoff = SpreadFormulas.timeoutCutoffNanoseconds(maxHours: maxHours)
        #expect(SpreadFormulas.hours(fromNanoseconds: cutoff) >= maxHours)
        #expect(cutoff == 0 || SpreadFormulas.hours(fromNanoseconds: cutoff - 1) < maxHours)
    }

    @Test func degenerateLimits() {
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: .infinity) == .max)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: .nan) == .max)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: 0) == 0)
        #expect(SpreadFormulas.timeoutCutoffNanoseconds(maxHours: -3) == 0)
    }
}
