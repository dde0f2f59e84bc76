#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64 (Steele, Lea & Flood 2014): a 64-bit counter `x += 0x9E3779B97F4A7C15`
/// passed through a fixed bijective mixer. Used only to expand a user seed
/// into xoshiro state, because consecutive seeds (0, 1, 2, …) then still give
/// unrelated generators.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The counter, advanced by `0x9E3779B97F4A7C15` per draw.
    public var state: UInt64
    /// A generator whose counter starts at `seed`.
    public init(seed: UInt64) { state = seed }

    /// Advances the counter and returns its mixed value.
    @inlinable
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256** 1.0 (Blackman & Vigna 2018): 256 bits of state, period
/// 2²⁵⁶ − 1, passes BigCrush; a few cycles per draw and no allocation.
///
/// `init(seed:stream:)` fills the state with four SplitMix64 outputs of
/// `seed ^ (stream · 0xD1B54A32D192ED03)`, so each (seed, stream) pair is an
/// independent-looking sequence and the output is the same on every platform.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// The generator of `stream` for `seed`; every `(seed, stream)` pair gives its own sequence.
    public init(seed: UInt64, stream: UInt64 = 0) {
        var mixer = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = mixer.next(); s1 = mixer.next(); s2 = mixer.next(); s3 = mixer.next()
        // SplitMix64 is a bijection of a counter, so four zero outputs in a row
        // cannot happen; xoshiro's only bad state (all zero) is unreachable.
    }

    /// The next 64 random bits.
    @inlinable
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in `[0, 1)`: the top 53 bits scaled by 2⁻⁵³.
    @inlinable
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// Uniform in `(0, 1]`, safe to take the logarithm of.
    @inlinable
    public mutating func nextOpenUnit() -> Double {
        Double((next() >> 11) + 1) * 0x1p-53
    }

    /// Exponential with the given mean: `−mean · ln U`, `U ∈ (0, 1]`.
    @inlinable
    public mutating func nextExponential(mean: Double) -> Double {
        -mean * log(nextOpenUnit())
    }
}

/// Standard normal variates by Marsaglia's polar form of Box–Muller: draw
/// `(u, v)` uniform in the unit disc (rejecting ≈ 21.5 %), then
/// `u·√(−2 ln s / s)` and `v·√(−2 ln s / s)` with `s = u² + v²` are two
/// independent N(0, 1). No trigonometric calls; the second variate is kept
/// for the next request.
public struct NormalSampler: Sendable {
    /// The uniform source the samples are drawn from.
    public var generator: Xoshiro256StarStar
    @usableFromInline var spare: Double = 0
    @usableFromInline var hasSpare = false

    /// A sampler drawing from `generator`.
    public init(_ generator: Xoshiro256StarStar) { self.generator = generator }

    /// The next standard normal variate, N(0, 1).
    @inlinable
    public mutating func next() -> Double {
        if hasSpare {
            hasSpare = false
            return spare
        }
        while true {
            let u = 2 * generator.nextUnit() - 1
            let v = 2 * generator.nextUnit() - 1
            let s = u * u + v * v
            if s < 1 && s > 0 {
                let scale = (-2 * log(s) / s).squareRoot()
                spare = v * scale
                hasSpare = true
                return u * scale
            }
        }
    }
}
