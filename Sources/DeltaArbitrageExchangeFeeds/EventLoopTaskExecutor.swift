import NIOCore

/// Runs Swift tasks on one NIO event loop's thread: a task that prefers it
/// (`withTaskExecutorPreference`) resumes where its socket's frames are read,
/// so a frame goes from the read to the decision without waking another thread.
///
/// The feeds pin their connections and reading tasks to one loop this way
/// (`TwoMarketExchangeFeed` puts both markets on the same one): on a small
/// machine every thread hop costs a wake-up of a parked thread (microseconds,
/// tens under load), and two reading tasks on two threads contend for the
/// merge's lock; on one thread they take turns instead.
@available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *)
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked`: `loop` is itself thread-safe (`EventLoop: Sendable`); nothing else is stored.
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Runs `body` preferring `loop`'s thread for its task and child tasks (see
/// `EventLoopTaskExecutor`), or as it is where task executors are not available.
func preferring<R: Sendable>(_ loop: any EventLoop, _ body: @Sendable () async throws -> R) async throws -> R {
    if #available(macOS 15.0, iOS 18.0, tvOS 18.0, watchOS 11.0, *) {
        return try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) { try await body() }
    }
    return try await body()
}
