@inline(never) public func bits(_ p: UnsafePointer<Double>, _ l: Double) -> Int {
    let raw = UnsafeRawPointer(p)
    let a = raw.loadUnaligned(as: SIMD8<Double>.self), b = (raw + 64).loadUnaligned(as: SIMD8<Double>.self)
    let bar = SIMD8<Double>(repeating: l)
    let ma = a .>= bar, mb = b .>= bar
    var x: UInt32 = 0
    for i in 0..<8 where ma[i] { x |= 1 << UInt32(i) }
    for i in 0..<8 where mb[i] { x |= 1 << UInt32(i + 8) }
    return x.trailingZeroBitCount
}
