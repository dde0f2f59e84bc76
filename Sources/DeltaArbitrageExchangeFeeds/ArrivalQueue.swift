import NIOConcurrencyHelpers

/// A bounded queue between the feeds' socket tasks (producers) and one consumer, with backpressure:
/// a producer that finds it full waits, so a slow consumer slows the sockets (and, through NIO, TCP)
/// instead of growing a buffer.
///
/// Pushing is synchronous and always takes the element, so a producer can push while it holds a lock
/// of its own and the order of the queue is the order of those pushes (the two-market merge pushes
/// under its merge lock). A push that leaves the queue at or over `capacity` tells its producer to
/// wait for room (`waitForRoom()`) before it pushes again: with at most `producers` producers, the
/// queue never holds more than `capacity + producers - 1` elements. The ring is allocated once; the
/// per-element path takes a lock and allocates nothing.
final class ArrivalQueue<Element: Sendable>: Sendable {
    private struct State {
        var ring: [Element?]
        var head = 0
        var count = 0
        var consumer: UnsafeContinuation<Element?, any Error>?
        var producers: [UnsafeContinuation<Void, Never>] = []
        /// Set once: the end of the stream (nil error: a plain end).
        var finished: (any Error)??
        var consumerGone = false
    }

    private let state: NIOLockedValueBox<State>
    /// Elements the queue holds before producers wait.
    let capacity: Int

    /// A queue that makes producers wait from `capacity` elements on, for at most `producers` producers.
    init(capacity: Int, producers: Int) {
        self.capacity = max(capacity, 1)
        let slots = self.capacity + max(producers, 1)
        state = NIOLockedValueBox(State(ring: [Element?](repeating: nil, count: slots)))
    }

    /// What a push asks of its producer.
    enum PushOutcome {
        /// Queued (or dropped, the consumer having gone); push on.
        case queued
        /// Queued, and the queue is now full: call `waitForRoom()` before the next push.
        case full
        /// The consumer was waiting: resume it with the element (outside any lock of the producer's).
        case handOver(UnsafeContinuation<Element?, any Error>)
    }

    /// Takes `element` without waiting (see the type's description); a queue whose consumer has gone
    /// or that has finished drops it.
    func push(_ element: Element) -> PushOutcome {
        state.withLockedValue { state in
            if state.consumerGone || state.finished != nil { return .queued }
            if let consumer = state.consumer {
                state.consumer = nil
                return .handOver(consumer)
            }
            state.ring[(state.head + state.count) % state.ring.count] = element
            state.count += 1
            return state.count >= capacity ? .full : .queued
        }
    }

    /// Carries out `outcome` of pushing `element`: hands it to the waiting consumer, or waits while the queue is full.
    func settle(_ outcome: PushOutcome, of element: Element) async {
        switch outcome {
        case .queued: return
        case .handOver(let consumer): consumer.resume(returning: element)
        case .full: await waitForRoom()
        }
    }

    /// Waits until the queue holds fewer than `capacity` elements, or its consumer has gone.
    func waitForRoom() async {
        await withUnsafeContinuation { (waiter: UnsafeContinuation<Void, Never>) in
            let resumeNow = state.withLockedValue { state -> Bool in
                if state.consumerGone || state.count < capacity { return true }
                state.producers.append(waiter)
                return false
            }
            if resumeNow { waiter.resume() }
        }
    }

    /// True while the consumer is there to take elements.
    var isOpen: Bool { state.withLockedValue { !$0.consumerGone && $0.finished == nil } }

    private enum NextStep {
        case element(Element, [UnsafeContinuation<Void, Never>])
        case end((any Error)?)
        case wait
    }

    /// The next element, waiting for one; nil at the end or once the calling task is cancelled;
    /// throws the error the stream was finished with (after the elements queued before it).
    func next() async throws -> Element? {
        if let ready = try Self.outcome(of: pop(registering: nil)) { return ready }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (consumer: UnsafeContinuation<Element?, any Error>) in
                // Registers under the same lock as the pop, so nothing can arrive in between unseen.
                let step = pop(registering: consumer)
                if case .wait = step { return }
                consumer.resume(with: Result { try Self.outcome(of: step) })
            }
        } onCancel: {
            self.close()
        }
    }

    /// The element or end `step` gives (resuming the producers it freed); nil for `.wait`.
    private static func outcome(of step: NextStep) throws -> Element? {
        switch step {
        case .element(let element, let producers):
            for producer in producers { producer.resume() }
            return element
        case .end(let error):
            if let error { throw error }
            return nil
        case .wait:
            return nil
        }
    }

    /// Pops the next element or the end; with nothing there, registers `consumer` (when given) to be
    /// handed the next push.
    private func pop(registering consumer: UnsafeContinuation<Element?, any Error>?) -> NextStep {
        state.withLockedValue { state in
            if state.count > 0 {
                let element = state.ring[state.head]!
                state.ring[state.head] = nil
                state.head = (state.head + 1) % state.ring.count
                state.count -= 1
                // Every producer waits for the same thing (room); all may push again now.
                var freed: [UnsafeContinuation<Void, Never>] = []
                if state.count < capacity && !state.producers.isEmpty { swap(&freed, &state.producers) }
                return .element(element, freed)
            }
            if state.consumerGone { return .end(nil) }
            if let finished = state.finished { return .end(finished) }
            if let consumer { state.consumer = consumer }
            return .wait
        }
    }

    /// Ends the stream after the queued elements: the consumer gets nil, or `error`. Later calls do nothing.
    func finish(throwing error: (any Error)? = nil) {
        let consumer = state.withLockedValue { state -> UnsafeContinuation<Element?, any Error>? in
            guard state.finished == nil else { return nil }
            state.finished = .some(error)
            defer { state.consumer = nil }
            return state.consumer
        }
        if let consumer {
            if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
        }
    }

    /// The consumer has gone: wakes every waiter; producers' elements are dropped from then on.
    func close() {
        let (consumer, producers) = state.withLockedValue { state in
            state.consumerGone = true
            defer {
                state.consumer = nil
                state.producers = []
            }
            return (state.consumer, state.producers)
        }
        consumer?.resume(returning: nil)
        for producer in producers { producer.resume() }
    }
}
