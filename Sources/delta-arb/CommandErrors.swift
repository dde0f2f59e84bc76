import ArgumentParser
import DeltaArbitrage
import Foundation

/// An error from the engine, reported as one line on stderr with exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let underlying: any Error
    init(_ error: any Error) { underlying = error }
    var description: String { humanDescription(of: underlying) }
}

/// A bad option that shows only once the data is read (a grid step giving
/// too many points): reported like a usage error, exit status 64. The
/// message names the option as the user typed it.
struct UsageFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One human line for an error: Foundation's errors (`NSCocoaErrorDomain
/// Code=512 …`, `DecodingError.dataCorrupted(…)`) become their reason, with
/// the path where there is one; the engine's errors are already written for
/// people.
func humanDescription(of error: any Error) -> String {
    switch error {
    case let failure as CommandFailure:
        return failure.description
    case let decoding as DecodingError:
        return decoding.summary
    case let cocoa as CocoaError:
        return foundationText(cocoa as NSError)
    default:
        if type(of: error) is NSError.Type { return foundationText(error as NSError) }
        return String(describing: error)
    }
}

/// `path: reason` for a Foundation error, the reason from the POSIX error under it where there is one.
private func foundationText(_ ns: NSError) -> String {
    let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    let reason: String
    if let posix = ns.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(posix.code)))
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code)))
    } else {
        reason = ns.localizedFailureReason ?? ns.localizedDescription
    }
    return path.map { "\($0): \(reason)" } ?? reason
}

extension ParsableCommand {
    /// Runs `body`, printing an engine error as one `delta-arb: error: …` line
    /// on stderr and exiting with its status (64 for a `UsageFailure`, else 1).
    func reportingFailures(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch {
            throw DeltaArb.report(error)
        }
    }

    /// Async `reportingFailures`.
    func reportingFailures(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch {
            throw DeltaArb.report(error)
        }
    }
}
