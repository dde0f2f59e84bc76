import Testing
import DeltaArbitrage

@Test func durationUnits() {
    #expect(Duration.milliseconds(1500).seconds == 1.5)
    #expect(Duration.microseconds(2500).milliseconds == 2.5)
    #expect(Duration.nanoseconds(-7).nanoseconds == -7)
    #expect(Duration.seconds(300).nanoseconds == 300_000_000_000)
    #expect(Duration.seconds(Int64.max).nanoseconds == .max)
    #expect(Duration.seconds(Int64.min).nanoseconds == .min)
}
