import NIOConcurrencyHelpers

/// A bounded queue between the feeds' socket tasks (producers) and one consumer, with backpressure:
/// a producer that finds it full waits, so a slow consumer slows the sockets (and, through NIO, TCP)
/// instead of growing a buffer. The ring is allocated once; the per-element path takes a lock and
/// allocates nothing.
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
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        state = NIOLockedValueBox(State(ring: [Element?](repeating: nil, count: max(capacity, 1))))
    }

    private enum SendStep {
        case done(Bool)
        case handOver(UnsafeContinuation<Element?, any Error>)
        case wait
    }

    /// Queues `element`, waiting while the queue is full; false once the consumer has gone
    /// (the element is dropped, and the producer should stop).
    @discardableResult
    func send(_ element: Element) async -> Bool {
        while true {
            switch tryPush(element) {
            case .done(let accepted): return accepted
            case .handOver(let consumer):
                consumer.resume(returning: element)
                return true
            case .wait:
                await withUnsafeContinuation { (waiter: UnsafeContinuation<Void, Never>) in
                    let resumeNow = state.withLockedValue { state -> Bool in
                        if state.consumerGone || state.count < capacity || state.consumer != nil { return true }
                        state.producers.append(waiter)
                        return false
                    }
                    if resumeNow { waiter.resume() }
                }
            }
        }
    }

    private func tryPush(_ element: Element) -> SendStep {
        state.withLockedValue { state in
            if state.consumerGone || state.finished != nil { return .done(false) }
            if let consumer = state.consumer {
                state.consumer = nil
                return .handOver(consumer)
            }
            guard state.count < capacity else { return .wait }
            state.ring[(state.head + state.count) % capacity] = element
            state.count += 1
            return .done(true)
        }
    }

    private enum NextStep {
        case element(Element, UnsafeContinuation<Void, Never>?)
        case end((any Error)?)
        case wait
    }

    /// The next element, waiting for one; nil at the end or once the calling task is cancelled;
    /// throws the error the stream was finished with (after the elements queued before it).
    func next() async throws -> Element? {
        switch tryPop() {
        case .element(let element, let producer):
            producer?.resume()
            return element
        case .end(let error):
            if let error { throw error }
            return nil
        case .wait:
            break
        }
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { (consumer: UnsafeContinuation<Element?, any Error>) in
                switch tryPop() {
                case .element(let element, let producer):
                    producer?.resume()
                    consumer.resume(returning: element)
                case .end(let error):
                    if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
                case .wait:
                    let resumeNow = state.withLockedValue { state -> Bool in
                        // Between tryPop and here a producer may have pushed, finished or the task been cancelled.
                        if state.count > 0 || state.finished != nil || state.consumerGone { return true }
                        state.consumer = consumer
                        return false
                    }
                    if resumeNow {
                        // Take the element (or the end) that arrived meanwhile.
                        switch tryPop() {
                        case .element(let element, let producer):
                            producer?.resume()
                            consumer.resume(returning: element)
                        case .end(let error):
                            if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
                        case .wait:
                            consumer.resume(returning: nil)
                        }
                    }
                }
            }
        } onCancel: {
            self.close()
        }
    }

    private func tryPop() -> NextStep {
        state.withLockedValue { state in
            if state.count > 0 {
                let element = state.ring[state.head]!
                state.ring[state.head] = nil
                state.head = (state.head + 1) % capacity
                state.count -= 1
                let producer = state.producers.isEmpty ? nil : state.producers.removeFirst()
                return .element(element, producer)
            }
            if state.consumerGone { return .end(nil) }
            if let finished = state.finished { return .end(finished) }
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

    /// The consumer has gone: wakes every waiter; producers get false from then on.
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
