import Testing
@testable import SpreadKernels
@Test func cutoffIsExact() {
    let c = SeedFormulas.timeoutCutoffNanoseconds(maxHours: 6)
    #expect(SeedFormulas.hours(fromNanoseconds: c) >= 6)
    #expect(SeedFormulas.hours(fromNanoseconds: c - 1) < 6)
}
