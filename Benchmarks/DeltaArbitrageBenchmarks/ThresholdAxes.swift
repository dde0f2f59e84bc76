/// Threshold grids the benchmark shares with `peers.py`.
struct ThresholdAxes {
    let entries: [Double]
    let exits: [Double]

    /// `np.linspace(0.05, 1.0, 64)` x `np.linspace(0.02, 0.5, 64)`: peers.py's defaults.
    static let peerGrid = ThresholdAxes(entries: linspace(0.05, 1.0, 64), exits: linspace(0.02, 0.5, 64))

    /// numpy's `linspace` values: `start + k·(stop − start)/(n − 1)`, last exactly `stop`.
    static func linspace(_ start: Double, _ stop: Double, _ n: Int) -> [Double] {
        let step = (stop - start) / Double(n - 1)
        return (0..<n).map { $0 == n - 1 ? stop : start + Double($0) * step }
    }
}
