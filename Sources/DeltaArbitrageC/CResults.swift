import DeltaArbitrage
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Status codes of the C ABI (include/deltaarb.h).
enum CStatus: Int32 {
    case ok = 0
    case invalidData = 1
    case insufficientData = 2
    case parameterValidation = 3
    case optimizationTimeout = 4
    case invalidArgument = 5
    case internalFailure = 6
}

/// A failure to report through the ABI: its status code and the message.
struct CFailure: Error {
    let status: CStatus
    let message: String

    init(_ status: CStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// The status and message for an error the engine threw: its own type
    /// decides the code, its `description` is the text.
    init(engine error: any Error) {
        switch error {
        case let failure as CFailure: self = failure
        case let e as InsufficientDataError: self.init(.insufficientData, e.description)
        case let e as ParameterValidationError: self.init(.parameterValidation, e.description)
        case let e as OptimizationTimeoutError: self.init(.optimizationTimeout, e.description)
        case let e as MarketDataError: self.init(.invalidData, e.description)
        default: self.init(.internalFailure, String(describing: error))
        }
    }
}

/// A copy of `text` in `malloc`ed memory, NUL-terminated, for the caller to
/// `deltaarb_free`; nil only when `malloc` fails.
func mallocString(_ text: String) -> UnsafeMutablePointer<CChar>? {
    let bytes = Array(text.utf8)
    guard let buffer = malloc(bytes.count + 1)?.assumingMemoryBound(to: CChar.self) else { return nil }
    bytes.withUnsafeBufferPointer { source in
        for (i, byte) in source.enumerated() { buffer[i] = CChar(bitPattern: byte) }
    }
    buffer[bytes.count] = 0
    return buffer
}

/// Runs `body`, turning any error into its status code and (when the caller
/// asked for it) a message in `errorOut`. Clears the outputs first so a
/// failed call never leaves a stale pointer behind.
func reporting(_ errorOut: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ body: () throws -> Void) -> Int32 {
    errorOut?.pointee = nil
    do {
        try body()
        return CStatus.ok.rawValue
    } catch {
        let failure = CFailure(engine: error)
        errorOut?.pointee = mallocString(failure.message)
        return failure.status.rawValue
    }
}

/// A pointer argument the caller must supply.
func required<T>(_ pointer: T?, _ name: String) throws -> T {
    guard let pointer else { throw CFailure(.invalidArgument, "\(name) is NULL") }
    return pointer
}

/// Runs an async engine call to completion on the calling (foreign, non-pool)
/// thread, which blocks until it is done.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result.get()
}

/// The result of a task, handed to the thread waiting for it.
private final class ResultBox<T: Sendable>: @unchecked Sendable {
    // Written once by the task before it signals the semaphore; read only after the wait.
    var result: Result<T, any Error> = .failure(CFailure(.internalFailure, "the engine task did not finish"))
}

/// A JSON document as a `malloc`ed C string.
func jsonString<T: Encodable>(_ value: T) throws -> UnsafeMutablePointer<CChar> {
    let data = try makeJSONEncoder().encode(value)
    guard let text = mallocString(String(decoding: data, as: UTF8.self)) else {
        throw CFailure(.internalFailure, "out of memory for a \(data.count)-byte JSON result")
    }
    return text
}
