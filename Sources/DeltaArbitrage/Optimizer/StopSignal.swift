import Atomics
import Foundation

/// Stops a running optimisation from another thread (`cancel()`, wired to
/// task cancellation); the grid search polls it between points.
///
/// The flag is one atomic Boolean (swift-atomics): `cancel()` stores with
/// release ordering and `isCancelled` loads with acquire ordering, so the
/// poll inside the parallel grid loop takes no lock.
public final class StopSignal: Sendable {
    private let cancelled = ManagedAtomic<Bool>(false)

    /// A signal not yet cancelled.
    public init() {}

    /// Requests a stop that reads as cancellation.
    public func cancel() {
        cancelled.store(true, ordering: .releasing)
    }

    /// `cancel()` has been called.
    public var isCancelled: Bool {
        cancelled.load(ordering: .acquiring)
    }

    /// Runs blocking `work` on a global queue (not on the caller's
    /// cooperative thread, which `concurrentPerform` would hold), with a
    /// signal that task cancellation sets.
    static func runCancellable<T: Sendable>(_ work: @escaping @Sendable (StopSignal) throws -> T) async throws -> T {
        let stop = StopSignal()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global(qos: .userInitiated).async {
                    continuation.resume(with: Result { try work(stop) })
                }
            }
        } onCancel: {
            stop.cancel()
        }
    }
}
