// Checks, for every significand below 10^8 and every power k in 0...7, that
// the division-free quotient the CSV loader uses (DecimalQuotients.quotient:
// q = a·y with y the double nearest 10^-k, the residual a - q·10^k computed
// exactly by splitting q in halves, then q + residual·y) equals the correctly
// rounded a / 10^k. The same steps with a fused multiply-add for the
// residual are checked too.
// 8·10^8 cases; about 2 s when built with optimisation:
//
//   swiftc -O scripts/check-decimal-quotients.swift -lm -o /tmp/check-quotients && /tmp/check-quotients
//
// It also counts how often the plain product a·y alone is wrong, to show
// that the correction step is needed (the check could fail).
var failures = 0
var uncorrectedWrong = 0
var power = 1.0
for k in 0..<8 {
    let reciprocal = 1 / power
    for significand in 0..<100_000_000 {
        let a = Double(significand)
        let q = a * reciprocal
        let t = q * 134_217_729.0
        let high = t - (t - q), low = q - high
        let residual = (a - high * power) - low * power
        let corrected = q + residual * reciprocal
        let fused = q.addingProduct(a.addingProduct(-q, power), reciprocal)
        let exact = a / power
        if corrected != exact || fused != exact {
            if failures < 10 { print("MISMATCH: \(significand) / 10^\(k): \(corrected), \(fused) != \(exact)") }
            failures += 1
        }
        if q != exact { uncorrectedWrong += 1 }
    }
    power *= 10
}
print("8e8 cases: \(failures) mismatches; the uncorrected product alone is wrong in \(uncorrectedWrong)")
if failures > 0 { fatalError("the division-free quotient is not exact") }
