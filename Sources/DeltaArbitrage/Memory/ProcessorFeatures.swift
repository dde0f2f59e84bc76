import CIntrinsics

/// What the processor running this process can do, asked once.
enum ProcessorFeatures {
    /// Whether the processor and the system support AVX2, so that the
    /// `_avx2` functions of `CIntrinsics` may be called (in any build: they
    /// are built for AVX2 whatever the build's target).
    static let avx2 = delta_arb_cpu_has_avx2() != 0
}
